import http from 'http'

import type { FaultEngine } from './faults'
import type { EffectiveSettings } from './profiles'
import type { TokenBuckets } from './rateLimit'
import type { CatalogStore } from './store'
import type { EmulatorConfig, EmulatorStats } from './types'

/** What the emulator's routes share; built once by server.ts. */
export interface EmulatorContext {
  now: () => number
  /** The seeded stream fault probabilities are drawn from. */
  random: () => number
  /** The seeded stream latencies are drawn from. */
  latencyRandom: () => number
  /** The profile's parts, else the plain options'. */
  settings(): EffectiveSettings
  /** Notes the latency drawn for one call (stats().latencyDrawn). */
  recordLatency(ms: number): void
  /** Catalog calls in flight right now (resetStats() does not touch it). */
  inFlight(): number
  /** The current settings (configure() replaces fields in place). */
  config: EmulatorConfig
  store: CatalogStore
  faults: FaultEngine
  buckets(): TokenBuckets | undefined
  /** The counters in use right now (resetStats() swaps them). */
  stats(): EmulatorStats
  /** Counts a Catalog request: method, in flight, credentials headers, status when it closes. */
  track(req: http.IncomingMessage, res: http.ServerResponse): void
}
