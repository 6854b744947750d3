import { systemClock } from '../../bulk/clock'
import { integerQuery, assertKnownQuery } from '../../input/query'
import { RequestError } from '../../input/requestError'
import { recentJobs } from '../../jobs/control'
import { JOB_STATUSES, JobStatus, linksOf } from '../../jobs/summary'
import { DONE_CHUNKS, healerFor, jobCaller, noStore } from './common'

/**
 * GET the account's recent jobs of the kinds the caller may edit, each with
 * its status and counts; `?status=` (one or more, comma-separated) keeps
 * jobs of those statuses.
 */
export async function listJobs(ctx: Context) {
  await jobCaller(ctx)
  assertKnownQuery(ctx.query, ['limit', 'status'])
  const limit = integerQuery(ctx.query, 'limit', {
    fallback: 20,
    min: 1,
    max: 100,
  })
  const statuses = statusQuery(ctx)
  const listed = await recentJobs(ctx.clients.jobFiles, limit, ['product'], {
    statuses,
    now: systemClock.now(),
    doneChunks: DONE_CHUNKS,
    heal: healerFor(ctx),
  })

  noStore(ctx)
  ctx.body = {
    jobs: listed.map(({ job, summary }) => ({
      jobId: job.id,
      kind: job.kind,
      status: summary.status,
      total: job.total,
      dryRun: job.dryRun,
      progress: summary.progress,
      counts: summary.counts,
      succeeded: summary.succeeded,
      failed: summary.failed,
      createdAt: job.createdAt,
      ...(summary.finishedAt ? { finishedAt: summary.finishedAt } : {}),
      expiresAt: job.expiresAt,
      startedBy: job.startedBy,
      ...(job.undoOf ? { undoOf: job.undoOf } : {}),
      ...(summary.error ? { error: summary.error } : {}),
      ...(summary.stalled ? { stalled: summary.stalled } : {}),
      links: { self: linksOf(job.id).self },
    })),
  }
}

/** `?status=running,queued`: the statuses to keep; undefined keeps all. */
function statusQuery(ctx: Context): JobStatus[] | undefined {
  const raw = ctx.query.status

  if (raw === undefined || raw === '') return undefined
  const values = (Array.isArray(raw) ? raw : [raw]).flatMap((value) =>
    value.split(',')
  )

  if (!values.every((v) => (JOB_STATUSES as readonly string[]).includes(v)))
    throw new RequestError(
      400,
      'INVALID_QUERY',
      `Query parameter 'status' must be one or more of ${JOB_STATUSES.join(
        ', '
      )}, comma-separated.`
    )

  return values as JobStatus[]
}
