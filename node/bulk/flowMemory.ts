/**
 * What an account's flow controller learned, kept across batches and
 * replicas (warm start), and how old memory is aged. Like TCP's control
 * block sharing (RFC 9040), a new controller starts from what an earlier
 * one measured toward the same destination, not from nothing.
 */
import type { ConcurrencyLimit } from './concurrencyLimit'
import type { RateGate } from './rateGate'

/** What the controller learned, as it is stored (VBase, one file per account). */
export interface FlowMemory {
  /**
   * Requests/s the Catalog accepted under its rate limit: where the pacer
   * flattened after the last 429, or where a guess had climbed to. Null
   * when no 429 was met (nothing to pace by).
   */
  ratePerSec: number | null
  /** The rate was a guess still climbing, not a measure: probe past it fast. */
  probing: boolean
  /** Calls the concurrency limit allowed in flight. */
  inFlight: number
  /** Epoch ms of the last answer it was learned from. */
  measuredAt: number
}

/** Memory this old counts half: the start rate and limit halve per half-life. */
export const MEMORY_HALF_LIFE_MS = 10 * 60_000
/** Older memory is ignored: the controller starts cold, as without any. */
export const MEMORY_MAX_AGE_MS = 60 * 60_000
/** The start rate under the remembered one, as after a measured cut. */
const START_SHARE = 0.9
/** Bounds a stored value may take; anything else is not memory (a bug or another app's file). */
const MAX_RATE_PER_SEC = 100_000
const MAX_IN_FLIGHT = 10_000

/** How a fresh controller starts from memory. */
export interface FlowSeed {
  /** The pacer's aim (req/s), and where it starts below it. */
  rate: { aim: number; start: number; probing: boolean }
  /** The remembered limit, and the halvings (aging) slow start begins below it. */
  inFlight: { limit: number; halvings: number }
}

/**
 * The seed memory gives at `now`, aged as TCP ages a window after idle
 * (RFC 2861): the start halves per half-life, and slow start (or the
 * pacer's one-second approach) climbs back to what was remembered. Past
 * the max age, or from the future (clocks of two replicas), none.
 */
export function seedOf(
  memory: FlowMemory | undefined,
  now: number
): FlowSeed | undefined {
  // No 429 met: nothing would pace a larger start, which a bucket met since
  // would answer with a bigger burst of 429s than slow start's. Start cold.
  if (!memory || memory.ratePerSec === null) return undefined
  const age = now - memory.measuredAt

  // A little skew between replicas' clocks is ordinary; more is not this memory.
  if (age < -60_000 || age > MEMORY_MAX_AGE_MS) return undefined
  const halvings = Math.max(0, age) / MEMORY_HALF_LIFE_MS
  const { ratePerSec } = memory

  return {
    rate: {
      aim: ratePerSec,
      start: START_SHARE * ratePerSec * 2 ** -halvings,
      // Old memory is not probed past fast: on the fake clock that cost 12
      // points (its first 429, measured over a short run, set the rate low).
      probing: memory.probing,
    },
    inFlight: { limit: memory.inFlight, halvings },
  }
}

/** Fresh parts start from the seed: the limit slow-starts back to it, the pacer approaches its rate. */
export function seedParts(
  seed: FlowSeed | undefined,
  now: number,
  limit: ConcurrencyLimit,
  gate: RateGate
) {
  if (!seed) return
  limit.resumeFrom(seed.inFlight.limit, seed.inFlight.halvings)
  const { rate } = seed

  gate.resume(now, rate.aim, rate.start, rate.probing)
}

/** The later of two memories. */
export function newerMemory(
  a: FlowMemory | undefined,
  b: FlowMemory | undefined
): FlowMemory | undefined {
  if (!a) return b
  if (!b) return a

  return b.measuredAt > a.measuredAt ? b : a
}

const finiteIn = (value: unknown, min: number, max: number) =>
  typeof value === 'number' &&
  Number.isFinite(value) &&
  value >= min &&
  value <= max

/** A stored memory, or undefined for anything that is not one: a bad file means a cold start. */
export function parseFlowMemory(data: unknown): FlowMemory | undefined {
  if (typeof data !== 'object' || data === null) return undefined
  const { ratePerSec, probing, inFlight, measuredAt } = data as Record<
    string,
    unknown
  >

  if (ratePerSec !== null && !finiteIn(ratePerSec, 1, MAX_RATE_PER_SEC))
    return undefined
  if (!finiteIn(inFlight, 1, MAX_IN_FLIGHT)) return undefined
  if (!finiteIn(measuredAt, 0, Number.MAX_SAFE_INTEGER)) return undefined
  if (typeof probing !== 'boolean') return undefined

  return {
    ratePerSec: ratePerSec as number | null,
    probing,
    inFlight: inFlight as number,
    measuredAt: measuredAt as number,
  }
}
