const BUCKET_MS = 100
const MEASURE_MS = 1000
/** The ring of accepted answers keeps this much history. */
const HISTORY_MS = 5000
const BUCKETS = HISTORY_MS / BUCKET_MS
const MIN_RATE = 2
/** Fewer accepted answers than this in the window make no measurement. */
const MIN_ANSWERS_TO_MEASURE = 10
/** A 429 this soon after a pause comes from a run too short to measure the rate. */
const SHORT_RUN_MS = 2000
const CUBIC_C = 1e-5

/** What the controller knows when a pacer must cut its rate. */
export interface CutContext {
  /** How long calls have been leaving since the last pause ended (or the first call). */
  activeMs: number
  /** Accepted answers are counted from here (the last pause's end, at the earliest). */
  measureFrom: number
  shortRttMs: number | undefined
}

/**
 * The send rate of one endpoint, learned from 429s. Unpaced until the first
 * cut; then below what the endpoint accepted lately, back up to the last
 * good rate quickly, then past it on a cubic (TCP CUBIC), for ever.
 */
export class RatePacer {
  private current: number | null = null
  private goodRate = 0
  /** The good rate is a guess, not a measurement: probe past it fast, as slow start does. */
  private guessed = false
  private crossedAt = Number.POSITIVE_INFINITY
  private lastGrowAt = 0
  private lastPacedAt = Number.NEGATIVE_INFINITY
  private last429At = Number.NEGATIVE_INFINITY
  private nextSendAt = 0
  private readonly accepted = new Float64Array(BUCKETS)
  private readonly acceptedSlot = new Float64Array(BUCKETS).fill(-1)

  /** Requests per second, or null while unpaced. */
  public get rate(): number | null {
    return this.current
  }

  /** When the next call may leave at `rate` (`Infinity`: no pacing). */
  public nextAt(rate: number) {
    return Number.isFinite(rate) ? this.nextSendAt : 0
  }

  /** Notes that a call waited for its pacing turn: the rate is what holds calls back. */
  public held(now: number) {
    this.lastPacedAt = now
  }

  /** Takes a sending slot at `rate` requests per second. */
  public take(now: number, rate: number) {
    if (!Number.isFinite(rate)) return
    const interval = 1000 / rate
    // A little catch-up for timers that fire late, never a burst.
    const slack = Math.min(25, 3 * interval)

    this.nextSendAt = Math.max(this.nextSendAt, now - slack) + interval
  }

  /** Nothing leaves before `until` (a pause). */
  public holdUntil(until: number) {
    this.nextSendAt = Math.max(this.nextSendAt, until)
  }

  public onAccepted(now: number) {
    const slot = Math.floor(now / BUCKET_MS)
    const at = slot % BUCKETS

    if (this.acceptedSlot[at] !== slot) {
      this.acceptedSlot[at] = slot
      this.accepted[at] = 0
    }

    this.accepted[at] += 1
    this.grow(now)
  }

  /** A rate header says the bucket is nearly empty: cut, without the 429's pause. */
  public onNearlyEmpty(now: number, context: CutContext) {
    if (now - this.last429At >= 1000) this.cut(now, context)
  }

