import { randomUUID } from 'crypto'

import { JobFileConflict, jobPaths, Versioned } from './files'
import { keptCheckpoint, writeState } from './lease'
import type { CancelMark, ChunkState, JobDefinition, JobFinal } from './model'
import { sendNext } from './chain'
import type { ChunkOutcome, ChunkRunner } from './runner'

/** A claim won: the chunk's state as this claim wrote it, and its ETag. */
export type Claim = Versioned<ChunkState>

/**
 * Claims a chunk for this replica, or says why it runs nowhere here: a done
 * chunk is skipped (its next event is sent again); a chunk whose lease is
 * live elsewhere is left to its holder (after waiting for it to run out
 * once); a cancelled job's chunk is given back unrun. Otherwise the chunk's
 * state is replaced with If-Match: one claimant wins, the others get a 412
 * and look again.
 */
export async function claimChunk(
  runner: ChunkRunner,
  job: JobDefinition,
  chunk: number
): Promise<Claim | ChunkOutcome> {
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

    return claim
  }

  return 'held'
}
