import service from './service.json'

/** The tunables: app settings on IO, environment variables locally. */
export interface ScoreSettings {
  /** Ceiling on Catalog calls in flight; the flow control finds the level below it. */
  concurrency: number
  /** Optional cap on attempts per item; by default retries last as long as time allows. */
  maxAttempts?: number
  /** Optional cap on Catalog requests per minute for the account, to leave room for other integrations. */
  maxRequestsPerMinute?: number
  requestTimeoutMs: number
  maxItems: number
  /** Largest batch accepted with ?async=true. */
  maxAsyncItems: number
}

export const DEFAULT_SETTINGS: ScoreSettings = {
  // 15,000 requests/min per endpoint is 250/s; a GET and a PUT per item at 300 ms need 150 in flight.
  concurrency: 150,
  requestTimeoutMs: 10_000,
  maxItems: 5000,
  maxAsyncItems: 100_000,
}

interface Bound {
  min: number
  max: number
}

const BOUNDS: Record<keyof ScoreSettings, Bound> = {
  concurrency: { min: 1, max: 256 },
  maxAttempts: { min: 1, max: 100 },
  maxRequestsPerMinute: { min: 60, max: 1_000_000 },
  // At most half the 60 s route timeout, so a batch always has time to call.
  requestTimeoutMs: { min: 100, max: 30_000 },
  maxItems: { min: 1, max: 50_000 },
  maxAsyncItems: { min: 1, max: 200_000 },
}

// CATALOG_URL is a local-runtime variable, read by the clients themselves; no
// app setting can move the Catalog (and the credentials sent to it) to another host.
const ENV_NAMES: Record<keyof typeof BOUNDS, string> = {
  concurrency: 'CONCURRENCY',
  maxAttempts: 'MAX_ATTEMPTS',
  maxRequestsPerMinute: 'MAX_REQUESTS_PER_MINUTE',
  requestTimeoutMs: 'REQUEST_TIMEOUT_MS',
  maxItems: 'MAX_ITEMS',
  maxAsyncItems: 'MAX_ASYNC_ITEMS',
}

/** A number, or a string of digits (environment variables); nothing else. */
function integerOf(value: unknown): number | undefined {
  if (typeof value === 'number')
    return Number.isInteger(value) ? value : undefined
  if (typeof value === 'string' && /^\d{1,9}$/.test(value)) return Number(value)

  return undefined
}

/**
 * Merges raw settings over the defaults. A value that is not an integer in
 * range is ignored, so a typo in the admin can never stall a batch.
 */
export function resolveSettings(
  raw: Record<string, unknown> | undefined | null
): ScoreSettings {
  const settings: ScoreSettings = { ...DEFAULT_SETTINGS }

  for (const key of Object.keys(BOUNDS) as Array<keyof typeof BOUNDS>) {
    const value = integerOf(raw?.[key])
    const { min, max } = BOUNDS[key]

    if (value !== undefined && value >= min && value <= max) {
      settings[key] = value
    }
  }

  return settings
}

/**
 * What `resolveSettings` ignored, one line a value, named as the caller
 * named it (`name`: the app setting or the environment variable).
 */
export function ignoredSettings(
  raw: Record<string, unknown> | undefined | null,
  nameOf: (key: keyof typeof BOUNDS) => string = (key) => key
): string[] {
  const problems: string[] = []

  for (const key of Object.keys(BOUNDS) as Array<keyof typeof BOUNDS>) {
    const value = raw?.[key]

    if (value === undefined || value === null || value === '') continue
    const integer = integerOf(value)
    const { min, max } = BOUNDS[key]

    if (integer === undefined || integer < min || integer > max)
      problems.push(
        `${nameOf(key)}=${JSON.stringify(value).slice(
          0,
          40
        )} is not an integer from ${min} to ${max}; the default applies.`
      )
  }

  return problems
}

function rawFromEnv(env: NodeJS.ProcessEnv) {
  const raw: Record<string, unknown> = {}

  for (const [key, name] of Object.entries(ENV_NAMES)) {
    if (env[name] !== undefined) raw[key] = env[name]
  }

  return raw
}

export function settingsFromEnv(
  env: NodeJS.ProcessEnv = process.env
): ScoreSettings {
  return resolveSettings(rawFromEnv(env))
}

/** The environment variables `settingsFromEnv` ignores, said at start-up. */
export const ignoredEnvSettings = (env: NodeJS.ProcessEnv = process.env) =>
  ignoredSettings(rawFromEnv(env), (key) => ENV_NAMES[key])

// A batch must answer safely inside the route timeout declared in service.json.
export const ROUTE_TIMEOUT_MS = service.timeout * 1000
const ANSWER_MARGIN_MS = 5_000

/**
 * How long a batch may keep starting Catalog calls. A call started just
 * before the deadline may run for a whole request timeout, and the answer
 * still has to be written, so both come off the route timeout.
 */
export function batchBudgetMs(
  settings: ScoreSettings,
  env: NodeJS.ProcessEnv = process.env
): number {
  const budget = Math.max(
    1_000,
    ROUTE_TIMEOUT_MS - settings.requestTimeoutMs - ANSWER_MARGIN_MS
  )
  const override = Number(env.BATCH_DEADLINE_MS)

  return Number.isInteger(override) && override > 0
    ? Math.min(override, budget)
    : budget
}

/** Jobs have no route timeout: an item's retryable failures are retried this long. */
export const JOB_ITEM_RETRY_WINDOW_MS = 5 * 60_000
