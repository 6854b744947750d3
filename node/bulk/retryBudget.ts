export interface RetryBudgetOptions {
  /** Retries always allowed per second, even when nothing succeeds. */
  minPerSec?: number
  /** Retries earned by each first attempt (0.2: retries add at most 20% load). */
  ratio?: number
  /** Most retries that may be banked. */
  max?: number
}

/**
 * A pool-wide retry budget (Finagle's RetryBudget, gRPC retry throttling):
 * every first attempt deposits `ratio` of a retry, time deposits `minPerSec`,
 * and every retry withdraws one. A retry beyond the budget is not dropped, it
 * waits its turn, so a Catalog that is down sees a trickle of retries, not a
 * storm, and no item is given up while its time lasts.
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

  public deposit() {
    this.balance = Math.min(this.max, this.balance + this.ratio)
  }

  /** Takes one retry; resolves to how long (ms) the caller must wait for it to be its turn. */
  public reserve(now: number): number {
    this.refill(now)
    this.balance -= 1

    return this.balance >= 0 ? 0 : (-this.balance / this.minPerSec) * 1000
  }

  /** Gives back a reservation that will not be used. */
  public refund() {
    this.balance = Math.min(this.max, this.balance + 1)
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
