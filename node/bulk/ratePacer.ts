import { SlotCounter } from './slotCounter'

const BUCKET_MS = 100
const MEASURE_MS = 1000
const LONG_MEASURE_MS = 4000
/** The end of a ramp: about one round trip. */
const RECENT_MS = 300
/** The ring of accepted answers keeps this much history. */
const HISTORY_MS = 5000
const MIN_RATE = 2
/** Fewer accepted answers than this in the window make no measurement. */
const MIN_ANSWERS_TO_MEASURE = 10
/** A 429 this soon after a pause comes from a run too short to measure the rate. */
const SHORT_RUN_MS = 2000
/** Seconds a cut rate takes to climb back to just under the estimated limit. */
const APPROACH_S = 1
/** Past it, the cubic's scale (TCP CUBIC): +1% after 10 s, +27% after 30 s, doubled after 47 s. */
const PROBE_C = 1e-5
/** Past an estimate made leaving slow start: +10% of it a second, until a 429 measures the limit. */
const UNCERTAIN_PROBE = 0.1
/** A last second this far above the run's average says the run was a climb. */
const CLIMB_GAP = 1.2

/** What the controller knows when a pacer must cut its rate. */
export interface CutContext {
  /** How long calls have been leaving since the last pause ended (or the first call). */
  activeMs: number
  /** Accepted answers are counted from here (the last pause's end, at the earliest). */
  measureFrom: number
  /** Pauses included, from here: the first call of the batch, or after the last gap. */
  historyFrom: number
  shortRttMs: number | undefined
}

/**
 * The send rate of one account's calls, learned from 429s. Unpaced until the first
 * cut; then below what the Catalog accepted lately, back up to the last
 * good rate quickly, then past it on a cubic (TCP CUBIC), for ever.
 */
export class RatePacer {
  private current: number | null = null
  /** The rate that met the last 429, or just under it: the cubic flattens there. */
  private wMax = 0
  /** The rate is a guess, not a measurement: probe past it fast, as slow start does. */
  private guessed = false
  /** The limit was estimated leaving slow start, not measured on a long run. */
  private uncertain = false
  private epochAt = 0
  private epochK = 0
  private approachC = 0
  private lastGrowAt = 0
  private lastPacedAt = Number.NEGATIVE_INFINITY
  private heldUntil = Number.NEGATIVE_INFINITY
  private last429At = Number.NEGATIVE_INFINITY
  private nextSendAt = 0
  private readonly accepted = new SlotCounter(BUCKET_MS, HISTORY_MS)

  /** Requests per second, or null while unpaced. */
  public get rate(): number | null {
    return this.current
  }

  /**
   * What the pacer knows of the Catalog's rate, for a controller that has
   * not met it yet: the rate the cubic flattens at (just under the last
   * 429's measure), or the rate a guess climbed to. Null while unpaced.
   */
  public get estimate(): { ratePerSec: number; probing: boolean } | null {
    if (this.current === null) return null
    const probing = this.guessed || this.uncertain

    return { ratePerSec: probing ? this.current : this.wMax, probing }
  }

