import http from 'http'

import type { FaultEngine } from './faults'
import type { RateLimiter } from './rateLimit'
import type { CatalogStore } from './store'
import type { EmulatorConfig, EmulatorStats } from './types'

/** What the emulator's routes share; built once by server.ts. */
export interface EmulatorContext {
  now: () => number
  /** The seeded random every draw (latency, probabilities) comes from. */
  random: () => number
  /** The current settings (configure() replaces fields in place). */
  config: EmulatorConfig
  store: CatalogStore
  faults: FaultEngine
  limiter(): RateLimiter | undefined
  /** The counters in use right now (resetStats() swaps them). */
  stats(): EmulatorStats
  /** Counts a Catalog request: method, in flight, credentials headers, status when it closes. */
  track(req: http.IncomingMessage, res: http.ServerResponse): void
}
