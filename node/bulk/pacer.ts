import type { Clock } from './clock'

/** What the Catalog says about its rate limit on a response (Ratelimit-Limit / -Remaining). */
export interface RateSignal {
  limit?: number
  remaining?: number
}

export interface PacerOptions {
  /** Fraction of the bucket the pacer tries to keep in reserve. */
  target?: number
  /** Seconds over which the pacer steers the bucket back to the target. */
  horizonSec?: number
  /** At most one adjustment per this many ms, so one burst of answers counts once. */
  adjustEveryMs?: number
  minRate?: number
}

const WINDOW_MS = 1000

/**
 * Learns a request rate the Catalog can sustain. Each 429 costs the whole pool
 * a penalty window, so the pacer steers by `Ratelimit-Remaining`: between two
 * observations, what we sent plus how the Catalog's bucket moved gives its
 * refill rate, and the pacer sends at that rate, nudged to hold the bucket at
 * the target fill. A 429 cuts a learned rate; without headers the pacer
 * stays out of the way and the gate's pauses do the work.
 */
export class AdaptivePacer {
  private current: number | null = null
  private refill: number | undefined
  private readonly sends: number[] = []
  private sendsSinceSample = 0
  private sample: { at: number; level: number } | undefined
  private firstSendAt: number | undefined
  private headersSeen = false
  private readonly target: number
  private readonly horizonSec: number
  private readonly adjustEveryMs: number
  private readonly minRate: number

  constructor(private readonly clock: Clock, options: PacerOptions = {}) {
    this.target = options.target ?? 0.5
    this.horizonSec = options.horizonSec ?? 0.5
    this.adjustEveryMs = options.adjustEveryMs ?? 100
    this.minRate = options.minRate ?? 1
  }

  /** Requests per second, or null while unpaced. */
  public get rate(): number | null {
    return this.current
  }

  /** The Catalog's refill rate as last estimated, if headers allowed it. */
  public get estimatedRefill(): number | undefined {
    return this.refill
  }

  public recordSend() {
    const now = this.clock.now()

    this.firstSendAt = this.firstSendAt ?? now
    this.sends.push(now)
    this.sendsSinceSample += 1
    while (this.sends.length > 0 && this.sends[0] <= now - WINDOW_MS) {
      this.sends.shift()
    }
  }

  public observe({ limit, remaining }: RateSignal) {
    if (!limit || limit <= 0 || remaining === undefined || remaining < 0) return
    this.headersSeen = true
    const now = this.clock.now()

    const targetLevel = this.target * limit

    // First time below the target while unpaced: brake at once, hard. The
    // estimate below needs one interval, and a small bucket empties sooner.
    if (this.current === null && remaining < targetLevel) {
      this.adjust(this.measuredRate(now) * 0.25)
    }

    if (!this.sample) {
      this.takeSample(now, remaining)

      return
    }

    if (now - this.sample.at < this.adjustEveryMs) return
    const seconds = (now - this.sample.at) / 1000
    // Tokens we took plus tokens the bucket gained: what it refilled.
    const refilled =
      (this.sendsSinceSample + remaining - this.sample.level) / seconds

    this.refill =
      this.refill === undefined
        ? refilled
        : this.refill * 0.7 + Math.max(0, refilled) * 0.3
    this.takeSample(now, remaining)

    // A bucket above the target while unpaced needs no pacing yet.
    if (this.current === null && remaining >= targetLevel) return

    this.adjust(this.refill + (remaining - targetLevel) / this.horizonSec)
  }

  /**
   * A 429 that opened a new penalty window. Without rate-limit headers it may
   * not be about our pace at all (another client, a fault), and the gate's
   * pause already honours it, so only a learned rate is cut.
   */
  public onRateLimited() {
    if (!this.headersSeen) return
    const now = this.clock.now()

    this.adjust((this.refill ?? this.current ?? this.measuredRate(now)) * 0.8)
  }

  private takeSample(at: number, level: number) {
    this.sample = { at, level }
    this.sendsSinceSample = 0
  }

  private adjust(rate: number) {
    this.current = Math.max(this.minRate, rate)
  }

  private measuredRate(now: number) {
    const span = Math.min(
      WINDOW_MS,
      Math.max(100, now - (this.firstSendAt ?? now))
    )

    return (this.sends.length * 1000) / span
  }
}
