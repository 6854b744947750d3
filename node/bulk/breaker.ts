/** Consecutive overload answers (503, 5xx, timeouts, resets) that open the breaker. */
const BREAKER_STREAK = 5
/**
 * The wait before each probe while an outage is young: one call per wait
 * costs a Catalog in a breaker phase nothing, and its end is seen within a
 * quarter second and a round trip.
 */
const BREAKER_PROBE_MS = 250
/**
 * Once it has lasted BREAKER_LONG_MS, the wait doubles with each opening
 * since the outage began, up to this: after 10 s of 250 ms waits, at once.
 */
const BREAKER_MAX_MS = 5000
const BREAKER_LONG_MS = 10_000

/**
 * A client-side breaker: when everything fails (a run of overload answers,
 * or a probe that failed), every call waits, then one probe goes. The wait
 * is short while the outage is young and doubles once it lasts.
 */
export class Breaker {
  /** Overload answers since the last good one or the last opening. */
  private streak = 0
  /** Openings since the last good answer. */
  private openings = 0
  private openedAt = Number.NEGATIVE_INFINITY
  /** When the current run of failures began (NaN: no run). */
  private outageSince = Number.NaN

  public onAnswered() {
    this.outageSince = Number.NaN
    this.streak = 0
    this.openings = 0
  }

  /**
   * An overload answer to a call sent at `sentAt`; `probing`: it was the one
   * call let through after a pause. Returns how long every call must wait
   * when the breaker opens, undefined when it does not.
   */
  public onOverload(
    sentAt: number,
    now: number,
    probing: boolean
  ): number | undefined {
    this.streak += 1
    if (Number.isNaN(this.outageSince)) this.outageSince = now
    // Answers to calls sent before the breaker last opened say nothing new.
    if ((this.streak < BREAKER_STREAK && !probing) || sentAt < this.openedAt) {
      return undefined
    }

    this.openedAt = now
    const longOutage = now - this.outageSince >= BREAKER_LONG_MS
    const wait = longOutage
      ? Math.min(BREAKER_MAX_MS, BREAKER_PROBE_MS * 2 ** this.openings)
      : BREAKER_PROBE_MS

    this.openings += 1
    this.streak = 0

    return wait
  }
}
