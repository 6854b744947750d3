import { CallerCredentials } from '../clients/credentials'
import { positiveNumberFrom, wholeNumberFrom } from '../envNumbers'
import { RequestError } from '../input/requestError'
import type { ScoreSettings } from '../settings'
import { DEFAULT_JOB_LIMITS, JobLimits } from './create'

const positive = (value: string | undefined, fallback: number) =>
  positiveNumberFrom(value) ?? fallback

/** Chunk size and retention; locally JOB_CHUNK_SIZE and JOB_RETENTION_SEC may shrink them for tests. */
export function jobLimits(env: NodeJS.ProcessEnv = process.env): JobLimits {
  return {
    ...DEFAULT_JOB_LIMITS,
    chunkSize: Math.min(
      positive(env.JOB_CHUNK_SIZE, DEFAULT_JOB_LIMITS.chunkSize),
      1000
    ),
    retentionSec: positive(
      env.JOB_RETENTION_SEC,
      DEFAULT_JOB_LIMITS.retentionSec
    ),
  }
}

/**
 * How long a chunk claim holds without a heartbeat. It must outlast a few
 * request timeouts, since no Catalog call starts in the last request timeout
 * of a lease (JOB_LEASE_MS, default 30 s, at least 3 request timeouts).
 */
export const leaseMsFor = (
  settings: ScoreSettings,
  env: NodeJS.ProcessEnv = process.env
) => Math.max(positive(env.JOB_LEASE_MS, 30_000), 3 * settings.requestTimeoutMs)

/**
 * The credentials chunks run with: the app's own, never a caller's. On IO
 * that is the app token the runtime gives the event (`ctx.vtex.authToken`);
 * against a store from outside IO, an app key pair in VTEX_APP_KEY /
 * VTEX_APP_TOKEN stands in for it.
 */
export function appCredentials(
  authToken: string | undefined,
  env: NodeJS.ProcessEnv = process.env
): CallerCredentials | undefined {
  if (env.VTEX_APP_KEY && env.VTEX_APP_TOKEN)
    return CallerCredentials.appKey(env.VTEX_APP_KEY, env.VTEX_APP_TOKEN)

  return authToken ? CallerCredentials.token(authToken) : undefined
}

/**
 * How far the replicas' clocks may disagree (JOB_CLOCK_SKEW_MS, default
 * 3 s): a lease is taken over only that long after it ran out.
 */
export const clockSkewMsFor = (env: NodeJS.ProcessEnv = process.env) =>
  wholeNumberFrom(env.JOB_CLOCK_SKEW_MS) ?? 3000

/**
 * Locally against a store, jobs run with VTEX_APP_KEY / VTEX_APP_TOKEN; `npm
 * start` sets LOCAL_STORE_WITHOUT_APP_KEY when they are missing, and every
 * job would then fail on its first write. Never set on IO.
 */
export function localJobsRefusal(
  env: NodeJS.ProcessEnv = process.env
): RequestError | undefined {
  if (env.LOCAL_STORE_WITHOUT_APP_KEY !== 'true') return undefined

  return new RequestError(
    503,
    'JOBS_UNAVAILABLE',
    'This local service runs against a store without an app key pair, so it has no credentials to run jobs with: restart it with VTEX_APP_KEY and VTEX_APP_TOKEN (an app key whose role has "Product and SKU Management"), or send the batch without ?async=true.'
  )
}

/**
 * How long a job item's retryable failures (a Catalog down, out of reach)
 * are retried before the item fails: JOB_ITEM_RETRY_WINDOW_MS locally, to
 * test an outage in seconds; undefined (the engine's 5 minutes) otherwise.
 */
export const itemRetryWindowMsFor = (env: NodeJS.ProcessEnv = process.env) =>
  wholeNumberFrom(env.JOB_ITEM_RETRY_WINDOW_MS)

/**
 * How long a chunk may wait for its event before a read of the job sends it
 * again (JOB_EVENT_GRACE_MS, default 15 s): IO delivers an event within a
 * second or so; sending one twice is harmless.
 */
export const eventGraceMsFor = (env: NodeJS.ProcessEnv = process.env) =>
  positive(env.JOB_EVENT_GRACE_MS, 15_000)