  /**
   * Starts paced from what another controller learned (warm start): at
   * `rate`, back to `aim` within APPROACH_S as after a measured cut, then
   * past it on the slow cubic, or fast when `probing` (the aim was a guess
   * still climbing). A 429 then cuts as any other.
   */
  public resume(now: number, aim: number, rate: number, probing: boolean) {
    this.startEpoch(now, aim, Math.min(aim, rate))
    this.uncertain = probing
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

  /**
   * Nothing leaves before `until` (a pause). The cubic's clock stops while
   * nothing leaves: a climb the pause would spend resumes where it was.
   */
  public holdUntil(until: number, now: number) {
    this.nextSendAt = Math.max(this.nextSendAt, until)
    const from = Math.max(now, this.heldUntil)

    if (until <= from) return
    this.heldUntil = until
    this.epochAt += until - Math.max(from, Math.min(this.epochAt, until))
    this.lastGrowAt = Math.max(this.lastGrowAt, until)
  }

  public onAccepted(now: number) {
    this.accepted.add(now)
    this.grow(now)
  }

  /** A rate header says the bucket is nearly empty: cut, without the 429's pause. */
  public onNearlyEmpty(now: number, context: CutContext) {
    if (now - this.last429At < 1000) return
    const { rate: measured, answers } = this.acceptedOver(
      now,
      measureWindow(context),
      context.measureFrom
    )
    const got = answers >= MIN_ANSWERS_TO_MEASURE ? measured : null
    const base =
      this.current === null ? got : Math.min(this.current, got ?? Infinity)

    if (base === null) return
    this.last429At = now
    this.uncertain = false
    // The bucket drains at this rate: a little below what got through (a
    // measure, unlike a guess), back near it within seconds, no window crossed.
    this.startEpoch(now, 0.97 * base, 0.9 * base)
  }

  /**
   * A 429: the rate that met it is past the limit. A long run measures the
   * limit (what got through); a short one, right after a pause, only says
   * the rate is too high, since what got through includes the refill. The
   * rate is cut below the estimate, climbs back to just under it within
   * about a second, and then probes past it on a slow cubic, for ever.
   * Returns false when an unpaced pool met it with nothing to measure the
   * rate by: it sent far past the bucket, whose burst went at once.
   */
  public cut(now: number, context: CutContext): boolean {
    const accepted = this.acceptedOver(
      now,
      measureWindow(context),
      context.measureFrom
    )

    this.last429At = now
    const measured =
      accepted.answers >= MIN_ANSWERS_TO_MEASURE ? accepted.rate : null

    if (this.current === null) {
      if (measured === null) {
        // An unpaced pool that empties a small bucket at once, window after
        // window, never measures anything: pace it at what it got through
        // over the last seconds (pauses included, so below the limit), and
        // climb fast until a 429 measures it.
        const history = this.acceptedOver(now, HISTORY_MS, context.historyFrom)

        // Nothing got through at all: nothing to pace by, the pause does it.
        if (history.answers < MIN_ANSWERS_TO_MEASURE) return false
        this.startEpoch(now, history.rate, history.rate)
        this.guessed = true

        return false
      }

      // Leaving an unpaced ramp: over the whole run the pool was still
      // growing, so what got through is below the limit; over its last
      // moment it is past it, by the bucket's burst. Both are counted from
      // the run's first answers, a round trip after it began. Start at half
      // the higher, as TCP leaves slow start at half, and past 70% of it
      // probe fast for the next 429, which a longer run measures.
      const answersFrom = context.measureFrom + (context.shortRttMs ?? 0)
      const estimate = Math.max(
        measured,
        ...[measureWindow(context), RECENT_MS]
          .map((ms) => this.acceptedOver(now, ms, answersFrom))
          .filter((over) => over.answers >= MIN_ANSWERS_TO_MEASURE)
          .map((over) => over.rate)
      )

      this.startEpoch(now, 0.7 * estimate, 0.5 * estimate)
      this.uncertain = true

      return true
    }

    const before = this.current
    const shortRun = context.activeMs < SHORT_RUN_MS || measured === null
    const climbing = this.guessed

    this.guessed = false
    this.uncertain = false
    if (shortRun) {
      // The window's refill drained this soon: the rate is well past the
      // limit, by how much a run this short cannot tell: cut deep.
      this.startEpoch(now, 0.85 * before, 0.7 * before)
    } else {
      const limit = Math.min(before, Math.max(measured, 0.5 * before))

      this.startEpoch(now, 0.97 * limit, 0.9 * limit)
      // Measured over a guess climbing by half a second, the average is the
      // climb's: below the limit when the last second took much more. Probe
      // past it fast again.
      this.uncertain =
        climbing &&
        this.acceptedOver(now, MEASURE_MS, context.measureFrom).rate >
          CLIMB_GAP * measured
    }

    return true
  }

  /** From `rate`, back to `aim` on a concave cubic within APPROACH_S, then slowly past it. */
  private startEpoch(now: number, aim: number, rate: number) {
    this.current = Math.max(MIN_RATE, rate)
    this.wMax = Math.max(this.current, aim)
    this.epochAt = now
    this.lastGrowAt = now
    this.epochK = APPROACH_S
    this.approachC =
      (this.wMax - this.current) / (this.wMax * APPROACH_S ** 3) || 0
  }

  /** The cubic of the current epoch: concave up to wMax, flat near it, convex past it. */
  private grow(now: number) {
    const elapsed = Math.min(1000, now - this.lastGrowAt)

    this.lastGrowAt = now
    if (this.current === null) return
    // Only a rate that holds calls back needs to grow.
    if (now - this.lastPacedAt > 1000) return

    if (this.guessed) {
      // Past a guess: +50% a second until a 429 measures the limit.
      this.current *= 1.5 ** (elapsed / 1000)
    } else {
      const t = (now - this.epochAt) / 1000 - this.epochK
      const c = t < 0 ? this.approachC : PROBE_C
      const probe =
        this.uncertain && t > 0 ? this.wMax * (1 + UNCERTAIN_PROBE * t) : 0

      this.current = Math.max(this.current, this.wMax * (1 + c * t ** 3), probe)
    }

    // Far above anything the Catalog took, and quiet for long: stop pacing.
    if (
      now - this.last429At > 30_000 &&
      this.current >
        2 * Math.max(this.wMax, this.acceptedRate(now, -Infinity).rate)
    ) {
      this.current = null
    }
  }

  /**
   * Answers per second the Catalog took lately, since `from` at the
   * earliest: the higher of the last second and the last 300 ms, so that a
   * pool still ramping up is judged by where it got to, not by its average.
   */
  private acceptedRate(now: number, from: number) {
    const second = this.acceptedOver(now, MEASURE_MS, from)
    const recent = this.acceptedOver(now, RECENT_MS, from)

    return recent.rate > second.rate ? recent : second
  }

  /** Accepted answers per second over the last `windowMs`, since `earliest` at the earliest. */
  private acceptedOver(now: number, windowMs: number, earliest: number) {
    const from = Math.max(now - windowMs, earliest)
    const span = Math.max(BUCKET_MS, now - from)
    const answers = this.accepted.countBetween(from, now)

    return { rate: (answers * 1000) / span, answers }
  }
}

/**
 * The run since the last pause, one second at least, four at most: the last
 * second before a 429 holds part of the bucket's burst, a longer run less.
 */
function measureWindow(context: CutContext) {
  return Math.max(MEASURE_MS, Math.min(LONG_MEASURE_MS, context.activeMs))
}
