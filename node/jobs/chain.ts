import type { ChunkRunner } from './runChunk'
import { jobPaths } from './files'
import { failureOfState, isResumable } from './failure'
import { CHUNK_EVENT_KEY, ChunkState, JobDefinition, JobFinal } from './model'

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
export const sendNextSlice = (
  runner: ChunkRunner,
  job: JobDefinition,
  chunk: number
) => runner.sendEvent(CHUNK_EVENT_KEY, { jobId: job.id, chunk })
