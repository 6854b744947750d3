import type {
  ClientsConfig,
  ParamsContext,
  RecorderState,
  ServiceContext,
} from '@vtex/api'
import { method, Service } from '@vtex/api'

import { Clients } from './clients'
import type { CallerCredentials } from './clients/credentials'
import type { JobMeta } from './jobs/jobStore'
import { authenticate } from './middlewares/authenticate'
import { handleErrors, methodNotAllowed } from './middlewares/handleErrors'
import { jobStatus, loadJob, resumeJob, startJob } from './middlewares/jobs'
import { loadSettings } from './middlewares/loadSettings'
import { parseBatch } from './middlewares/parseBatch'
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
    job: JobMeta
  }
}

const runOrQueue = (target: ScoreTarget) => {
  const [run, queue] = [updateScores(target), startJob(target)]

  return (ctx: Context) => (ctx.state.async ? queue(ctx) : run(ctx))
}

const scoreRoute = (target: ScoreTarget) =>
  method({
    PUT: [
      handleErrors,
      authenticate,
      loadSettings,
      parseBatch,
      runOrQueue(target),
    ],
    DEFAULT: [handleErrors, methodNotAllowed('PUT')],
  })

export default new Service<Clients, State, ParamsContext>({
  clients,
  routes: {
    productScore: scoreRoute(PRODUCT_TARGET),
    categoryScore: scoreRoute(CATEGORY_TARGET),
    scoreJob: method({
      GET: [handleErrors, authenticate, loadSettings, loadJob, jobStatus],
      DEFAULT: [handleErrors, methodNotAllowed('GET')],
    }),
    scoreJobResume: method({
      POST: [handleErrors, authenticate, loadSettings, loadJob, resumeJob],
      DEFAULT: [handleErrors, methodNotAllowed('POST')],
    }),
  },
})
