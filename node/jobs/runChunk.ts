import { randomUUID } from 'crypto'

import type { Clock } from '../bulk/clock'
import type { CatalogCallOptions, CatalogClient } from '../clients/catalog'
import type { CallerCredentials } from '../clients/credentials'
import type { ScoreEnvelope } from '../scores/envelope'
import { runScoreBatch } from '../scores/runScoreBatch'
import { CATEGORY_TARGET, PRODUCT_TARGET } from '../scores/targets'
import type { GuardedItem } from '../scores/undoConflict'
import { JOB_ITEM_RETRY_WINDOW_MS, ScoreSettings } from '../settings'
import type { SendEvent } from './create'
import { JobFileConflict, JobFiles, jobPaths, Versioned } from './files'
import { chunkFailureOf, isResumable } from './failure'
import {
  carriedOver,
  DEFAULT_SLICE_MS,
  elementsOf,
  envelopeOf,
  remainingItems,
  restateWindow,
} from './slice'
import { sendNext, sendNextSlice } from './chain'
import { keptCheckpoint, LeaseLost, writeState } from './lease'

export { LeaseLost } from './lease'
import {
  Journal,
  journalledBefore,
  journallingCatalog,
  withJournal,
} from './journal'
import {
  CancelMark,
  ChunkEvent,
  ChunkState,
  JobDefinition,
  JobFinal,
  OutcomeCounts,
} from './model'

export interface ChunkRunner {
  files: JobFiles
  sendEvent: SendEvent
  catalog: Pick<CatalogClient, 'read' | 'write'>
  /** The app's own credentials: a job never holds a caller's. */
  credentials: CallerCredentials
  settings: ScoreSettings
  clock: Clock
  /** This replica (worker process), as written in a lease. */
  owner: string
  /** How long a claim holds without a heartbeat; renewed every third of it. */
  leaseMs: number
  /**
   * How far replicas' clocks may disagree: a lease is taken over only this
   * long after its `leaseUntil`, so a holder whose clock runs behind has
   * stopped calling the Catalog by then (0 when absent).
   */
  clockSkewMs?: number
  ttlSec: number
  /** How long an item's retryable failures are retried (default: JOB_ITEM_RETRY_WINDOW_MS). */
  itemRetryWindowMs?: number
  /** How long one event runs a chunk before it checkpoints and sends the chunk's event again (default 20 s). */
  sliceMs?: number
  /** Chunks this process runs now (`jobId:chunk`), so a duplicate delivery here returns at once. */
  runningHere: Set<string>
}

export type ChunkOutcome =
  /** The chunk ran here, and its results are stored. */
  | 'ran'
  /** A slice of the chunk ran here: checkpointed, and the chunk's event sent again for the rest. */
  | 'sliced'
  /** Already done (a redelivery): only the next event was sent again. */
  | 'skipped'
  /** Another replica holds a live lease on it and is running it. */
  | 'held'
  /** The job was cancelled before the chunk started. */
  | 'cancelled'
  /** The job failed on this chunk (an outage) and was not resumed: nothing ran. */
  | 'failed'
  /** No such job or chunk (expired, or never stored). */
  | 'gone'

export const outcomeCountsOf = (envelope: ScoreEnvelope): OutcomeCounts => {
  const counts: OutcomeCounts = {}
  const add = (code: string) => (counts[code] = (counts[code] ?? 0) + 1)

  for (const element of envelope.successfulResponses.elements)
    add(
      element.dryRun ? 'DRY_RUN' : element.unchanged ? 'UNCHANGED' : 'UPDATED'
    )
  for (const element of envelope.failedResponses.elements) add(element.code)

  return counts
}

/**
 * Handles one chunk event, idempotently, on any replica:
 * a done chunk is skipped (its next event is sent again); a chunk whose
 * lease is live elsewhere is left to its holder; otherwise the chunk is
 * claimed by replacing its state with If-Match (one claimant wins, the
 * others get a 412), run through the same engine as a sync batch with the
 * app's credentials, checkpointed, and the next chunk's event is sent.
 *
 * While it runs, a heartbeat renews the lease with If-Match. No Catalog call
 * starts unless the lease still has a full request timeout to run, so a
 * replica that lost its lease (paused, partitioned) stops writing before
 * another may take over: no item is written by two replicas.
 */
export async function runChunk(
  runner: ChunkRunner,
  event: ChunkEvent
): Promise<ChunkOutcome> {
  const { files } = runner
  const job = (await files.read<JobDefinition>(jobPaths.job(event.jobId)))?.data

  if (!job || !(event.chunk >= 0 && event.chunk < job.chunks)) return 'gone'
  const here = `${job.id}:${event.chunk}`

  // Checked and marked in one synchronous step: a duplicate delivery here returns at once.
  if (runner.runningHere.has(here)) return 'held'
  runner.runningHere.add(here)
  try {
    return await claimAndRun(runner, job, event.chunk)
  } finally {
    runner.runningHere.delete(here)
  }
}

