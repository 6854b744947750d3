/** Latency may grow by this factor over its long-term average before the limit stops growing. */
export const LATENCY_TOLERANCE = 2
/** Time constant of the long-term latency average. */
const LONG_RTT_MS = 60_000
const WARMUP_SAMPLES = 50

/**
 * What the answers' latency says (the Measurement of Netflix's
 * concurrency-limits): a short average, which follows the pool, and a
 * long-term one, the baseline the short one is judged against.
 */
export class Latency {
  private shortRtt: number | undefined
  private longRtt: number | undefined
  private longRttAt = 0
  private samples = 0

  /** The recent latency (ms), undefined before the first answer. */
  public get short(): number | undefined {
    return this.shortRtt
  }

  /** The long-term latency (ms), undefined before the first answer. */
  public get long(): number | undefined {
    return this.longRtt
  }

  public add(latency: number, now: number) {
    this.shortRtt =
      this.shortRtt === undefined
        ? latency
        : this.shortRtt * 0.8 + latency * 0.2
    this.updateLong(latency, now)
  }

  /**
   * How far latency allows the pool to grow: 1 while the recent latency
   * stays within LATENCY_TOLERANCE of the long-term one, down to 0.5 as it
   * inflates past it (Gradient2).
   */
  public gradient() {
    return Math.max(
      0.5,
      Math.min(
        1,
        (LATENCY_TOLERANCE * (this.longRtt ?? 1)) / (this.shortRtt ?? 1)
      )
    )
  }

  /**
   * The long-term latency, averaged over time rather than samples, so that a
   * pool that grows does not drag it up at once. It follows a fall quickly
   * (Gradient2's drift guard) and a rise slowly.
   */
  private updateLong(latency: number, now: number) {
    this.longRttAt = this.longRttAt || now
    // The first samples make a plain mean: one lucky fast answer is no baseline.
    if (this.longRtt === undefined || this.samples < WARMUP_SAMPLES) {
      this.samples += 1
      this.longRtt =
        this.longRtt === undefined
          ? latency
          : this.longRtt + (latency - this.longRtt) / this.samples
      this.longRttAt = now

      return
    }

    const dt = Math.max(0, now - this.longRttAt)
    // A plain average over time, with two guards. It follows at once a fall
    // that leaves it stale (Gradient2), and it rises slower while latency is
    // inflated, which is what growing the pool does, so that it does not chase
    // the queue we build (a Catalog that really got slower is still followed
    // within minutes).
    const short = this.shortRtt ?? latency
    const tau =
      this.longRtt > 2 * short
        ? 2_000
        : short > LATENCY_TOLERANCE * this.longRtt
        ? 5 * LONG_RTT_MS
        : LONG_RTT_MS
    const alpha = 1 - Math.exp(-dt / tau)

    this.longRtt += (latency - this.longRtt) * alpha
    this.longRttAt = now
  }
}
