import { BulkStats, Clock, Outcome, runBulk } from '../bulk'
import type { CatalogCallOptions, CatalogClient } from '../clients/catalog'
import { JOB_ITEM_RETRY_WINDOW_MS, ScoreSettings } from '../settings'
import { batchLine, writeBatchLine } from './batchLog'
import type { CatalogPort } from './catalogPort'
import { batchStatus, classifyCatalogError } from './classify'
import { buildEnvelope, ScoreChange, ScoreEnvelope } from './envelope'
import type { ScoreTarget } from './targets'
import type { GuardedItem } from './undoConflict'
import { ScoreState, updateScoreTask } from './updateScore'

export interface ScoreBatch {
  target: ScoreTarget
  /** Items with an `expect` (an undo's) are written only while the Score is still that. */
  items: GuardedItem[]
  settings: ScoreSettings
  call: CatalogCallOptions
  dryRun: boolean
  /** `?allowFieldDrift=true`: write even when the Catalog will change other fields. */
  allowFieldDrift?: boolean
  /** Absolute time (epoch ms) after which no Catalog call starts; Infinity for a job. */
  deadlineAt: number
  /**
   * How long an item's retryable failures are retried, from its first
   * attempt. Defaults to the deadline for a batch, and to
   * JOB_ITEM_RETRY_WINDOW_MS when there is none (a job).
   */
  retryWindowMs?: number
  /** The window failures state when `retryWindowMs` is only the rest of it (a job's later slice). */
  retryWindowStatedMs?: number
  onOutcome?(index: number, outcome: Outcome<unknown>): void
  /** The engine's clock (backoff, retry window); the system clock by default. */
  clock?: Clock
  /** Where the batch's one readable line goes; the runtime's output by default. */
  log?(line: string): void
}

export interface ScoreBatchResult {
  /** 200; the 401/403 that stopped the batch; 502/503 when the Catalog was down for every item. */
  status: number
  envelope: ScoreEnvelope
  stats: BulkStats
  /** The `index` of each item the deadline stopped (never sent, or a retry not made in time): a job's next slice runs them. */
  stoppedByDeadline: number[]
}

type CatalogAccess = Pick<CatalogClient, 'read' | 'write'>

/** One batch, from validated items to the envelope; shared by every route. */
export async function runScoreBatch(
  catalog: CatalogAccess,
  batch: ScoreBatch
): Promise<ScoreBatchResult> {
  const { target, items, settings, dryRun } = batch
  // Aborted when the batch stops, so calls waiting in the flow control give up.
  const stop = new AbortController()
  const call: CatalogCallOptions = {
    ...batch.call,
    ...(Number.isFinite(batch.deadlineAt)
      ? { deadlineAt: batch.deadlineAt }
      : {}),
    signal: stop.signal,
    limits: {
      maxInFlight: settings.concurrency,
      maxRequestsPerMinute: settings.maxRequestsPerMinute ?? null,
    },
  }

  // The client, bound to this batch's kind, caller, deadline and stop.
  const port: CatalogPort = {
    read: (id, again) =>
      catalog.read(target.kind, id, again ? { ...call, urgent: true } : call),
    write: (id, object, guard) =>
      catalog.write(
        target.kind,
        id,
        object,
        guard ? { ...call, beforeSend: () => guard.beforeSend() } : call
      ),
  }

  const task = updateScoreTask(target, port, {
    dryRun,
    allowFieldDrift: batch.allowFieldDrift,
  })

  const report = await runBulk<GuardedItem, ScoreChange, ScoreState>(
    items,
    task,
    {
      concurrency: settings.concurrency,
      maxAttempts: settings.maxAttempts,
      classify: classifyCatalogError,
      deadlineAt: batch.deadlineAt,
      retryWindowMs:
        batch.retryWindowMs ??
        (Number.isFinite(batch.deadlineAt)
          ? undefined
          : JOB_ITEM_RETRY_WINDOW_MS),
      retryWindowStatedMs: batch.retryWindowStatedMs,
      stop,
      onOutcome: batch.onOutcome,
      ...(batch.clock ? { clock: batch.clock } : {}),
    }
  )

  const result = {
    status: batchStatus(report.outcomes, report.stoppedBy),
    envelope: buildEnvelope(items, report.outcomes, { dryRun }),
    stats: report.stats,
    stoppedByDeadline: items
      .filter((_item, position) => {
        const outcome = report.outcomes[position]

        return !outcome.ok && outcome.failure.bound === 'deadline'
      })
      .map((item) => item.index),
  }

  const log = batch.log ?? writeBatchLine

  log(batchLine({ kind: target.kind, ...result }))

  return result
}
