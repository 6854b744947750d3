import type { Claim } from './claim'
import { chunkFailureOf, failureOfState, isResumable } from './failure'
import { JobFileConflict, jobPaths } from './files'
import { LeaseLost, writeState } from './lease'
import { CHUNK_EVENT_KEY, ChunkState, JobDefinition, JobFinal } from './model'
import type { ChunkOutcome, ChunkRunner } from './runner'
import { outcomeCountsOf } from './slice'
import type { SliceInput, SliceResult } from './sliceRun'

/**
 * What a slice leaves behind, and what runs next: its results are stored;
 * then either the chunk is checkpointed and its own event sent for the
 * items the slice's deadline stopped ('sliced'), or the chunk is done (or
 * failed, for an outage) and the next chunk's event is sent, or the job's
 * end written ('ran'). Each state write is If-Match on the lease as last
 * renewed: a 412 means another claim took the chunk (LeaseLost).
 */
export async function settleSlice(
  runner: ChunkRunner,
  job: JobDefinition,
  claim: Claim,
  lease: Claim,
  input: SliceInput,
  result: SliceResult
): Promise<ChunkOutcome> {
  const { files, clock } = runner
  const chunk = claim.data.chunk
  const { merged } = result
  // A credential refusal ends the chunk; otherwise items the slice's deadline stopped are run by the next slice.
  const stopped = result.status === 401 || result.status === 403

  await files.write(
    jobPaths.results(job.id, chunk, claim.data.attempt),
    merged,
    { ttlSec: runner.ttlSec }
  )

  if (result.carried > 0 && !stopped) {
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
          merged.successfulResponses.quantity + merged.failedResponses.quantity,
        counts: outcomeCountsOf(merged),
        ...(result.progressed
          ? {}
          : { stuckSince: input.checkpoint?.stuckSince ?? input.sliceStart }),
        at: new Date(at).toISOString(),
      },
    }

    await writeHeld(runner, job, next, lease)
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

  await writeHeld(runner, job, done, lease)
  await sendNext(runner, job, done)

  return 'ran'
}

/** A state write under the lease: a 412 means another claim holds the chunk now. */
async function writeHeld(
  runner: ChunkRunner,
  job: JobDefinition,
  state: ChunkState,
  lease: Claim
) {
  try {
    await writeState(runner, job, state, lease.etag)
  } catch (error) {
    if (error instanceof JobFileConflict) throw new LeaseLost()
    throw error
  }
}

/** After a done (or failed) chunk: the next chunk's event, or the job's end. */
export async function sendNext(
  runner: ChunkRunner,
  job: JobDefinition,
  done: ChunkState
) {
  const { files, clock } = runner
  const failure = failureOfState(done)

  if (failure) {
    const final: JobFinal = {
      status: 'failed',
      finishedAt: done.finishedAt ?? new Date(clock.now()).toISOString(),
      error: failure,
      ...(isResumable(failure) ? { resumable: true } : {}),
    }

    await files.write(jobPaths.final(job.id), final, { ttlSec: runner.ttlSec })

    return
  }

  if (done.chunk + 1 < job.chunks) {
    await runner.sendEvent(CHUNK_EVENT_KEY, {
      jobId: job.id,
      chunk: done.chunk + 1,
    })

    return
  }

  if (!(await files.read<JobFinal>(jobPaths.final(job.id)))) {
    const final: JobFinal = {
      status: 'done',
      finishedAt: done.finishedAt ?? new Date(clock.now()).toISOString(),
    }

    await files.write(jobPaths.final(job.id), final, { ttlSec: runner.ttlSec })
  }
}

/** A slice checkpointed its chunk: the chunk's own event, for the next slice (sent by the slice, not left to a redelivery). */
const sendNextSlice = (
  runner: ChunkRunner,
  job: JobDefinition,
  chunk: number
) => runner.sendEvent(CHUNK_EVENT_KEY, { jobId: job.id, chunk })
