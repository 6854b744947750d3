import { randomUUID } from 'crypto'

import { CatalogError } from '../clients/catalog'
import { JobMeta, JobStore } from '../jobs/jobStore'
import { envelopeToCsv, jobEnvelope } from '../jobs/report'
import { isStale, runJob } from '../jobs/runJob'
import { RequestError } from '../input/requestError'
import { CATEGORY_TARGET, PRODUCT_TARGET, ScoreTarget } from '../scores/targets'
import { jobTimings } from '../settings'

const CHUNK_SIZE = 500
const JOBS_PATH = '/_v/massive/score/jobs'
const targetOf = (meta: JobMeta): ScoreTarget =>
  meta.kind === 'product' ? PRODUCT_TARGET : CATEGORY_TARGET

/** Runs a job after the answer has gone; its state lives in VBase, so any replica can report it. */
function runInBackground(ctx: Context, meta: JobMeta) {
  const { settings, credentials } = ctx.state

  void runJob(meta, {
    store: new JobStore(ctx.clients.vbase),
    catalog: ctx.clients.catalog,
    target: targetOf(meta),
    settings,
    call: {
      credentials,
      timeoutMs: settings.requestTimeoutMs,
      baseURL: settings.catalogBaseUrl,
    },
    heartbeatMs: jobTimings().heartbeatMs,
  }).then(
    (final) =>
      ctx.vtex.logger.info({
        message: 'Score job finished',
        jobId: final.id,
        status: final.status,
        ...final.progress,
      }),
    (error) =>
      ctx.vtex.logger.error({
        message: 'Score job crashed',
        jobId: meta.id,
        error: String(error),
      })
  )
}

/** `?async=true`: store the validated batch as a job, answer 202, and run it in the background. */
export function startJob(target: ScoreTarget) {
  return async function startJobFor(ctx: Context) {
    const { items, dryRun, allowFieldDrift } = ctx.state
    const now = new Date().toISOString()
    const meta: JobMeta = {
      id: randomUUID(),
      kind: target.kind,
      account: ctx.vtex.account,
      dryRun,
      ...(allowFieldDrift ? { allowFieldDrift } : {}),
      status: 'queued',
      progress: { total: items.length, done: 0, succeeded: 0, failed: 0 },
      chunkSize: CHUNK_SIZE,
      chunks: Math.ceil(items.length / CHUNK_SIZE),
      chunksDone: 0,
      checkpoint: { done: 0, succeeded: 0, failed: 0 },
      createdAt: now,
      updatedAt: now,
      heartbeatAt: now,
    }

    await new JobStore(ctx.clients.vbase).create(meta, items)
    ctx.status = 202
    ctx.set('Cache-Control', 'no-store')
    ctx.body = {
      jobId: meta.id,
      status: 'queued',
      statusUrl: `${JOBS_PATH}/${meta.id}`,
    }
    runInBackground(ctx, meta)
  }
}

/**
 * Loads the job of the path, for a caller the Catalog accepts on this account:
 * the caller's credentials must be able to read the job's first item. A 404
 * from the Catalog still proves the credentials; a 401/403 refuses the job.
 */
export async function loadJob(ctx: Context, next: () => Promise<void>) {
  const jobId = String(ctx.vtex.route.params.jobId ?? '')
  const meta = /^[0-9a-f-]{36}$/.test(jobId)
    ? await new JobStore(ctx.clients.vbase).getMeta(jobId)
    : null

  if (!meta || meta.account !== ctx.vtex.account) {
    throw new RequestError(
      404,
      'JOB_NOT_FOUND',
      `No score job '${jobId.slice(0, 64)}' in this account.`
    )
  }

  const [first] = await new JobStore(ctx.clients.vbase).getItems(meta.id, 0)

  try {
    await ctx.clients.catalog.read(meta.kind, first?.id ?? 1, {
      credentials: ctx.state.credentials,
      timeoutMs: ctx.state.settings.requestTimeoutMs,
      baseURL: ctx.state.settings.catalogBaseUrl,
    })
  } catch (error) {
    if (
      error instanceof CatalogError &&
      (error.status === 401 || error.status === 403)
    ) {
      throw new RequestError(
        error.status,
        error.status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN',
        'The Catalog refused these credentials for this job.'
      )
    }

    if (!(error instanceof CatalogError && error.status === 404)) throw error
  }

  ctx.state.job = meta
  await next()
}

function describe(meta: JobMeta) {
  const stale = isStale(meta, jobTimings().staleAfterMs)

  return {
    jobId: meta.id,
    kind: meta.kind,
    status: stale ? 'stale' : meta.status,
    dryRun: meta.dryRun,
    progress: meta.progress,
    createdAt: meta.createdAt,
    startedAt: meta.startedAt,
    updatedAt: meta.updatedAt,
    heartbeatAt: meta.heartbeatAt,
    finishedAt: meta.finishedAt,
    statusUrl: `${JOBS_PATH}/${meta.id}`,
    ...(stale || meta.status === 'failed'
      ? { resumeUrl: `${JOBS_PATH}/${meta.id}/resume` }
      : {}),
    ...(meta.error ? { error: meta.error } : {}),
  }
}

/** GET a job: its status and progress, and once finished its envelope (or, with ?format=csv, its report). */
export async function jobStatus(ctx: Context) {
  const meta = ctx.state.job
  const finished = meta.status === 'done' || meta.status === 'failed'
  const format = ctx.query.format ?? 'json'

  ctx.set('Cache-Control', 'no-store')
  if (format === 'csv') {
    if (!finished)
      throw new RequestError(
        409,
        'JOB_NOT_FINISHED',
        'The report is available once the job is done.'
      )
    ctx.type = 'text/csv; charset=utf-8'
    ctx.set(
      'Content-Disposition',
      `attachment; filename="score-job-${meta.id}.csv"`
    )
    ctx.body = envelopeToCsv(
      await jobEnvelope(new JobStore(ctx.clients.vbase), meta)
    )

    return
  }

  if (format !== 'json')
    throw new RequestError(
      400,
      'INVALID_QUERY',
      "Query parameter 'format' must be 'json' or 'csv'."
    )

  ctx.body = {
    ...describe(meta),
    ...(finished
      ? { result: await jobEnvelope(new JobStore(ctx.clients.vbase), meta) }
      : {}),
  }
}

/** Resume a stale or failed job, with the caller's (fresh) credentials. */
export async function resumeJob(ctx: Context) {
  const meta = ctx.state.job

  if (meta.status === 'done')
    throw new RequestError(409, 'JOB_DONE', 'The job is already done.')
  if (meta.status !== 'failed' && !isStale(meta, jobTimings().staleAfterMs)) {
    throw new RequestError(
      409,
      'JOB_RUNNING',
      'The job is still running; only a stale or failed job can be resumed.'
    )
  }

  runInBackground(ctx, meta)
  ctx.status = 202
  ctx.set('Cache-Control', 'no-store')
  ctx.body = {
    ...describe({
      ...meta,
      status: 'running',
      heartbeatAt: new Date().toISOString(),
    }),
  }
}
