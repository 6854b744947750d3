import type { CatalogClient } from '../clients/catalog'
import type { ScoreEnvelope } from '../scores/envelope'
import { runScoreBatch, ScoreBatchResult } from '../scores/runScoreBatch'
import { CATEGORY_TARGET, PRODUCT_TARGET } from '../scores/targets'
import type { GuardedItem } from '../scores/undoConflict'
import { JOB_ITEM_RETRY_WINDOW_MS } from '../settings'
import type { Claim } from './claim'
import { jobPaths } from './files'
import {
  Journal,
  journalledBefore,
  journallingCatalog,
  withJournal,
} from './journal'
import type { SliceCheckpoint, JobDefinition } from './model'
import type { ChunkRunner } from './runner'
import {
  DEFAULT_SLICE_MS,
  Element,
  elementsOf,
  envelopeOf,
  remainingItems,
} from './slice'

/** What a claimed chunk's slice starts from: read before its heartbeat starts. */
export interface SliceInput {
  /** The chunk's items; an undo's keep their `expect` in the file. */
  items: GuardedItem[]
  /** Items earlier slices finished, kept as they are. */
  before: Element[]
  /** The items this slice runs. */
  slice: GuardedItem[]
  /** What earlier claims of the chunk were about to write (a killed replica's PUTs among them). */
  journalBefore: Map<number, number | null>
  /** This claim's journal: each PUT leaves only once its item is in it. */
  journal: Journal
  checkpoint: SliceCheckpoint | undefined
  sliceStart: number
  /** The item retry window a job has (JOB_ITEM_RETRY_WINDOW_MS unless set). */
  itemWindowMs: number
  /** What is left of it for this slice. */
  retryWindowMs: number
}

export async function readSlice(
  runner: ChunkRunner,
  job: JobDefinition,
  claim: Claim
): Promise<SliceInput> {
  const { files, clock } = runner
  const chunk = claim.data.chunk
  const items =
    (await files.read<GuardedItem[]>(jobPaths.items(job.id, chunk)))?.data ?? []

  const checkpoint = claim.data.checkpoint
  const before = checkpoint
    ? elementsOf(
        (
          await files.read<ScoreEnvelope>(
            jobPaths.results(job.id, chunk, checkpoint.attempt)
          )
        )?.data
      )
    : []

  const slice = remainingItems(items, before)
  const journalBefore = await journalledBefore(
    files,
    job.id,
    chunk,
    claim.data.attempt
  )

  const journal = new Journal(
    files,
    jobPaths.journal(job.id, chunk, claim.data.attempt),
    runner.ttlSec
  )

  const sliceStart = clock.now()
  const itemWindowMs = runner.itemRetryWindowMs ?? JOB_ITEM_RETRY_WINDOW_MS
  // Slices that made no item succeed (an outage) share one item retry window, from the first of them.
  const retryWindowMs =
    checkpoint?.stuckSince !== undefined
      ? Math.max(1, checkpoint.stuckSince + itemWindowMs - sliceStart)
      : itemWindowMs

  return {
    items,
    before,
    slice,
    journalBefore,
    journal,
    checkpoint,
    sliceStart,
    itemWindowMs,
    retryWindowMs,
  }
}

/**
 * Runs the slice's items through the same engine as a synchronous batch,
 * with the app's credentials, on the lease's fenced Catalog: each PUT leaves
 * only once its item's {id, previousScore} is in this claim's journal.
 */
export function runSlice(
  runner: ChunkRunner,
  job: JobDefinition,
  input: SliceInput,
  fenced: Pick<CatalogClient, 'read' | 'write'>
): Promise<ScoreBatchResult> {
  const { settings, clock } = runner
  const catalog = journallingCatalog(fenced, input.journal, input.journalBefore)

  // An undo's items carry `expect`: each is restored only while its Score is still what the job wrote.
  return runScoreBatch(catalog, {
    target: job.kind === 'product' ? PRODUCT_TARGET : CATEGORY_TARGET,
    items: input.slice,
    settings,
    call: {
      credentials: runner.credentials,
      timeoutMs: settings.requestTimeoutMs,
    },
    dryRun: job.dryRun,
    allowFieldDrift: job.allowFieldDrift,
    // The slice's bound: no call starts after it; items it stops are left for the next slice.
    deadlineAt: input.sliceStart + (runner.sliceMs ?? DEFAULT_SLICE_MS),
    // Backoff and the item retry window on the lease's clock: one time for both.
    clock,
    retryWindowMs: input.retryWindowMs,
    // Over several slices the window is one: failures state all of it, not what was left.
    retryWindowStatedMs: input.itemWindowMs,
  })
}

/** What a slice leaves: the chunk's results so far, and whether a next slice has items to run. */
export interface SliceResult {
  /** Every item final so far, this slice's and earlier slices'. */
  merged: ScoreEnvelope
  /** Items the slice's deadline stopped, for the next slice. */
  carried: number
  /** An item of this slice succeeded. */
  progressed: boolean
  /** The batch's status: 200, the 401/403 that stopped it, or 502/503 for an outage. */
  status: number
}

export function mergeSlice(
  job: JobDefinition,
  input: SliceInput,
  result: ScoreBatchResult
): SliceResult {
  const carried = new Set(result.stoppedByDeadline)
  const final = elementsOf(result.envelope)
    .filter((element) => !carried.has(element.index))
    // An item an earlier claim wrote, found here at the job's Score, is UPDATED from the Score its journal kept.
    .map((element) =>
      element.success === 'true'
        ? withJournal(element, input.journalBefore)
        : element
    )

  return {
    merged: envelopeOf(
      [...input.before, ...final],
      input.items.length,
      job.dryRun
    ),
    carried: carried.size,
    progressed: result.envelope.successfulResponses.quantity > 0,
    status: result.status,
  }
}
