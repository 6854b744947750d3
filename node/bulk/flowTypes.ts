/** What the flow controller takes and tells: its options, its admissions, what a call saw. */
import type { FlowMemory } from './flowMemory'
import type { RateHeaders } from './rateHeaders'

/**
 * What an answer says of the load, as the upstream's fault model reads it:
 * accepted (any answer that is not the two others, a 404 included), rate
 * limited (429), or overload (503, 5xx, timeouts, resets, refused connections).
 */
export type FlowSignal = 'accepted' | 'rateLimited' | 'overload'

/** What one call saw. */
export interface Answer {
  signal: FlowSignal
  /** The rate headers of the answer, if any. */
  headers?: RateHeaders
}

export interface FlowLimits {
  /** Ceiling on calls in flight; the controller stays at or below it. */
  maxInFlight?: number
  /** Optional cap on the rate, for stores that keep room for other integrations. */
  maxRequestsPerMinute?: number | null
}

export interface FlowOptions extends FlowLimits {
  /** In-flight limit before anything is learned (slow start begins here). */
  initialInFlight?: number
  /** Longest pause one 429 may impose; absurd Retry-After values are capped. */
  maxPauseMs?: number
  /** Pause after a 429 that names no wait; doubled while probes meet 429s. */
  defaultPauseMs?: number
  /** Forget what was learned after this long without a call. */
  idleResetMs?: number
  /** What an earlier controller of the account learned: fresh parts start from it, aged. */
  memory?: FlowMemory
}

export interface FlowSnapshot {
  inFlight: number
  queued: number
  limit: number
  /** Requests per second the pacer allows, null while unpaced. */
  ratePerSec: number | null
  pausedUntil: number
  admitted: number
  rateLimited: number
  overloaded: number
  pauses: number
  pausedMs: number
}

/** One admitted call: report what it saw with `done`, or `cancel` if it was never sent. */
export interface Admission {
  done(answer: Answer): void
  cancel(): void
  /**
   * True when a pause began after this call was admitted and still holds:
   * a call not yet on the wire should then go back to the queue (cancel and
   * admit again) rather than leave into a window we know of.
   */
  overtaken(): boolean
}

export interface AdmitOptions {
  /** Absolute time (on the clock) after which the call may not start. */
  deadlineAt?: number
  signal?: AbortSignal
  /** Goes before every call that is not: it finishes work already begun. */
  urgent?: boolean
}
