import type { Clock } from './clock'
import { DEADLINE_EXCEEDED, HaltError } from './errors'
import { AdaptivePacer, PacerOptions, RateSignal } from './pacer'

export interface RateGateOptions {
  /** Longest pause one 429 may impose; absurd Retry-After values are capped. */
  maxPauseMs?: number
  /** Fixed pacing: at most this many requests per second leave the gate. */
  ratePerSec?: number | null
  /** Learned pacing, from Ratelimit-* headers and 429s (ignored when ratePerSec is set). */
  adaptive?: boolean | PacerOptions
}

export interface GateStats {
  pauses: number
  /** Total time during which the gate was closed by 429s. */
  pausedMs: number
}

/**
 * One gate per batch, shared by every worker. A 429 closes it for the whole
 * pool: a request that leaves while the Catalog's penalty window is open would
 * only extend the window.
 */
export class RateGate {
  private pausedUntil = 0
  private nextSlotAt = 0
  private intervalMs = 0
  private readonly maxPauseMs: number
  private readonly counters: GateStats = { pauses: 0, pausedMs: 0 }
  private readonly pacer?: AdaptivePacer

  constructor(private readonly clock: Clock, options: RateGateOptions = {}) {
    this.maxPauseMs = options.maxPauseMs ?? 60_000
    this.setRate(options.ratePerSec ?? null)
    if (options.adaptive && !options.ratePerSec) {
      this.pacer = new AdaptivePacer(
        clock,
        options.adaptive === true ? {} : options.adaptive
      )
    }
  }

  public setRate(ratePerSec: number | null) {
    this.intervalMs = ratePerSec && ratePerSec > 0 ? 1000 / ratePerSec : 0
  }

  public get rate(): number | null {
    return this.intervalMs ? 1000 / this.intervalMs : null
  }

  /** Feeds the Catalog's Ratelimit-* headers to the adaptive pacer, if any. */
  public observe(signal: RateSignal) {
    if (!this.pacer) return
    this.pacer.observe(signal)
    this.setRate(this.pacer.rate)
  }

  public get closedUntil(): number {
    return this.pausedUntil
  }

  public stats(): GateStats {
    return { ...this.counters }
  }

  /** Closes the gate for `ms` from now (capped); a longer pause wins over a shorter one. */
  public pause(ms: number) {
    const now = this.clock.now()
    const until = now + Math.min(Math.max(ms, 0), this.maxPauseMs)

    // Answers to requests already in flight repeat the same 429: count the window once.
    if (this.pacer && this.pausedUntil <= now) {
      this.pacer.onRateLimited()
      this.setRate(this.pacer.rate)
    }

    if (until <= this.pausedUntil) return

    this.counters.pauses += 1
    this.counters.pausedMs += until - Math.max(now, this.pausedUntil)
    this.pausedUntil = until
    this.nextSlotAt = Math.max(this.nextSlotAt, until)
  }

  /**
   * Resolves when one request may leave. Throws a HaltError at once when the
   * gate stays closed past `deadlineAt`, instead of sleeping into the deadline,
   * and when `signal` aborts.
   */
  public async acquire(deadlineAt: number, signal?: AbortSignal) {
    for (;;) {
      throwIfAborted(signal)
      const now = this.clock.now()

      if (this.pausedUntil > now) {
        if (this.pausedUntil > deadlineAt) {
          throw new HaltError({
            status: 504,
            code: DEADLINE_EXCEEDED,
            message: `The Catalog rate limit holds requests for ${Math.ceil(
              (this.pausedUntil - now) / 1000
            )}s, past the batch deadline.`,
          })
        }

        await this.clock.sleep(this.pausedUntil - now, signal)
        continue
      }

      if (!this.intervalMs) return this.leave()

      const slot = Math.max(this.nextSlotAt, now)

      this.nextSlotAt = slot + this.intervalMs
      if (slot > now) await this.clock.sleep(slot - now, signal)
      throwIfAborted(signal)
      // A 429 may have closed the gate while this request waited for its slot.
      if (this.pausedUntil <= this.clock.now()) return this.leave()
    }
  }

  private leave() {
    if (!this.pacer) return
    this.pacer.recordSend()
    this.setRate(this.pacer.rate)
  }
}

function throwIfAborted(signal?: AbortSignal) {
  if (signal?.aborted) {
    throw signal.reason instanceof HaltError
      ? signal.reason
      : new HaltError({ status: 499, code: 'ABORTED', message: 'Aborted.' })
  }
}
