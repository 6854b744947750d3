/**
 * Catalog profiles: the emulator behaving as VTEX documents its Catalog, not
 * as our client would like it to.
 *
 * Use, in process or in a child process (spawn.ts), at start or later:
 *
 *   startCatalogEmulator({ profile: 'documented' })
 *   emulator.configure({ profile: 'breaker' })             // by name
 *   emulator.configure({ profile: { extends: 'documented', rateHeaders: 'ietf' } })
 *   emulator.configure({ profile: null })                  // back to the plain options
 *   emulator.openBreaker(5000)                             // a breaker phase on demand
 *   itemsPerSecAllowed(resolveProfile('shared-bucket'))    // the limit a bench row is measured against
 *
 * A profile sets what it names; for what it leaves out, the plain options
 * (`latency`, `rateLimit`) apply. Its parts:
 * - `rateHeaders`: which rate headers answers carry (see rateHeaders.ts):
 *   'bare' | 'none' (default: Retry-After on 429s only) | 'on-429' | 'ietf' | 'x-ratelimit'.
 * - `buckets`: token buckets checked at once; a call needs a token from each.
 *   `account`: every Catalog call; `endpoint`: one bucket per endpoint family,
 *   which is one method on one kind's path: 'GET product', 'PUT product',
 *   'GET category', 'PUT category' (`/api/catalog/pvt/{product|category}/{id}`).
 *   VTEX publishes 45,000 req/min per account and 15,000 per endpoint; how it
 *   groups paths into endpoints is not published: this grouping is our choice.
 * - `latency`: { medianMs, sigma, minMs?, maxMs? } log-normal, or the legacy
 *   { meanMs, jitterMs } uniform. Drawn from its own stream of the seed.
 * - `load`: { capacity }: latency × max(1, inFlight / capacity).
 * - `breaker`: { openMs, everyMs, startMs? }: every Catalog call is answered
 *   503 "Circuit breaker open" (fast, before latency) for `openMs` out of every
 *   `everyMs`, from `startMs` after the profile is configured.
 * - `otherClient`: { ratePerSec, endpoint? }: another integration of the
 *   account, taking tokens from the account bucket and its endpoint's bucket
 *   (default 'GET product') continuously; it never opens a penalty window.
 *
 * Counters (emulator.stats()):
 * - `rateLimited`: 429s sent (every 429: bucket, window, fault);
 *   `rateLimitedBy`: the buckets' 429s by bucket ('account' or an endpoint);
 * - `requestsInPenaltyWindow`: requests that arrived inside a 429 window after
 *   the grace period (`penaltyGraceMs`, default 50 ms): the sender could have known;
 * - `breaker503s`: 503s from breaker phases (scheduled or on demand);
 * - `otherClientTokens`: tokens the other client took (from the account bucket,
 *   or from its endpoint's bucket when there is no account bucket).
 * - `loadLatency`: with a `load` profile, the calls that found more than
 *   `capacity` in flight (their latency stretched) and the largest stretch.
 *
 * Deterministic under a seed (`seed.random`) and the injected clock (`now`):
 * latency draws and fault probabilities come from seeded streams, breaker
 * phases and the other client's share from the clock.
 */
import type { FaultRule } from './faults'
import type { LatencyModel, LoadProfile } from './latency'
import type { RateHeaderStyle } from './rateHeaders'
import type {
  BucketsProfile,
  EndpointKey,
  OtherClient,
  RateLimitProfile,
} from './rateLimit'

export interface BreakerSchedule {
  openMs: number
  everyMs: number
  startMs?: number
}

export interface CatalogProfile {
  /** A named profile this one starts from; its own fields override the named one's. */
  extends?: ProfileName
  rateHeaders?: RateHeaderStyle
  buckets?: BucketsProfile
  latency?: LatencyModel
  load?: LoadProfile
  breaker?: BreakerSchedule
  otherClient?: OtherClient
}

/** VTEX's published limits: 45,000 req/min per account, 15,000 per endpoint. */
const PUBLISHED: BucketsProfile = {
  account: { ratePerSec: 750, burst: 750 },
  endpoint: { ratePerSec: 250, burst: 250 },
}

/** Real calls take about 50-300 ms. */
const REAL_LATENCY: LatencyModel = { medianMs: 110, sigma: 0.45, minMs: 30 }

export type ProfileName =
  | 'documented'
  | 'bare'
  | 'on-429'
  | 'ietf'
  | 'x-ratelimit'
  | 'load-latency'
  | 'breaker'
  | 'shared-bucket'

