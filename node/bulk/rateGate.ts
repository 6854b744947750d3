import type { RateHeaders } from './rateHeaders'
import { CutContext, RatePacer } from './ratePacer'

/** Retry-After and the reset headers count whole seconds. */
const RETRY_AFTER_GRAIN_MS = 1000
/** The rpm cap lets a late timer catch up this much, never a burst. */
const CAP_SLACK_MS = 25

export type PauseReason = 'rateLimit' | 'breaker'

export interface RateGateOptions {
  /** Longest pause one 429 may impose; absurd Retry-After values are capped. */
  maxPauseMs: number
  /** Pause after a 429 that names no wait; doubled while probes meet 429s. */
  defaultPauseMs: number
  /** Requests per minute the settings allow, null for no cap. */
  rpmCap: number | null
  /** Called when a pause begins or grows: `addedMs` is how much longer calls wait. */
  onPause(addedMs: number, now: number): void
  /** A pause still running when the gate is built (what was learned is forgotten, a named wait is not). */
  pausedUntil?: number
  pauseReason?: PauseReason
}

/**
 * When calls may leave: pauses (a 429's window, the breaker's wait, then one
 * probe), the pacing learned from 429s and rate headers (RatePacer), and the
 * settings' cap on requests per minute. It also keeps the runs the pacing is
 * measured over: the run since the last pause or gap, from the first call.
 */
export class RateGate {
  private until: number
  private reason: PauseReason
  private probe = false
  /** Probes in a row that met a 429: the guessed pause doubles with each. */
  private pauseStreak = 0
  /** When the last 429 window became known: 429s to calls sent before it are that window's. */
  private windowSeenAt = Number.NEGATIVE_INFINITY
  private readonly pacer = new RatePacer()
  private nextCapAt = 0
  /** Where the current run of calls began: the last pause's end, or the first call after a gap. */
  private runStartAt = Number.NEGATIVE_INFINITY
  /** The first call after the last gap: history before it is another run's. */
  private gapEndAt = Number.NEGATIVE_INFINITY
  private firstSendAt = Number.NEGATIVE_INFINITY

  constructor(private readonly options: RateGateOptions, now = 0) {
    this.until = options.pausedUntil ?? 0
    this.reason = options.pauseReason ?? 'rateLimit'
    this.pacer.holdUntil(this.until, now)
  }

  /** No call leaves before this time. */
  public get pausedUntil() {
    return this.until
  }

  public get pauseReason() {
    return this.reason
  }

  /** A pause ends with one probe: only one call is in flight until an answer is good. */
  public get probing() {
    return this.probe
  }

  /** Nothing is learned about the rate: only the concurrency limit holds calls. */
  public get unpaced() {
    return this.pacer.rate === null
  }

  /** What the pacer knows of the Catalog's rate (RatePacer.estimate). */
  public get rateEstimate() {
    return this.pacer.estimate
  }

  /** Starts paced from what another controller learned (RatePacer.resume). */
  public resume(now: number, aim: number, rate: number, probing: boolean) {
    this.pacer.resume(now, aim, rate, probing)
  }

  public setRpmCap(rpmCap: number | null) {
    this.options.rpmCap = rpmCap
  }

  /** The rate calls may leave at, requests per second, null while unpaced. */
  public ratePerSec(): number | null {
    const learned = this.pacer.rate
    const cap = this.options.rpmCap === null ? null : this.options.rpmCap / 60

    return learned === null
      ? cap
      : cap === null
      ? learned
      : Math.min(learned, cap)
  }

  /**
   * When the next call may leave, pauses aside. `smoothRate`: the rate an
   * unpaced pool is held to (Infinity for none).
   */
  public readyAt(smoothRate: number) {
    const capAt = this.options.rpmCap === null ? 0 : this.nextCapAt

    return Math.max(this.pacer.nextAt(this.rateOf(smoothRate)), capAt)
  }

  /** A call waited for its pacing turn: the rate is what holds calls back. */
  public held(now: number) {
    this.pacer.held(now)
  }

