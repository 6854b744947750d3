export interface RetryBudgetOptions {
  /** Retries always allowed per second, even when nothing succeeds. */
  minPerSec?: number
  /** Retries earned by each first attempt (0.2: failing retries add at most 20% load). */
  ratio?: number
  /** Most retries that may be banked. */
  max?: number
}

/**
 * A pool-wide retry budget (after Finagle's RetryBudget and gRPC retry
 * throttling): every first attempt deposits `ratio` of a retry, time deposits
 * `minPerSec`, and every retry withdraws one, given back if the retry got an
 * answer. So it bounds the retries that fail, the load a Catalog that is down
 * would see, and costs nothing once the Catalog answers again. A retry
 * beyond it is not dropped: it waits for the budget, while its time lasts.
 */
export class RetryBudget {
  private balance: number
  private updatedAt: number | undefined
  private readonly minPerSec: number
  private readonly ratio: number
  private readonly max: number

  constructor(options: RetryBudgetOptions = {}) {
    this.minPerSec = options.minPerSec ?? 10
    this.ratio = options.ratio ?? 0.2
    this.max = options.max ?? 100
    this.balance = this.minPerSec
  }

  /** How long a retry that found no budget waits before it asks again. */
  public get pollMs() {
    return 1000 / this.minPerSec
  }

  public deposit() {
    this.balance = Math.min(this.max, this.balance + this.ratio)
  }

  /** Takes one retry if the budget has it. */
  public tryWithdraw(now: number): boolean {
    this.refill(now)
    if (this.balance < 1) return false
    this.balance -= 1

    return true
  }

  /**
   * A retry that got an answer added no useless load: it is given back, with
   * one more, so the budget a Catalog outage drained doubles back each round
   * trip once the Catalog answers again.
   */
  public refund() {
    this.balance = Math.min(this.max, this.balance + 2)
  }

  private refill(now: number) {
    if (this.updatedAt !== undefined && now > this.updatedAt) {
      this.balance = Math.min(
        this.max,
        this.balance + ((now - this.updatedAt) * this.minPerSec) / 1000
      )
    }

    this.updatedAt = Math.max(now, this.updatedAt ?? now)
  }
}
