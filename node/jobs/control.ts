import type { Clock } from '../bulk/clock'
import type { SendEvent } from './create'
import { JobFiles, jobPaths } from './files'
import { CancelMark, CHUNK_EVENT_KEY, JobDefinition, JobOwner } from './model'
import { chunkStates } from './summary'

/** Marks a job cancelled (once: a second cancel keeps the first mark). No chunk starts after it. */
export async function cancelJob(
  files: JobFiles,
  clock: Clock,
  job: JobDefinition,
  by: JobOwner,
  ttlSec: number
) {
  if (await files.read<CancelMark>(jobPaths.cancel(job.id))) return
  const mark: CancelMark = { at: new Date(clock.now()).toISOString(), by }

  await files.write(jobPaths.cancel(job.id), mark, { ttlSec })
}

/**
 * Sends the event of the first chunk not done, as a nudge: harmless
 * however often it is sent (the handler is idempotent), useful when every
 * delivery of an event failed. Resolves with that chunk, or undefined.
 */
export async function nudgeJob(
  files: JobFiles,
  sendEvent: SendEvent,
  job: JobDefinition
) {
  const states = await chunkStates(files, job)
  const chunk = states.findIndex((state) => state?.phase !== 'done')

  if (chunk < 0) return undefined
  await sendEvent(CHUNK_EVENT_KEY, { jobId: job.id, chunk })

  return chunk
}

/** The account's jobs, newest first (the index holds one small file per job). */
export async function recentJobs(files: JobFiles, limit: number) {
  const paths = (await files.list(jobPaths.indexPrefix)).sort().slice(0, limit)
  const jobs = await Promise.all(
    paths.map(async (path) => {
      const id = /-([0-9a-f-]{36})\.json$/.exec(path)?.[1]

      return id
        ? (await files.read<JobDefinition>(jobPaths.job(id)))?.data
        : undefined
    })
  )

  return jobs.filter((job): job is JobDefinition => job !== undefined)
}
