import { jobCallerOf } from '../../access/authorize'
import { systemClock } from '../../bulk/clock'
import { REPLICA, sendEventOf } from '../../events/replica'
import { RequestError } from '../../input/requestError'
import {
  clockSkewMsFor,
  eventGraceMsFor,
  jobLimits,
  localJobsRefusal,
} from '../../jobs/config'
import { jobPaths } from '../../jobs/files'
import { healerOf } from '../../jobs/heal'
import { DoneChunks, isFinished, summarise } from '../../jobs/summary'
import { isExpired, JobDefinition } from '../../jobs/model'

/* What every job route shares: who may call, the job of the path, how reads heal, and no caching. */

/** Done chunk states of the jobs read last here: a polled summary reads only the chunks not done. */
export const DONE_CHUNKS = new DoneChunks()

/** A read of a job heals it: a stalled job's event is sent again, once for many readers. */
export const healerFor = (ctx: Context) =>
  healerOf(ctx.clients.jobFiles, sendEventOf(ctx.clients), {
    clockSkewMs: clockSkewMsFor(),
    eventGraceMs: eventGraceMsFor(),
    ttlSec: jobLimits().retentionSec,
    owner: REPLICA,
  })

export const noStore = (ctx: Context) => ctx.set('Cache-Control', 'no-store')

/** Who calls a job route, if VTEX ID and License Manager let them manage this account's jobs. */
export const jobCaller = jobCallerOf

/** A job needs credentials to run with; a local run against a store may have none. */
export function assertJobsCanRun() {
  const refusal = localJobsRefusal()

  if (refusal) throw refusal
}

/** Loads the job of the path for a caller License Manager lets manage jobs (no Catalog call). */
export async function loadJob(ctx: Context, next: () => Promise<void>) {
  // Only a caller who may manage jobs learns whether a job id exists.
  ctx.state.caller = await jobCaller(ctx)
  const jobId = String(ctx.vtex.route.params.jobId ?? '')
  const job = /^[0-9a-f-]{36}$/.test(jobId)
    ? (await ctx.clients.jobFiles.read<JobDefinition>(jobPaths.job(jobId)))
        ?.data
    : undefined

  if (
    !job ||
    job.account !== ctx.vtex.account ||
    isExpired(job, systemClock.now())
  ) {
    throw new RequestError(
      404,
      'JOB_NOT_FOUND',
      `No score job '${jobId.slice(0, 64)}' in this account.`
    )
  }

  ctx.state.job = job
  await next()
}

/** The job's summary, if the job is finished (done, failed or cancelled); else 409 JOB_NOT_FINISHED saying why it must be. */
export async function finishedSummary(
  ctx: Context,
  job: JobDefinition,
  refusal: string
) {
  const summary = await summarise(
    ctx.clients.jobFiles,
    job,
    systemClock.now(),
    DONE_CHUNKS
  )

  if (!isFinished(summary))
    throw new RequestError(409, 'JOB_NOT_FINISHED', refusal)

  return summary
}
