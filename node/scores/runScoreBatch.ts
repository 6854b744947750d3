import { BulkStats, Outcome, RateGate, runBulk, systemClock } from '../bulk'
import type { RateSignal } from '../bulk/pacer'
import type { CatalogCallOptions, CatalogClient } from '../clients/catalog'
import type { ScoreSettings } from '../settings'
import { classifyCatalogError } from './classify'
import { buildEnvelope, ScoreChange, ScoreEnvelope } from './envelope'
import type { ScoreTarget } from './targets'
import { ScoreState, updateScoreTask } from './updateScore'
import type { ScoreItem } from './validate'

export interface ScoreBatch {
  target: ScoreTarget
  items: ScoreItem[]
  settings: ScoreSettings
  call: CatalogCallOptions
  dryRun: boolean
  /** `?allowFieldDrift=true`: write even when the Catalog will change other fields. */
  allowFieldDrift?: boolean
  /** Absolute time (ms) after which no Catalog call starts. */
  deadlineAt: number
  /** A gate shared beyond this batch (the account's, see accountGates); a new one by default. */
  gate?: RateGate
  onOutcome?(index: number, outcome: Outcome<unknown>): void
}

export interface ScoreBatchResult {
  /** 200, or the 401/403 that stopped the batch. */
  status: number
  envelope: ScoreEnvelope
  stats: BulkStats
}

type CatalogAccess = Pick<CatalogClient, 'read' | 'write'>

/** One batch, from validated items to the envelope; shared by every route. */
export async function runScoreBatch(
  catalog: CatalogAccess,
  batch: ScoreBatch
): Promise<ScoreBatchResult> {
  const { target, items, settings, dryRun } = batch
  // One gate per batch: a 429 pauses every worker, and the pacer learns the Catalog's rate.
  const gate = batch.gate ?? new RateGate(systemClock, { adaptive: true })
  const call = {
    ...batch.call,
    onRateSignal: (signal: RateSignal) => gate.observe(signal),
  }
  const task = updateScoreTask(
    target,
    {
      read: (id) => catalog.read(target.kind, id, call),
      write: (id, object, guard) =>
        catalog.write(target.kind, id, object, {
          ...call,
          beforeSend: guard?.beforeSend,
        }),
    },
    { dryRun, allowFieldDrift: batch.allowFieldDrift }
  )

  const report = await runBulk<ScoreItem, ScoreChange, ScoreState>(
    items,
    task,
    {
      concurrency: settings.concurrency,
      maxAttempts: settings.maxAttempts,
      classify: classifyCatalogError,
      deadlineAt: batch.deadlineAt,
      gate,
      onOutcome: batch.onOutcome,
    }
  )

  return {
    status: report.stoppedBy?.status ?? 200,
    envelope: buildEnvelope(items, report.outcomes, { dryRun }),
    stats: report.stats,
  }
}
