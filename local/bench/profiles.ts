import {
  CatalogProfile,
  itemsPerSecAllowed,
  resolveProfile,
} from '../catalogEmulator/profiles'
import type { FaultRule, LatencyProfile } from '../catalogEmulator/server'
import type { RateLimitProfile } from '../catalogEmulator/rateLimit'
import type { HeaderMode } from './meter'

/** One Catalog behaviour the bench measures the service against. */
export interface Profile {
  name: string
  description: string
  latency: LatencyProfile
  rateLimit: RateLimitProfile | null
  /** How the rate-limit headers reach the service. */
  headers: HeaderMode
  /** Configured right before each measured batch (e.g. a breaker phase). */
  faults?: FaultRule[]
  /** Seconds of each batch the profile makes unusable (a breaker phase), left out of its limit. */
  deadSeconds?: number
  /** Another client taking this many requests/s from the same bucket. */
  otherClientPerSec?: number
  /** An emulator profile (buckets, load) configured for each measured batch; its latency is `latency`. */
  catalog?: CatalogProfile
  /** Items/s the profile allows with `ceiling` calls in flight. */
  limit(ceiling: number): number
}

/** 50-300 ms, as real Catalog calls take. */
const REAL_LATENCY: LatencyProfile = { meanMs: 175, jitterMs: 125 }
const FAST_LATENCY: LatencyProfile = { meanMs: 4, jitterMs: 2 }

/** A GET and a PUT per item. */
const bucketLimit =
  (rateLimit: RateLimitProfile, other = 0) =>
  () =>
    rateLimit.scope === 'endpoint'
      ? rateLimit.ratePerSec
      : (rateLimit.ratePerSec - other) / 2

const concurrencyLimit =
  (latency: LatencyProfile, share = 1) =>
  (ceiling: number) =>
    (share * ceiling) / (2 * (latency.meanMs / 1000))

const bucket = (
  name: string,
  description: string,
  rateLimit: RateLimitProfile,
  headers: HeaderMode,
  latency = REAL_LATENCY,
  otherClientPerSec?: number
): Profile => ({
  name,
  description,
  latency,
  rateLimit,
  headers,
  otherClientPerSec,
  limit: bucketLimit(rateLimit, otherClientPerSec),
})

const BREAKER_MS = 5000

/** A Catalog with this many workers: latency × max(1, in flight / capacity). */
const LOAD_CAPACITY = 64

/** Both buckets at once, as VTEX publishes them (per account and per endpoint), scaled down. */
const ACCOUNT_AND_ENDPOINT: CatalogProfile = {
  rateHeaders: 'none',
  buckets: {
    account: { ratePerSec: 200, burst: 40 },
    endpoint: { ratePerSec: 120, burst: 20 },
  },
}

export const FULL_PROFILES: Profile[] = [
  bucket(
    'bucket-no-headers',
    'token bucket 200 req/s, burst 40; no rate headers, 429s with Retry-After',
    { ratePerSec: 200, burst: 40 },
    'none'
  ),
  bucket(
    'bucket-headers-on-429',
    'token bucket 200 req/s, burst 40; Ratelimit-* only on 429s',
    { ratePerSec: 200, burst: 40 },
    'on-429'
  ),
  bucket(
    'bucket-ietf-headers',
    'token bucket 200 req/s, burst 40; Ratelimit-* on every answer',
    { ratePerSec: 200, burst: 40 },
    'as-is'
  ),
  bucket(
    'bucket-x-ratelimit',
    'token bucket 200 req/s, burst 40; X-RateLimit-* on every answer',
    { ratePerSec: 200, burst: 40 },
    'x-ratelimit'
  ),
  bucket(
    'per-endpoint',
    'one bucket per method and kind, 120 req/s each, burst 20; no rate headers',
    { ratePerSec: 120, burst: 20, scope: 'endpoint' },
    'none'
  ),
  bucket(
    'shared-bucket',
    'token bucket 300 req/s, burst 40, another client taking 60 req/s of it; no rate headers',
    { ratePerSec: 300, burst: 40 },
    'none',
    REAL_LATENCY,
    60
  ),
  {
    name: 'account-and-endpoint',
    description:
      'an account bucket of 200 req/s (burst 40) and one bucket per method and kind of 120 req/s (burst 20), at once; no rate headers; the account bucket is the tighter',
    latency: REAL_LATENCY,
    rateLimit: null,
    headers: 'as-is',
    catalog: ACCOUNT_AND_ENDPOINT,
    limit: () => itemsPerSecAllowed(resolveProfile(ACCOUNT_AND_ENDPOINT)),
  },
  {
    name: 'load-latency',
    description: `no rate limit; 50-300 ms, stretched by max(1, in flight / ${LOAD_CAPACITY}): a Catalog with ${LOAD_CAPACITY} workers answers at most ${LOAD_CAPACITY} calls per mean latency, so its limit is min(ceiling, ${LOAD_CAPACITY}) / (2 x 175 ms) items/s; more in flight only adds latency`,
    latency: REAL_LATENCY,
    rateLimit: null,
    headers: 'as-is',
    catalog: { load: { capacity: LOAD_CAPACITY } },
    limit: (ceiling) =>
      concurrencyLimit(REAL_LATENCY)(Math.min(ceiling, LOAD_CAPACITY)),
  },
  {
    name: 'unlimited',
    description: 'no rate limit; calls take 50-300 ms',
    latency: REAL_LATENCY,
    rateLimit: null,
    headers: 'as-is',
    limit: concurrencyLimit(REAL_LATENCY),
  },
  {
    name: 'breaker-5s',
    description:
      'no rate limit, 50-300 ms; every call answers 503 for the first 5 s of the batch',
    latency: REAL_LATENCY,
    rateLimit: null,
    headers: 'as-is',
    faults: [
      {
        name: 'breaker',
        forMs: BREAKER_MS,
        action: { type: 'status', status: 503, message: 'Circuit open' },
      },
    ],
    deadSeconds: BREAKER_MS / 1000,
    limit: concurrencyLimit(REAL_LATENCY),
  },
  {
    name: 'random-503',
    description: 'no rate limit, 50-300 ms; 10% of calls answer 503',
    latency: REAL_LATENCY,
    rateLimit: null,
    headers: 'as-is',
    faults: [
      {
        name: 'random503',
        probability: 0.1,
        action: { type: 'status', status: 503, message: 'Busy' },
      },
    ],
    limit: concurrencyLimit(REAL_LATENCY, 0.9),
  },
]

export const QUICK_PROFILES: Profile[] = [
  bucket(
    'bucket-no-headers',
    'token bucket 400 req/s, burst 50; no rate headers',
    { ratePerSec: 400, burst: 50 },
    'none',
    FAST_LATENCY
  ),
  {
    name: 'random-503',
    description: 'no rate limit; 10% of calls answer 503',
    latency: FAST_LATENCY,
    rateLimit: null,
    headers: 'as-is',
    faults: [
      {
        name: 'random503',
        probability: 0.1,
        action: { type: 'status', status: 503, message: 'Busy' },
      },
    ],
    limit: concurrencyLimit(FAST_LATENCY, 0.9),
  },
]

/** The large async job's profile: no limit, fast calls, so it measures memory, not the Catalog. */
export const JOB_PROFILE: Profile = {
  name: 'job-unlimited-fast',
  description: 'no rate limit; calls take 2-6 ms',
  latency: FAST_LATENCY,
  rateLimit: null,
  headers: 'as-is',
  limit: concurrencyLimit(FAST_LATENCY),
}
