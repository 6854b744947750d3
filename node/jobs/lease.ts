import { JobFileConflict, jobPaths, Versioned } from './files'
import type { ChunkState, JobDefinition } from './model'
import type { ChunkRunner } from './runner'

/**
 * The lease of a chunk: a claim replaces the chunk's state with If-Match,
 * and only the holder of the state it wrote may go on.
 *
 * LeaseLost is thrown by the fenced Catalog once this replica may no longer
 * hold the lease, and by the handler when another claim replaced its own:
 * the chunk is then its new holder's, or, once that lease runs out, the next
 * read of the job sends its event again (jobs/heal.ts).
 */
export class LeaseLost extends Error {
  constructor(detail = 'another replica runs this chunk') {
    super(`The chunk lease was lost; ${detail}.`)
    this.name = 'LeaseLost'
  }
}

/** What the slices of a chunk did so far, kept across a claim or a give-back. */
export const keptCheckpoint = (state: ChunkState) =>
  state.checkpoint ? { checkpoint: state.checkpoint } : {}

/**
 * Replaces a chunk's state with If-Match; resolves with the state stored and
 * its ETag. A 412 is not always someone else's write: a write of ours that
 * landed but whose answer was lost, sent again, meets its own ETag change.
 * So on a 412 (or a store that answers no ETag) the state is read back: when
 * it is still this claim (same owner, attempt and phase), that stored state
 * and its ETag are taken (a heartbeat's lease may then be an earlier one of
 * ours); otherwise the JobFileConflict stands.
 */
export async function writeState(
  runner: ChunkRunner,
  job: JobDefinition,
  state: ChunkState,
  ifMatch: string
): Promise<Versioned<ChunkState>> {
  const path = jobPaths.state(job.id, state.chunk)
  let etag: string | undefined

  try {
    etag = await runner.files.write(path, state, {
      ifMatch,
      ttlSec: runner.ttlSec,
    })
  } catch (error) {
    if (!(error instanceof JobFileConflict)) throw error
  }

  if (etag) return { data: state, etag }
  const written = await runner.files.read<ChunkState>(path)

  if (
    !written ||
    written.data.owner !== state.owner ||
    written.data.attempt !== state.attempt ||
    written.data.phase !== state.phase
  )
    throw new JobFileConflict(path)

  return written
}