  /** A call leaves now: it takes its sending slot. */
  public take(now: number, smoothRate: number) {
    this.pacer.take(now, this.rateOf(smoothRate))
    if (this.options.rpmCap !== null) {
      this.nextCapAt =
        Math.max(this.nextCapAt, now - CAP_SLACK_MS) +
        1000 / (this.options.rpmCap / 60)
    }

    if (!Number.isFinite(this.firstSendAt)) this.firstSendAt = now
  }

  /** A gap with nothing in flight ends a run: the bucket refilled in it, as in a pause. */
  public newRun(now: number) {
    this.runStartAt = now
    this.gapEndAt = now
  }

  /** After a long idle time the next call starts the measure afresh. */
  public restart() {
    this.firstSendAt = Number.NEGATIVE_INFINITY
  }

  /** A good answer; its rate headers may say the bucket is about to run dry. */
  public onAccepted(
    now: number,
    headers: RateHeaders | undefined,
    shortRttMs: number | undefined
  ) {
    this.pauseStreak = 0
    this.probe = false
    this.pacer.onAccepted(now)

    const { limit, remaining } = headers ?? {}

    // The bucket is about to run dry: slow down now instead of meeting the 429.
    if (
      limit !== undefined &&
      remaining !== undefined &&
      remaining <= Math.max(1, 0.1 * limit)
    ) {
      this.pacer.onNearlyEmpty(now, this.cutContext(now, shortRttMs))
    }
  }

  /**
   * A 429 to a call sent at `sentAt`: every call pauses. Returns `repeat`
   * for a window already known, `probe` when the probe after a pause met
   * it, and whether the pacer could measure the rate otherwise.
   */
  public onRateLimited(
    headers: RateHeaders,
    sentAt: number,
    now: number,
    shortRttMs: number | undefined
  ): 'repeat' | 'probe' | 'measured' | 'unmeasured' {
    const told = headers.retryAfterMs

    // Sent before we knew of this window: the same 429 again, counted once.
    if (sentAt <= this.windowSeenAt) {
      // Retry-After counts whole seconds, rounded up: a later 429 of the same
      // window says it ends after now + Retry-After - 1 s. Only an end past
      // the pause (a longer window, another bucket's) extends it.
      if (
        told !== undefined &&
        now + told - RETRY_AFTER_GRAIN_MS > this.until
      ) {
        this.pause(told, now, 'rateLimit', false)
      }

      return 'repeat'
    }

    this.windowSeenAt = now
    let verdict: 'probe' | 'measured' | 'unmeasured' = 'probe'

    if (this.probe) {
      // The probe after a pause met the window still open: wait longer.
      this.pauseStreak += 1
    } else {
      const measured = this.pacer.cut(now, this.cutContext(now, shortRttMs))

      verdict = measured ? 'measured' : 'unmeasured'
      this.pauseStreak = 0
    }

    // A pause the Catalog named is trusted; a guessed one ends with one probe.
    this.pause(
      told ?? this.options.defaultPauseMs * 2 ** Math.min(this.pauseStreak, 3),
      now,
      'rateLimit',
      told === undefined || told > this.options.maxPauseMs
    )

    return verdict
  }

  /** Every call waits `ms` (capped); `probe`: then one call goes alone. */
  public pause(ms: number, now: number, reason: PauseReason, probe: boolean) {
    const until = now + Math.min(Math.max(ms, 0), this.options.maxPauseMs)

    if (probe) this.probe = true
    if (until <= this.until) return
    const addedMs = until - Math.max(now, this.until)

    this.reason = reason
    this.until = until
    this.runStartAt = until
    this.pacer.holdUntil(until, now)
    this.options.onPause(addedMs, now)
  }

  private rateOf(smoothRate: number) {
    return this.pacer.rate ?? smoothRate
  }

  private cutContext(now: number, shortRttMs: number | undefined): CutContext {
    const measureFrom = Math.max(this.runStartAt, this.firstSendAt)

    return {
      activeMs: now - measureFrom,
      measureFrom,
      historyFrom: Math.max(this.gapEndAt, this.firstSendAt),
      shortRttMs,
    }
  }
}
