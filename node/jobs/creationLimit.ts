import { positiveNumberFrom } from '../envNumbers'

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

/** The limit, which JOB_CREATION_BURST / JOB_CREATIONS_PER_MINUTE may change locally (tests that create many jobs). */
export const creationLimitFor = (
  env: NodeJS.ProcessEnv = process.env
): CreationLimit => ({
  burst:
    positiveNumberFrom(env.JOB_CREATION_BURST, 6) ??
    DEFAULT_CREATION_LIMIT.burst,
  perMinute:
    positiveNumberFrom(env.JOB_CREATIONS_PER_MINUTE, 6) ??
    DEFAULT_CREATION_LIMIT.perMinute,
})

export class JobCreationLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  constructor(
    private readonly now: () => number,
    private readonly limit: CreationLimit = DEFAULT_CREATION_LIMIT
  ) {}

  /** Undefined when the account may create a job now, else the seconds to wait. */
  public waitFor(account: string): number | undefined {
    const tokens = this.tokensOf(account, this.now())

    return tokens >= 1
      ? undefined
      : Math.max(1, Math.ceil((1 - tokens) / this.perMs() / 1000))
  }

  /** Counts a job the account created. */
  public take(account: string) {
    const now = this.now()

    this.buckets.set(account, {
      tokens: this.tokensOf(account, now) - 1,
      at: now,
    })
  }

  private perMs() {
    return this.limit.perMinute / 60_000
  }

  private tokensOf(account: string, now: number) {
    const bucket = this.buckets.get(account)

    return bucket
      ? Math.min(
          this.limit.burst,
          bucket.tokens + (now - bucket.at) * this.perMs()
        )
      : this.limit.burst
  }
}