export const PROFILES: Record<ProfileName, CatalogProfile> = {
  /** As documented: both published buckets, no rate headers (Retry-After on 429s), 50-300 ms. */
  documented: {
    rateHeaders: 'none',
    buckets: PUBLISHED,
    latency: REAL_LATENCY,
  },
  /** Not even Retry-After on a 429. */
  bare: { extends: 'documented', rateHeaders: 'bare' },
  /** Rate headers on 429s only. */
  'on-429': { extends: 'documented', rateHeaders: 'on-429' },
  /** IETF `Ratelimit-*` on every answer. */
  ietf: { extends: 'documented', rateHeaders: 'ietf' },
  /** `X-RateLimit-*` on every answer. */
  'x-ratelimit': { extends: 'documented', rateHeaders: 'x-ratelimit' },
  /** Latency grows once more than 32 calls are in flight. */
  'load-latency': { extends: 'documented', load: { capacity: 32 } },
  /** A 5 s breaker phase every 20 s, the first 2 s after it is configured. */
  breaker: {
    extends: 'documented',
    breaker: { openMs: 5000, everyMs: 20_000, startMs: 2000 },
  },
  /** Another integration reads products at 100 req/s, from the same buckets. */
  'shared-bucket': {
    extends: 'documented',
    otherClient: { ratePerSec: 100, endpoint: 'GET product' },
  },
}

/** A profile with its `extends` chain folded in. */
export function resolveProfile(
  profile: ProfileName | CatalogProfile | null | undefined
): Omit<CatalogProfile, 'extends'> | undefined {
  if (!profile) return undefined
  const own: CatalogProfile =
    typeof profile === 'string' ? PROFILES[profile] : profile

  if (!own) throw new Error(`Unknown Catalog profile '${String(profile)}'`)
  const { extends: base, ...fields } = own

  return { ...(base ? resolveProfile(base) : {}), ...fields }
}

/** The breaker's fault rules: a scheduled phase, and one on demand. */
export function breakerRules(
  schedule: BreakerSchedule | undefined,
  onDemand?: { forMs: number }
): FaultRule[] {
  const action = {
    type: 'status' as const,
    status: 503,
    message: 'Circuit breaker open',
    fast: true,
  }
  const rules: FaultRule[] = []

  if (schedule) rules.push({ name: 'breaker', schedule, action })
  if (onDemand) rules.push({ name: 'breaker', forMs: onDemand.forMs, action })

  return rules
}

/**
 * Items/s a profile's buckets allow for one kind, at one GET and one PUT per
 * item, after the other client's share; Infinity without buckets. Breaker
 * phases and latency are not counted in.
 */
export function itemsPerSecAllowed(
  profile: Omit<CatalogProfile, 'extends'> | undefined,
  kind: 'product' | 'category' = 'product'
) {
  const { account, endpoint } = profile?.buckets ?? {}
  const other = profile?.otherClient
  const otherOn = (key: EndpointKey | 'account') =>
    other && (key === 'account' || key === (other.endpoint ?? 'GET product'))
      ? other.ratePerSec
      : 0
  const limits = [Infinity]

  if (account) limits.push((account.ratePerSec - otherOn('account')) / 2)
  if (endpoint) {
    limits.push(endpoint.ratePerSec - otherOn(`GET ${kind}`))
    limits.push(endpoint.ratePerSec - otherOn(`PUT ${kind}`))
  }

  return Math.max(0, Math.min(...limits))
}

/** What the emulator runs with: the profile's parts, else the plain options'. */
export interface EffectiveSettings {
  rateHeaders: RateHeaderStyle
  buckets?: BucketsProfile
  latency?: LatencyModel | null
  load?: LoadProfile
  breaker?: BreakerSchedule
  otherClient?: OtherClient
}

export function effectiveSettings(config: {
  profile?: ProfileName | CatalogProfile | null
  rateLimit?: RateLimitProfile | null
  latency?: LatencyModel | null
}): EffectiveSettings {
  const profile = resolveProfile(config.profile)
  const { rateLimit } = config
  const legacy: BucketsProfile | undefined = rateLimit
    ? {
        [rateLimit.scope ?? 'account']: {
          ratePerSec: rateLimit.ratePerSec,
          burst: rateLimit.burst,
        },
      }
    : undefined

  return {
    rateHeaders:
      profile?.rateHeaders ??
      (profile?.buckets ? 'none' : rateLimit?.headers ?? 'ietf'),
    buckets: profile?.buckets ?? legacy,
    latency: profile?.latency ?? config.latency,
    load: profile?.load,
    breaker: profile?.breaker,
    otherClient: profile?.otherClient,
  }
}
