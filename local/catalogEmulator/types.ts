import type { Credentials } from './auth'
import type { FailureProfile, FaultRule, ThrottleOncePlan } from './faults'
import type { CatalogKind, CatalogObject } from './fields'
import type { LatencyModel } from './latency'
import type { CatalogProfile, ProfileName } from './profiles'
import type { RateLimitProfile } from './rateLimit'
import type { PutRecord, Snapshot } from './store'
import type { createEventsBus, EventsBusOptions } from './events'
import type { createLicenseManager } from './licenseManager'
import type { createVBase } from './vbase'

export interface EmulatorOptions {
  port?: number
  latency?: LatencyModel | null
  rateLimit?: RateLimitProfile | null
  /** A Catalog as VTEX documents it, by name or spelled out: see profiles.ts. */
  profile?: ProfileName | CatalogProfile | null
  /** Legacy: a random share of calls fails (played as the last fault rule, named 'failure'). */
  failure?: FailureProfile | null
  credentials?: Credentials
  seed?: {
    products?: number
    categories?: number
    random?: number
    /** Seed realistic oddities (empty ReleaseDate, accents, long names, legacy nulls): see oddityOf in fields.ts. */
    oddities?: boolean
  }
  /** Keep every PUT body received (for contract tests), read with puts(). */
  recordPuts?: boolean
  /** Legacy: the first request for each of these ids gets a 429 that opens an account-wide penalty window (an edge rule named 'throttleOnce'). */
  throttleOnce?: ThrottleOncePlan | null
  /** Fault injection, first matching rule wins. */
  faults?: FaultRule[] | null
  /** See RateLimiter: in-flight requests are not counted as violations for this long. */
  penaltyGraceMs?: number
  now?: () => number
  /** Keep VBase files on disk under this folder, so a restart keeps jobs. */
  vbaseDir?: string
  /** The events bus; its handlers default to node/service.json's `events`. */
  events?: EventsBusOptions
}

export interface EmulatorStats {
  requests: { GET: number; PUT: number; other: number; total: number }
  byStatus: Record<string, number>
  putsById: Record<CatalogKind, Record<string, number>>
  inFlight: number
  peakInFlight: number
  /** 429s sent: by a bucket, inside a penalty window, or by a fault rule. */
  rateLimited: number
  /** The buckets' own 429s, by bucket: 'account' or an endpoint ('GET product', ...). */
  rateLimitedBy: Record<string, number>
  /** Requests that arrived inside a 429 window once the grace period had passed. */
  requestsInPenaltyWindow: number
  /** 503s from breaker phases (a profile's schedule, or openBreaker()). */
  breaker503s: number
  /** Tokens a profile's other client took from the buckets we share. */
  otherClientTokens: number
  /** The latencies drawn for the calls that reached the Catalog's data (before any 'slow' fault). */
  latencyDrawn: { calls: number; p50Ms: number; p99Ms: number; maxMs: number }
  /** A `load` profile at work: calls that found more than `capacity` in flight, and the largest stretch. */
  loadLatency: { stretchedCalls: number; peakFactor: number }
  /** Requests that carried a Proxy-Authorization header (an app token must never reach the Catalog). */
  proxyAuthorizationSeen: number
  /** Requests that carried an Authorization header. */
  authorizationSeen: number
  /** Connections open right now (keep-alive sockets included). */
  openSockets: number
  /** Requests answered or delayed by a fault rule (throttleOnce and failure included). */
  faultsInjected: number
  /**
   * Hits per configured rule since the last reset: by `name`, else by index in
   * `faults`; the legacy options count as 'throttleOnce' and 'failure'.
   * Every configured rule is listed, with 0 until it fires.
   */
  faultHits: Record<string, number>
}

export type EmulatorConfig = Pick<
  EmulatorOptions,
  | 'latency'
  | 'rateLimit'
  | 'failure'
  | 'credentials'
  | 'throttleOnce'
  | 'faults'
  | 'profile'
>

export interface CatalogEmulator {
  url: string
  port: number
  stats(): EmulatorStats
  resetStats(): void
  configure(patch: Partial<EmulatorConfig>): void
  /** A breaker phase on demand: every Catalog call is answered 503 for `forMs`. */
  openBreaker(forMs: number): void
  getProduct(id: number): CatalogObject | undefined
  getCategory(id: number): CatalogObject | undefined
  setProduct(id: number, object: CatalogObject): void
  setCategory(id: number, object: CatalogObject): void
  deleteProduct(id: number): void
  deleteCategory(id: number): void
  snapshot(): Snapshot
  /** Every PUT body received since start (with `recordPuts`), in arrival order; resetStats() keeps them. */
  puts(): PutRecord[]
  /** The VBase files it serves (as an HTTP proxy) for the service's jobs. */
  vbase: Pick<
    ReturnType<typeof createVBase>,
    | 'stats'
    | 'read'
    | 'keys'
    | 'resetStats'
    | 'setListPageSize'
    | 'setHonoursTtl'
  >
  /** The IO events bus; register the service replicas with `setSubscribers`. */
  events: ReturnType<typeof createEventsBus>
  /** License Manager and VTEX ID counters. */
  licenseManager: Pick<
    ReturnType<typeof createLicenseManager>,
    'stats' | 'resetStats'
  >
  close(): Promise<void>
}

/** Counters as they start, and after resetStats(). */
export function emptyStats(): EmulatorStats {
  return {
    requests: { GET: 0, PUT: 0, other: 0, total: 0 },
    byStatus: {},
    putsById: { product: {}, category: {} },
    inFlight: 0,
    peakInFlight: 0,
    rateLimited: 0,
    rateLimitedBy: {},
    requestsInPenaltyWindow: 0,
    breaker503s: 0,
    otherClientTokens: 0,
    latencyDrawn: { calls: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 },
    loadLatency: { stretchedCalls: 0, peakFactor: 1 },
    proxyAuthorizationSeen: 0,
    authorizationSeen: 0,
    openSockets: 0,
    faultsInjected: 0,
    faultHits: {},
  }
}
