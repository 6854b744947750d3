import { randomUUID } from 'crypto'
import { Readable } from 'stream'

import { jobCallerOf } from '../access/authorize'
import { systemClock } from '../bulk/clock'
import { REPLICA, sendEventOf } from '../events/replica'
import { assertKnownQuery, integerQuery } from '../input/query'
import { RequestError } from '../input/requestError'
import {
  clockSkewMsFor,
  eventGraceMsFor,
  jobLimits,
  localJobsRefusal,
} from '../jobs/config'
import { cancelJob, recentJobs, resumeJob as resume } from '../jobs/control'
import { createJob } from '../jobs/create'
import { delimiterNamed, resultSheet, sheetType } from '../jobs/csvWriter'
import { jobPaths } from '../jobs/files'
import { healerOf } from '../jobs/heal'
import { isExpired, JobDefinition } from '../jobs/model'
import {
  chunkRows,
  MAX_PAGE,
  noChunkWillStart,
  resultsPage,
} from '../jobs/results'
import {
  DoneChunks,
  isFinished,
  JOB_STATUSES,
  JobStatus,
  linksOf,
  summarise,
  summaryOf,
} from '../jobs/summary'
import { startUndo, undoItemsOf } from '../jobs/undo'
import type { ScoreTarget } from '../scores/targets'

/** Done chunk states of the jobs read last here: a polled summary reads only the chunks not done. */
const DONE_CHUNKS = new DoneChunks()

/** A read of a job heals it: a stalled job's event is sent again, once for many readers. */
const healerFor = (ctx: Context) =>
  healerOf(ctx.clients.jobFiles, sendEventOf(ctx.clients), {
    clockSkewMs: clockSkewMsFor(),
    eventGraceMs: eventGraceMsFor(),
    ttlSec: jobLimits().retentionSec,
    owner: REPLICA,
  })

const noStore = (ctx: Context) => ctx.set('Cache-Control', 'no-store')

/** Who calls a job route, if VTEX ID and License Manager let them manage this account's jobs. */
const jobCaller = jobCallerOf

/** A job needs credentials to run with; a local run against a store may have none. */
function assertJobsCanRun() {
  const refusal = localJobsRefusal()

  if (refusal) throw refusal
}

