import type { Latency } from './latency'
import { SlotCounter } from './slotCounter'

/** The limit is cut when at least this share of the last second's answers failed. */
const OVERLOAD_SHARE = 0.25
/** Fewer answers than this in the last second measure no share: 3 of 10 happens by chance at 10% noise (a streak opens the breaker). */
const OVERLOAD_MIN_ANSWERS = 40
/** The last second's answers are counted in 100 ms slots. */
const ANSWER_SLOT_MS = 100
const OVERLOAD_WINDOW_MS = 1000

/**
 * How many calls may be in flight (the Limit of Netflix's
 * concurrency-limits): slow start, then a Gradient2-like latency rule (grow
 * while latency stays near its long-term average, shrink as it inflates);
 * multiplicative decrease when a share of the answers are overload (503s,
 * 5xx, timeouts, resets), and back up after a run of cuts.
 */
export class ConcurrencyLimit {
  private limit: number
  /** Slow start's threshold: the limit doubles a round trip below it. */
  private ssthresh = Number.POSITIVE_INFINITY
  private lastCutAt = Number.NEGATIVE_INFINITY
  /** A run of cuts is under way: the first good answer after it ends it. */
  private cutting = false
  private limitBeforeCuts = 0
  /** Where slow start was heading when the cuts began (an outage during slow start ends it there). */
  private ssthreshBeforeCuts = 0
  /** The breaker opened during the current run of cuts. */
  private outageInCuts = false
  private readonly answers = new SlotCounter(ANSWER_SLOT_MS, OVERLOAD_WINDOW_MS)
  private readonly overloads = new SlotCounter(
    ANSWER_SLOT_MS,
    OVERLOAD_WINDOW_MS
  )

  constructor(private readonly initial: number, private ceiling: number) {
    this.limit = Math.min(initial, ceiling)
  }

  /** The learned limit, fractional, below the ceiling. */
  public get value() {
    return this.limit
  }

  /** Calls that may be in flight now: a whole number, one at least. */
  public allowed() {
    return Math.max(1, Math.floor(Math.min(this.limit, this.ceiling)))
  }

  public setCeiling(ceiling: number) {
    this.ceiling = ceiling
    this.limit = Math.min(this.limit, ceiling)
  }

  /**
   * Idle for a while: what the limit was may no longer hold, so slow start
   * again up to it (TCP's restart after idle), from half of it for every
   * `halvings` (RFC 2861: a second idle), not from the first calls.
   */
  public restartAfterIdle(halvings: number) {
    this.ssthresh = Math.max(this.limit, this.initial)
    this.limit = Math.min(
      this.limit,
      Math.max(this.initial, this.limit / 2 ** halvings)
    )
  }

  /**
   * Starts from a limit another controller learned (warm start), aged as
   * after an idle time: from `limit / 2^halvings`, never below the initial
   * limit. Slow start goes on past it, as from a cold start: a limit cut by
   * an outage, then remembered, must not cap the next batch's.
   */
  public resumeFrom(limit: number, halvings: number) {
    this.limit = Math.min(
      this.ceiling,
      Math.max(this.initial, limit / 2 ** halvings)
    )
  }

  /** A good answer; `bound`: the limit held calls back when it left, so it may grow. */
  public onAnswered(now: number, latency: Latency, bound: boolean) {
    this.answers.add(now)
    // The first answer after a run of cuts: slow start back up to half of
    // where the pool was (TCP after a timeout), not a crawl from one call.
    if (this.cutting && this.overloadShare(now) < OVERLOAD_SHARE) {
      this.cutting = false
      if (this.outageInCuts) {
        // Everything failed at once, whatever the load: a breaker phase or an
        // outage, not a pool too large. Back to where it was within a round
        // trip (slow start from half); the latency rule and the cuts still
        // apply if the Catalog comes back weaker.
        this.limit = Math.max(this.limit, this.limitBeforeCuts / 2)
        this.ssthresh = Math.max(
          this.limit,
          this.limitBeforeCuts,
          this.ssthreshBeforeCuts
        )
      } else {
        this.ssthresh = Math.max(this.limit, this.limitBeforeCuts / 2)
      }

      this.outageInCuts = false
    }

    if (bound) this.grow(latency)
  }

  /**
   * An overload answer. A share of failures cuts, not one: 10% random 503s
   * are the Catalog's noise, not our load, and cutting on each would starve
   * the pool (random loss is what breaks TCP Reno). One cut per round trip:
   * answers to calls sent before the last cut say nothing new.
   */
  public onOverload(sentAt: number, now: number) {
    this.answers.add(now)
    this.overloads.add(now)
    if (sentAt >= this.lastCutAt && this.overloadShare(now) >= OVERLOAD_SHARE) {
      this.beginCuts()
      this.limit = Math.max(1, this.limit * 0.7)
      this.ssthresh = Math.max(2, this.limit)
      this.lastCutAt = now
    }
  }

  /** The breaker opened: the cuts under way end as after an outage, not an overload. */
  public onOutage() {
    this.beginCuts()
    this.outageInCuts = true
  }

  /**
   * An unpaced pool sent its whole limit into the bucket's burst at once,
   * so nothing measured the rate: halve it, as TCP does on a loss, so the
   * next run starts within the burst and ramps where a 429 measures it.
   */
  public halve() {
    this.limit = Math.max(this.initial, this.limit / 2)
  }

  /** A 429 met the pool at `limit`: slow start stops there from now on. */
  public capThreshold(limit: number) {
    this.ssthresh = Math.min(this.ssthresh, limit)
  }

  private beginCuts() {
    if (this.cutting) return
    this.cutting = true
    this.limitBeforeCuts = this.limit
    this.ssthreshBeforeCuts = this.ssthresh
  }

  private grow(latency: Latency) {
    const gradient = latency.gradient()

    if (this.limit < this.ssthresh && gradient >= 1) {
      this.limit += 1
    } else {
      if (gradient < 1) this.ssthresh = Math.min(this.ssthresh, this.limit)
      const target = this.limit * gradient + Math.sqrt(this.limit)

      this.limit += (target - this.limit) / Math.max(1, this.limit)
    }

    this.limit = Math.max(1, Math.min(this.limit, this.ceiling))
  }

  /** Share of the last second's answers that were overload. */
  private overloadShare(now: number) {
    // The last second's slots, this one included.
    const from = now - (OVERLOAD_WINDOW_MS - ANSWER_SLOT_MS)
    const answers = this.answers.countBetween(from, now)
    const overloads = this.overloads.countBetween(from, now)

    return answers < OVERLOAD_MIN_ANSWERS ? 0 : overloads / answers
  }
}