async function claimAndRun(
  runner: ChunkRunner,
  job: JobDefinition,
  chunk: number
): Promise<ChunkOutcome> {
  const { files, clock } = runner
  // Each claim is its own owner, so two handlers of one process never share a lease.
  const owner = `${runner.owner}:${randomUUID().slice(0, 8)}`

  for (let look = 0; look < 5; look++) {
    const current = await files.read<ChunkState>(jobPaths.state(job.id, chunk))

    if (!current) return 'gone'
    const state = current.data

    if (state.phase === 'done') {
      await sendNext(runner, job, state)

      return 'skipped'
    }

    // An outage failed the job here: only a resume (which removes final.json) runs the chunk again.
    if (
      state.phase === 'failed' &&
      (await files.read<JobFinal>(jobPaths.final(job.id)))
    )
      return 'failed'

    const now = clock.now()
    const heldUntil = (state.leaseUntil ?? 0) + (runner.clockSkewMs ?? 0)

    if (state.phase === 'running' && heldUntil > now) {
      // Its holder may be dead (this is then a redelivery): wait for the lease to run out once.
      if (look > 0) return 'held'
      await clock.sleep(
        Math.min(
          heldUntil - now + 50,
          runner.leaseMs + (runner.clockSkewMs ?? 0) + 1000
        )
      )
      continue
    }

    if (await files.read<CancelMark>(jobPaths.cancel(job.id))) {
      // A dead replica's expired claim on a cancelled job: give it back, so the job reads cancelled.
      if (state.phase === 'running')
        await writeState(
          runner,
          job,
          {
            chunk: state.chunk,
            phase: 'pending',
            attempt: state.attempt,
            ...keptCheckpoint(state),
          },
          current.etag
        ).catch((error) => {
          if (!(error instanceof JobFileConflict)) throw error
        })

      return 'cancelled'
    }

    const claimed: ChunkState = {
      chunk: state.chunk,
      phase: 'running',
      attempt: state.attempt + 1,
      owner,
      leaseUntil: now + runner.leaseMs,
      startedAt: new Date(now).toISOString(),
      heartbeatAt: new Date(now).toISOString(),
      ...keptCheckpoint(state),
    }

    let claim: Versioned<ChunkState>

    try {
      claim = await writeState(runner, job, claimed, current.etag)
    } catch (error) {
      if (error instanceof JobFileConflict) continue
      throw error
    }

    // A cancel written between the check above and the claim: give the chunk back unrun.
    if (await files.read<CancelMark>(jobPaths.cancel(job.id))) {
      const released: ChunkState = {
        chunk: state.chunk,
        phase: 'pending',
        attempt: claimed.attempt,
        ...keptCheckpoint(state),
      }

      await writeState(runner, job, released, claim.etag).catch(() => undefined)

      return 'cancelled'
    }

    return runClaimed(runner, job, claim)
  }

  return 'held'
}

