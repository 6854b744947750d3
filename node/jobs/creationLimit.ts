/**
 * A token bucket per account for creating jobs (jobs and undos): each job
 * stores its items and starts events, so one caller must not be able to
 * queue hundreds in seconds. Per worker process: with n replicas an account
 * may create up to n times as many [inferred: IO spreads requests over
 * replicas; a shared count would cost a VBase round trip per creation].
 */
export interface CreationLimit {
  /** Jobs an account may create at once. */
  burst: number
  /** Jobs per minute it may create after that. */
  perMinute: number
}

export const DEFAULT_CREATION_LIMIT: CreationLimit = {
  burst: 10,
  perMinute: 30,
}

export class JobCreationLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  constructor(
    private readonly now: () => number,
    private readonly limit: CreationLimit = DEFAULT_CREATION_LIMIT
  ) {}

  /** Takes one creation for the account: undefined when allowed, else the seconds to wait. */
  public take(account: string): number | undefined {
    const now = this.now()
    const perMs = this.limit.perMinute / 60_000
    const bucket = this.buckets.get(account) ?? {
      tokens: this.limit.burst,
      at: now,
    }
    const tokens = Math.min(
      this.limit.burst,
      bucket.tokens + (now - bucket.at) * perMs
    )

    if (tokens >= 1) {
      this.buckets.set(account, { tokens: tokens - 1, at: now })

      return undefined
    }

    this.buckets.set(account, { tokens, at: now })

    return Math.max(1, Math.ceil((1 - tokens) / perMs / 1000))
  }
}
