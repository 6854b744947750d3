import type { Clock } from '../bulk/clock'
import type { CatalogKind } from '../clients/catalog'
import { RequestError } from '../input/requestError'
import type { SendEvent } from './create'
import { JobFileConflict, JobFiles, jobPaths } from './files'
import {
  CancelMark,
  CHUNK_EVENT_KEY,
  isExpired,
  JobDefinition,
  JobFinal,
  JobOwner,
} from './model'
import type { Healer } from './heal'
import {
  chunkStates,
  DoneChunks,
  JobStatus,
  JobSummary,
  summarise,
} from './summary'

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

/**
 * Resumes a job: sends the event of its first chunk not done. A job that
 * failed on an outage (the Catalog down past the item retry window) is
 * resumed: its `final.json` is removed (If-Match, so two resumes remove it
 * once) and the chunk the outage failed runs again. A job that is done,
 * cancelled, or failed because the Catalog refused the app's credentials is
 * not resumed: a 409. Such a failed job's unrun items are in its failed rows
 * (`NOT_ATTEMPTED`), to upload again as a new job once the policies are fixed.
 */
export async function resumeJob(
  files: JobFiles,
  sendEvent: SendEvent,
  job: JobDefinition,
  summary: JobSummary
) {
  if (summary.status === 'done')
    throw new RequestError(409, 'JOB_DONE', 'The job is already done.')
  if (summary.status === 'cancelled' || summary.status === 'cancelling')
    throw new RequestError(409, 'JOB_CANCELLED', 'The job was cancelled.')
  if (summary.status === 'failed') {
    if (!summary.error?.resumable)
      throw new RequestError(
        409,
        'JOB_FAILED',
        'The job failed and stays failed; upload its failed rows (report.csv?only=failed) as a new job.'
      )
    const final = await files.read<JobFinal>(jobPaths.final(job.id))

    if (final?.data.resumable)
      await files
        .remove(jobPaths.final(job.id), { ifMatch: final.etag })
        .catch((error) => {
          // Another resume removed it first.
          if (!(error instanceof JobFileConflict)) throw error
        })
  }

  return nudgeJob(files, sendEvent, job)
}

/** A job in the list: its definition and its summary as it is now. */
export interface ListedJob {
  job: JobDefinition
  summary: JobSummary
}

/** Index entries examined at most by one list request (30 days of jobs is far fewer for most accounts). */
export const MAX_LISTED_SCAN = 2000

/**
 * The account's jobs of the given kinds (and, with `statuses`, of those
 * statuses), newest first, each with its summary. The index holds one
 * small file per job, listed through every VBase page; it is read a page of
 * `limit` entries at a time until enough jobs match, examining at most
 * MAX_LISTED_SCAN entries.
 */
export async function recentJobs(
  files: JobFiles,
  limit: number,
  kinds: CatalogKind[] = ['product', 'category'],
  options: {
    statuses?: JobStatus[]
    now?: number
    doneChunks?: DoneChunks
    /** Heals each stalled job listed (sends its event again, once for many readers). */
    heal?: Healer
  } = {}
): Promise<ListedJob[]> {
  const paths = (await files.list(jobPaths.indexPrefix)).sort()
  const listed: ListedJob[] = []
  const now = options.now ?? Date.now()
  const scan = Math.min(paths.length, MAX_LISTED_SCAN)

  for (let from = 0; from < scan && listed.length < limit; from += limit) {
    const page = await Promise.all(
      paths.slice(from, Math.min(scan, from + limit)).map(async (path) => {
        const id = /-([0-9a-f-]{36})\.json$/.exec(path)?.[1]
        const job = id
          ? (await files.read<JobDefinition>(jobPaths.job(id)))?.data
          : undefined

        if (!job || !kinds.includes(job.kind) || isExpired(job, now))
          return undefined

        return {
          job,
          summary: await summarise(
            files,
            job,
            now,
            options.doneChunks,
            options.heal
          ),
        }
      })
    )

    for (const entry of page)
      if (
        entry &&
        (!options.statuses ||
          options.statuses.includes(entry.summary.status)) &&
        listed.length < limit
      )
        listed.push(entry)
  }

  return listed
}