  /**
   * Below what the endpoint accepted lately, never below half the previous
   * rate. Too few answers to measure say little about the rate: an unpaced
   * endpoint stays unpaced (the pause does the work), a paced one loses 15%.
   */
  public cut(now: number, context: CutContext, onlyIfMeasured = false) {
    const { rate: measured, answers } = this.acceptedRate(
      now,
      context.measureFrom
    )

    if (onlyIfMeasured && answers < MIN_ANSWERS_TO_MEASURE) return
    this.lastGrowAt = now
    this.last429At = now
    if (answers < MIN_ANSWERS_TO_MEASURE) {
      if (this.current !== null) {
        // Nothing to measure: a paced endpoint is cut by 15%, no more (a run
        // of short windows must not spiral down to a trickle).
        const before = this.current

        this.current = Math.max(MIN_RATE, 0.85 * before)
        this.goodRate = Math.max(this.current, 0.95 * before)
      } else {
        // An unpaced pool that empties a small bucket at once, window after
        // window, never measures anything: pace it at what it got through
        // over the last seconds (pauses included, so below the limit), and
        // climb fast towards four times that, until a 429 measures it.
        const history = this.acceptedOver(now, HISTORY_MS, -Infinity)

        // Nothing got through at all: nothing to pace by, the pause does it.
        if (history.answers < MIN_ANSWERS_TO_MEASURE) return
        this.current = Math.max(MIN_RATE, history.rate)
        this.goodRate = this.current
        this.guessed = true
      }

      this.crossedAt = Number.POSITIVE_INFINITY

      return
    }

    this.guessed = false
    if (this.current === null) {
      const slowStart =
        context.activeMs < 500 ||
        context.activeMs < 2 * (context.shortRttMs ?? 0)

      if (slowStart) {
        // Still in slow start, the bucket's burst may be most of what was
        // accepted: halve, as TCP leaves slow start, then climb back towards
        // 90% of it within seconds (a 429 on the way cuts again).
        this.current = Math.max(MIN_RATE, 0.5 * measured)
        this.goodRate = Math.max(MIN_RATE, 0.9 * measured)
        this.crossedAt = Number.POSITIVE_INFINITY
      } else {
        this.goodRate = Math.max(MIN_RATE, measured)
        this.current = Math.max(MIN_RATE, 0.9 * measured)
        this.crossedAt = Number.POSITIVE_INFINITY
      }

      return
    }

    // Right after a pause, what was accepted is mostly the bucket's refill,
    // not its rate: a 429 that soon only says the rate is too high. Cut it by
    // 15% (geometric, as AIMD) and probe up from there, slowly.
    if (context.activeMs < SHORT_RUN_MS) {
      const before = this.current

      this.current = Math.max(MIN_RATE, Math.min(0.9 * measured, 0.85 * before))
      // Back towards just under the rate that met it, soon: a 429 on the way cuts again.
      this.goodRate = Math.max(this.current, 0.95 * before)
      this.crossedAt = Number.POSITIVE_INFINITY

      return
    }

    // A longer run measures the rate; the one that met the 429 was just past the limit.
    const base = Math.min(this.current, Math.max(measured, 0.5 * this.current))

    this.goodRate = Math.max(MIN_RATE, 0.97 * base)
    this.current = Math.max(MIN_RATE, 0.9 * base)
    this.crossedAt = Number.POSITIVE_INFINITY
  }

  /** Back to the last good rate quickly, then slowly past it, then faster: the probe never stops. */
  private grow(now: number) {
    const elapsed = Math.min(1000, now - this.lastGrowAt)

    this.lastGrowAt = now
    if (this.current === null) return
    // Only a rate that holds calls back needs to grow.
    if (now - this.lastPacedAt > 1000) return
    const seconds = elapsed / 1000

    if (this.current < this.goodRate) {
      // Back to the last good rate: the gap closes by about half a second.
      this.current += Math.max(
        seconds * (this.goodRate - this.current),
        seconds * 0.01 * this.goodRate
      )
      if (this.current >= this.goodRate) {
        this.current = this.goodRate
        this.crossedAt = now
      }
    } else if (this.guessed) {
      // Past a guess: +50% a second until a 429 measures the limit.
      this.current *= 1.5 ** seconds
    } else {
      // Past it, a cubic (TCP CUBIC): +1% after 10 s, +27% after 30 s, doubled after 47 s.
      if (!Number.isFinite(this.crossedAt)) this.crossedAt = now
      const t = (now - this.crossedAt) / 1000

      this.current = Math.max(
        this.current,
        this.goodRate * (1 + CUBIC_C * t ** 3)
      )
    }

    // Far above anything the endpoint took, and quiet for long: stop pacing.
    if (
      now - this.last429At > 30_000 &&
      this.current >
        2 * Math.max(this.goodRate, this.acceptedRate(now, -Infinity).rate)
    ) {
      this.current = null
    }
  }

  /**
   * Answers per second the endpoint took lately, since `from` at the
   * earliest: the higher of the last second and the last 300 ms, so that a
   * pool still ramping up is judged by where it got to, not by its average.
   */
  private acceptedRate(now: number, from: number) {
    const second = this.acceptedOver(now, MEASURE_MS, from)
    const recent = this.acceptedOver(now, 300, from)

    return recent.rate > second.rate ? recent : second
  }

  private acceptedOver(now: number, windowMs: number, earliest: number) {
    const from = Math.max(now - windowMs, earliest)
    const span = Math.max(BUCKET_MS, now - from)
    const fromSlot = Math.floor(from / BUCKET_MS)
    const nowSlot = Math.floor(now / BUCKET_MS)
    let total = 0

    for (let i = 0; i < BUCKETS; i++) {
      const slot = this.acceptedSlot[i]

      if (slot >= fromSlot && slot <= nowSlot) total += this.accepted[i]
    }

    return { rate: (total * 1000) / span, answers: total }
  }
}