/** `?async=true`: check the caller may edit the Catalog, store the job, send its first event, answer 202. */
export function startJob(target: ScoreTarget) {
  return async function startJobFor(ctx: Context) {
    const { items, dryRun, allowFieldDrift } = ctx.state

    assertJobsCanRun()
    const startedBy = await jobCaller(ctx)

    const idempotencyKey = ctx.get('Idempotency-Key') || undefined

    if (idempotencyKey && idempotencyKey.length > 255)
      throw new RequestError(
        400,
        'INVALID_IDEMPOTENCY_KEY',
        'The Idempotency-Key header must be at most 255 characters.'
      )

    const created = await createJob(
      ctx.clients.jobFiles,
      sendEventOf(ctx.clients),
      systemClock,
      {
        id: randomUUID(),
        kind: target.kind,
        account: ctx.vtex.account,
        dryRun,
        allowFieldDrift,
        items,
        startedBy,
        idempotencyKey,
      },
      jobLimits()
    )

    if (created.outcome === 'conflict')
      throw new RequestError(
        409,
        'IDEMPOTENCY_KEY_REUSED',
        `This Idempotency-Key was used for job ${created.jobId} with another body.`
      )

    if (created.outcome === 'inProgress') {
      ctx.set('Retry-After', '5')
      throw new RequestError(
        409,
        'IDEMPOTENCY_KEY_IN_PROGRESS',
        `A request with this Idempotency-Key is still storing job ${created.jobId}; send it again in a few seconds.`
      )
    }

    const jobId = created.outcome === 'created' ? created.job.id : created.jobId
    // A replay answers the job as it is now, not as it was queued.
    const status =
      created.outcome === 'created'
        ? 'queued'
        : (await summaryOf(ctx.clients.jobFiles, jobId, systemClock.now()))
            ?.status ?? 'queued'

    noStore(ctx)
    if (created.outcome === 'replayed') ctx.set('Idempotent-Replayed', 'true')
    ctx.state.jobCreated = created.outcome === 'created'
    ctx.status = 202
    ctx.body = {
      jobId,
      status,
      statusUrl: linksOf(jobId).self,
      links: linksOf(jobId),
    }
  }
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

/** GET a job: its constant-size summary; a stalled job is healed (its event sent again). */
export async function jobSummary(ctx: Context) {
  assertKnownQuery(ctx.query, [])
  noStore(ctx)
  ctx.body = await summarise(
    ctx.clients.jobFiles,
    ctx.state.job,
    systemClock.now(),
    DONE_CHUNKS,
    healerFor(ctx)
  )
}

/** GET a job's results, a page at a time: `?cursor=` (from the previous page's nextCursor) and `?limit=` (at most 1000). */
export async function jobResults(ctx: Context) {
  const { job } = ctx.state

  assertKnownQuery(ctx.query, ['cursor', 'limit'])
  const cursor = integerQuery(ctx.query, 'cursor', {
    fallback: 0,
    min: 0,
    max: job.total,
  })
  const limit = integerQuery(ctx.query, 'limit', {
    fallback: 100,
    min: 1,
    max: MAX_PAGE,
  })
  // Two small files, not every chunk's state: a page costs what it covers.
  const finished = await noChunkWillStart(ctx.clients.jobFiles, job)

  noStore(ctx)
  ctx.body = await resultsPage(
    ctx.clients.jobFiles,
    job,
    cursor,
    limit,
    finished
  )
}

/**
 * GET the CSV report (or, with `?only=failed`, the failed rows to fix and
 * upload again, in the same columns), streamed chunk by chunk, with a BOM,
 * delimited by `?delimiter=` (comma, semicolon or tab; a comma by default).
 */
export async function jobReport(ctx: Context) {
  const { job } = ctx.state

  assertKnownQuery(ctx.query, ['only', 'delimiter'])
  const { only, delimiter: delimiterName = 'comma' } = ctx.query

  if (only !== undefined && only !== 'failed')
    throw new RequestError(
      400,
      'INVALID_QUERY',
      "Query parameter 'only' must be 'failed'."
    )

  const delimiter = delimiterNamed(delimiterName)

  if (!delimiter)
    throw new RequestError(
      400,
      'INVALID_QUERY',
      "Query parameter 'delimiter' must be 'comma', 'semicolon' or 'tab'."
    )

  const summary = await summarise(
    ctx.clients.jobFiles,
    job,
    systemClock.now(),
    DONE_CHUNKS
  )

  if (!isFinished(summary))
    throw new RequestError(
      409,
      'JOB_NOT_FINISHED',
      'The report is available once the job is done, failed or cancelled.'
    )

  const { type, extension } = sheetType(delimiter)

  noStore(ctx)
  ctx.type = type
  ctx.set(
    'Content-Disposition',
    `attachment; filename="score-job-${job.id}${
      only ? '-failed' : ''
    }.${extension}"`
  )
  ctx.body = Readable.from(
    resultSheet(
      (chunk) => chunkRows(ctx.clients.jobFiles, job, chunk, true),
      job.chunks,
      { delimiter, ...(only ? { only: 'failed' as const } : {}) }
    )
  )
}

/** POST cancel: chunks not started are not run; the summary says what was written. */
export async function cancelJobRoute(ctx: Context) {
  const { job, caller } = ctx.state

  assertKnownQuery(ctx.query, [])
  const before = await summarise(
    ctx.clients.jobFiles,
    job,
    systemClock.now(),
    DONE_CHUNKS
  )

  if (before.status === 'done' || before.status === 'failed')
    throw new RequestError(
      409,
      'JOB_FINISHED',
      `The job is already ${before.status}.`
    )

  await cancelJob(
    ctx.clients.jobFiles,
    systemClock,
    job,
    caller,
    jobLimits().retentionSec
  )
  noStore(ctx)
  ctx.status = 202
  ctx.body = await summarise(
    ctx.clients.jobFiles,
    job,
    systemClock.now(),
    DONE_CHUNKS
  )
}

/** POST resume: sends the event of the first chunk not done again (harmless: the handler is idempotent). */
export async function resumeJob(ctx: Context) {
  const { job } = ctx.state

  assertKnownQuery(ctx.query, [])
  assertJobsCanRun()
  const before = await summarise(
    ctx.clients.jobFiles,
    job,
    systemClock.now(),
    DONE_CHUNKS
  )

  await resume(ctx.clients.jobFiles, sendEventOf(ctx.clients), job, before)
  noStore(ctx)
  ctx.status = 202
  ctx.body = before
}

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

/**
 * POST undo: a new job that restores previousScore for every item the job
 * updated, only where the Score is still what the job wrote; any other item
 * is reported CONFLICT and left alone. Undoing a job twice answers the same undo job,
 * as it is now; one that was cancelled or failed is started again.
 */
export async function undoJobRoute(ctx: Context) {
  const { job, caller } = ctx.state

  assertKnownQuery(ctx.query, [])
  assertJobsCanRun()
  const summary = await summarise(
    ctx.clients.jobFiles,
    job,
    systemClock.now(),
    DONE_CHUNKS
  )

  if (!isFinished(summary))
    throw new RequestError(
      409,
      'JOB_NOT_FINISHED',
      'Only a finished job can be undone.'
    )
  if (job.dryRun)
    throw new RequestError(409, 'NOTHING_TO_UNDO', 'A dry run wrote nothing.')

  const { items, unrestorable } = await undoItemsOf(ctx.clients.jobFiles, job)

  if (items.length === 0)
    throw new RequestError(
      409,
      'NOTHING_TO_UNDO',
      'The job updated no Score that can be restored.'
    )

  // A cancelled or failed undo is started again; any other answers as it is now.
  const { jobId, status } = await startUndo(
    ctx.clients.jobFiles,
    sendEventOf(ctx.clients),
    systemClock,
    { job, items, startedBy: caller, newId: randomUUID },
    jobLimits()
  )

  noStore(ctx)
  ctx.status = 202
  ctx.body = {
    jobId,
    undoOf: job.id,
    status,
    items: items.length,
    // Updated items whose Score was empty before: VTEX has no Score to put back.
    unrestorable,
    statusUrl: linksOf(jobId).self,
    links: linksOf(jobId),
  }
}
