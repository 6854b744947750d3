import type { Credentials } from './auth'
import type { FailureProfile, FaultRule, ThrottleOncePlan } from './faults'
import type { CatalogKind, CatalogObject } from './fields'
import type { LatencyProfile } from './latency'
import type { RateLimitProfile } from './rateLimit'
import type { Snapshot } from './store'
import type { createVBase } from './vbase'

export interface EmulatorOptions {
  port?: number
  latency?: LatencyProfile | null
  rateLimit?: RateLimitProfile | null
  /** Legacy: a random share of calls fails (played as the last fault rule, named 'failure'). */
  failure?: FailureProfile | null
  credentials?: Credentials
  seed?: { products?: number; categories?: number; random?: number }
  /** Legacy: the first request for each of these ids gets a 429 that opens an account-wide penalty window (an edge rule named 'throttleOnce'). */
  throttleOnce?: ThrottleOncePlan | null
  /** Fault injection, first matching rule wins. */
  faults?: FaultRule[] | null
  /** See RateLimiter: in-flight requests are not counted as violations for this long. */
  penaltyGraceMs?: number
  now?: () => number
}

export interface EmulatorStats {
  requests: { GET: number; PUT: number; other: number; total: number }
  byStatus: Record<string, number>
  putsById: Record<CatalogKind, Record<string, number>>
  inFlight: number
  peakInFlight: number
  rateLimited: number
  requestsInPenaltyWindow: number
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
>

export interface CatalogEmulator {
  url: string
  port: number
  stats(): EmulatorStats
  resetStats(): void
  configure(patch: Partial<EmulatorConfig>): void
  getProduct(id: number): CatalogObject | undefined
  getCategory(id: number): CatalogObject | undefined
  setProduct(id: number, object: CatalogObject): void
  setCategory(id: number, object: CatalogObject): void
  deleteProduct(id: number): void
  deleteCategory(id: number): void
  snapshot(): Snapshot
  /** The VBase files it serves (as an HTTP proxy) for the service's jobs. */
  vbase: Pick<ReturnType<typeof createVBase>, 'stats' | 'read'>
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
    requestsInPenaltyWindow: 0,
    proxyAuthorizationSeen: 0,
    authorizationSeen: 0,
    openSockets: 0,
    faultsInjected: 0,
    faultHits: {},
  }
}