async function runClaimed(
  runner: ChunkRunner,
  job: JobDefinition,
  claim: Versioned<ChunkState>
): Promise<ChunkOutcome> {
  const { files, clock, settings } = runner
  const chunk = claim.data.chunk
  const items =
    // An undo's items keep their `expect` in the file.
    (await files.read<GuardedItem[]>(jobPaths.items(job.id, chunk)))?.data ?? []
  const checkpoint = claim.data.checkpoint
  // Items earlier slices finished are kept; this slice runs the others.
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
  // What earlier claims of the chunk were about to write (a killed replica's PUTs among them).
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

  let lease = claim
  let lost = false
  // A Catalog call may take a whole request timeout: none starts unless the lease outlasts it.
  const mayCall = () =>
    !lost &&
    clock.now() + settings.requestTimeoutMs < (lease.data.leaseUntil ?? 0)

  const renew = async () => {
    const at = clock.now()
    const next: ChunkState = {
      ...lease.data,
      leaseUntil: at + runner.leaseMs,
      heartbeatAt: new Date(at).toISOString(),
    }

    try {
      lease = await writeState(runner, job, next, lease.etag)
    } catch (error) {
      // A conflict means another replica took the chunk; any other error, retry on the next beat.
      if (error instanceof JobFileConflict) lost = true
    }
  }

  // The heartbeat runs on the injected clock, so tests drive it in virtual time.
  const stopBeating = new AbortController()
  const beatMs = Math.max(50, Math.floor(runner.leaseMs / 3))
  const beating = (async () => {
    for (;;) {
      await clock.sleep(beatMs, stopBeating.signal)
      if (stopBeating.signal.aborted || lost) return
      await renew()
    }
  })()

  const stopHeartbeat = async () => {
    stopBeating.abort()
    await beating
  }

  let fencedCalls = 0
  const refuse = () => {
    fencedCalls += 1

    return Promise.reject(new LeaseLost())
  }

  const fenced: Pick<CatalogClient, 'read' | 'write'> = {
    read: (kind, id, options: CatalogCallOptions) => {
      if (!mayCall()) return refuse()

      return runner.catalog.read(kind, id, options)
    },
    write: (kind, id, body, options: CatalogCallOptions) => {
      if (!mayCall()) return refuse()

      return runner.catalog.write(kind, id, body, options)
    },
  }

  try {
    // Each PUT leaves only once its item's {id, previousScore} is in this claim's journal, after the fence's check.
    const catalog = journallingCatalog(fenced, journal, journalBefore)
    // An undo's items carry `expect`: each is restored only while its Score is still what the job wrote.
    const result = await runScoreBatch(catalog, {
      target: job.kind === 'product' ? PRODUCT_TARGET : CATEGORY_TARGET,
      items: slice,
      settings,
      call: {
        credentials: runner.credentials,
        timeoutMs: settings.requestTimeoutMs,
      },
      dryRun: job.dryRun,
      allowFieldDrift: job.allowFieldDrift,
      // The slice's bound: no call starts after it; items it stops are left for the next slice.
      deadlineAt: sliceStart + (runner.sliceMs ?? DEFAULT_SLICE_MS),
      // Backoff and the item retry window on the lease's clock: one time for both.
      clock,
      retryWindowMs,
    })

    await stopHeartbeat()
    // Another claim replaced this one: keep nothing, and let the event come again.
    if (lost) throw new LeaseLost()
    // Fenced without a conflict (a heartbeat was late): keep nothing, let a redelivery redo it.
    if (fencedCalls > 0)
      throw new Error(
        `chunk ${chunk} of job ${job.id} was fenced; it will be redone`
      )

    const ranNow = elementsOf(result.envelope)
    const carried = result.envelope.failedResponses.elements.filter(carriedOver)
    const final = ranNow
      .filter((element) => element.success === 'true' || !carriedOver(element))
      // The window ran over several slices: say how long it was, not what was left of it.
      .map((element) => restateWindow(element, itemWindowMs))
      // An item an earlier claim wrote, found here at the job's Score, is UPDATED from the Score its journal kept.
      .map((element) =>
        element.success === 'true'
          ? withJournal(element, journalBefore)
          : element
      )
    const merged = envelopeOf([...before, ...final], items.length, job.dryRun)
    // A credential refusal ends the chunk; otherwise items the slice's deadline stopped are run by the next slice.
    const stopped = result.status === 401 || result.status === 403

    await files.write(
      jobPaths.results(job.id, chunk, claim.data.attempt),
      merged,
      { ttlSec: runner.ttlSec }
    )

    if (carried.length > 0 && !stopped) {
      const progressed = result.envelope.successfulResponses.quantity > 0
      const at = clock.now()
      const next: ChunkState = {
        chunk,
        phase: 'pending',
        attempt: claim.data.attempt,
        startedAt: claim.data.startedAt,
        heartbeatAt: new Date(at).toISOString(),
        checkpoint: {
          attempt: claim.data.attempt,
          done:
            merged.successfulResponses.quantity +
            merged.failedResponses.quantity,
          counts: outcomeCountsOf(merged),
          ...(progressed
            ? {}
            : { stuckSince: checkpoint?.stuckSince ?? sliceStart }),
          at: new Date(at).toISOString(),
        },
      }

      try {
        await writeState(runner, job, next, lease.etag)
      } catch (error) {
        if (error instanceof JobFileConflict) throw new LeaseLost()
        throw error
      }

      // The rest of the chunk is the next event's: sent by this slice, not left to a redelivery.
      await sendNextSlice(runner, job, chunk)

      return 'sliced'
    }

    const finishedAt = new Date(clock.now()).toISOString()
    // An outage fails the chunk only when no item of it succeeded, in any slice.
    const status =
      result.status >= 500 && merged.successfulResponses.quantity > 0
        ? 200
        : result.status
    const failure = chunkFailureOf(status, merged)
    const done: ChunkState = {
      chunk,
      // An outage leaves the chunk to run again on a resume; a credential refusal ends it.
      phase: isResumable(failure) ? 'failed' : 'done',
      attempt: claim.data.attempt,
      owner: claim.data.owner,
      startedAt: claim.data.startedAt,
      finishedAt,
      counts: outcomeCountsOf(merged),
      ...(failure ? { failure } : {}),
    }

    try {
      await writeState(runner, job, done, lease.etag)
    } catch (error) {
      if (error instanceof JobFileConflict) throw new LeaseLost()
      throw error
    }

    await sendNext(runner, job, done)

    return 'ran'
  } finally {
    await stopHeartbeat()
  }
}
