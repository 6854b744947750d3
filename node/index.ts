import type {
  ClientsConfig,
  ParamsContext,
  RecorderState,
  ServiceContext,
} from '@vtex/api'
import { method, Service } from '@vtex/api'

import { Clients } from './clients'
import { runChunkEvent } from './events/chunkEvent'
import type { CallerCredentials } from './clients/credentials'
import type { JobDefinition, JobOwner } from './jobs/model'
import { authenticate } from './middlewares/authenticate'
import { handleErrors, methodNotAllowed } from './middlewares/handleErrors'
import { loadJob } from './middlewares/jobs/common'
import {
  cancelJobRoute,
  resumeJob,
  undoJobRoute,
} from './middlewares/jobs/control'
import { listJobs } from './middlewares/jobs/list'
import { jobReport, jobResults, jobSummary } from './middlewares/jobs/read'
import { startJob } from './middlewares/jobs/start'
import { limitJobCreation } from './middlewares/limitJobCreation'
import { loadSettings } from './middlewares/loadSettings'
import { parseBatch } from './middlewares/parseBatch'
import { sameOrigin } from './middlewares/sameOrigin'
import { updateScores } from './middlewares/updateScores'
import { CATEGORY_TARGET, PRODUCT_TARGET, ScoreTarget } from './scores/targets'
import type { ScoreItem } from './scores/validate'
import { DEFAULT_SETTINGS, ScoreSettings } from './settings'

const clients: ClientsConfig<Clients> = {
  implementation: Clients,
  options: {
    default: { retries: 0, timeout: DEFAULT_SETTINGS.requestTimeoutMs },
    // Retries, timeouts and rate limits are the bulk engine's job, per call.
    catalog: {
      retries: 0,
      timeout: DEFAULT_SETTINGS.requestTimeoutMs,
      memoizable: false,
    },
    // A lease must be read as it is now; VBase and License Manager retry their own transient failures
    // (except a write with If-Match, sent once: see JobFilesClient.write).
    jobFiles: { retries: 2, timeout: 5_000, memoizable: false },
    // Who a caller is must be known within seconds, or the route says the service is unavailable.
    accessControl: { retries: 0, timeout: 3_000, memoizable: false },
    vtexId: { retries: 0, timeout: 3_000, memoizable: false },
  },
}

declare global {
  type Context = ServiceContext<Clients, State>

  interface State extends RecorderState {
    credentials: CallerCredentials
    settings: ScoreSettings
    items: ScoreItem[]
    dryRun: boolean
    /** `?async=true`: run the batch as a job. */
    async: boolean
    /** `?allowFieldDrift=true`: write even when the Catalog will change other fields. */
    allowFieldDrift: boolean
    job: JobDefinition
    /** Who is calling a job route, as License Manager and VTEX ID know them. */
    caller: JobOwner
    /** What a score route updates. */
    target: ScoreTarget
    /** Whether the request created a job (false: an Idempotency-Key replay). */
    jobCreated?: boolean
  }
}

const runOrQueue = (target: ScoreTarget) => {
  const [run, queue] = [updateScores(target), startJob(target)]

  // Named: @vtex/api times each middleware by its name, and warns of one without.
  return function runOrQueueBatch(ctx: Context) {
    return ctx.state.async ? queue(ctx) : run(ctx)
  }
}

const scoreRoute = (target: ScoreTarget) =>
  method({
    PUT: [
      handleErrors,
      async function scoreTargetOf(ctx: Context, next: () => Promise<void>) {
        ctx.state.target = target
        await next()
      },
      authenticate,
      sameOrigin,
      loadSettings,
      parseBatch,
      limitJobCreation((ctx) => ctx.state.async),
      runOrQueue(target),
    ],
    DEFAULT: [handleErrors, methodNotAllowed('PUT')],
  })

function jobRoute(
  verb: 'GET' | 'POST',
  handler: (ctx: Context) => Promise<void>,
  withJob = true,
  before: Array<(ctx: Context, next: () => Promise<void>) => Promise<void>> = []
) {
  return method({
    [verb]: [
      handleErrors,
      authenticate,
      ...(verb === 'POST' ? [sameOrigin] : []),
      loadSettings,
      ...(withJob ? [loadJob] : []),
      ...before,
      handler,
    ],
    DEFAULT: [handleErrors, methodNotAllowed(verb)],
  })
}

const publicRoutes = {
  productScore: scoreRoute(PRODUCT_TARGET),
  categoryScore: scoreRoute(CATEGORY_TARGET),
  scoreJobs: jobRoute('GET', listJobs, false),
  scoreJob: jobRoute('GET', jobSummary),
  scoreJobResults: jobRoute('GET', jobResults),
  scoreJobReport: jobRoute('GET', jobReport),
  scoreJobCancel: jobRoute('POST', cancelJobRoute),
  scoreJobResume: jobRoute('POST', resumeJob),
  scoreJobUndo: jobRoute('POST', undoJobRoute, true, [limitJobCreation()]),
}

/**
 * The same handlers on private routes (`privateProductScore`, ...), which
 * VTEX IO serves at app.io.vtex.com for other IO apps calling through
 * `AppClient`; service.json gives each a resource-based policy.
 */
export const privateRouteId = (id: string) =>
  `private${id[0].toUpperCase()}${id.slice(1)}`

const routes = Object.fromEntries(
  Object.entries(publicRoutes).flatMap(([id, handler]) => [
    [id, handler],
    [privateRouteId(id), handler],
  ])
)

export default new Service<Clients, State, ParamsContext>({
  clients,
  routes,
  events: {
    scoreJobChunk: runChunkEvent,
  },
})
