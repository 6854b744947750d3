export interface RateLimitProfile {
  ratePerSec: number
  burst: number
  /** 'account': one bucket for everything; 'endpoint': one per method and kind. */
  scope?: 'account' | 'endpoint'
}

export type RateDecision =
  | { allowed: true; limit: number; remaining: number; resetSec: number }
  | { allowed: false; limit: number; retryAfterSec: number; violation: boolean }

interface Bucket {
  tokens: number
  updatedAt: number
  penaltyUntil: number
  penaltyOpenedAt: number
}

/**
 * A token bucket with penalty windows. When the bucket is empty the request
 * gets a 429 whose Retry-After opens a window; every request arriving inside
 * it also gets a 429, and counts as a violation once `graceMs` has passed
 * (requests already in flight when the first 429 left could not know).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>()

  constructor(
    private readonly profile: RateLimitProfile,
    private readonly now: () => number,
    private readonly graceMs = 50
  ) {}

  public check(key: string): RateDecision {
    const { ratePerSec, burst } = this.profile
    const now = this.now()
    const bucket = this.buckets.get(key) ?? {
      tokens: burst,
      updatedAt: now,
      penaltyUntil: 0,
      penaltyOpenedAt: 0,
    }

    this.buckets.set(key, bucket)
    bucket.tokens = Math.min(
      burst,
      bucket.tokens + ((now - bucket.updatedAt) * ratePerSec) / 1000
    )
    bucket.updatedAt = now

    if (bucket.penaltyUntil > now) {
      return {
        allowed: false,
        limit: burst,
        retryAfterSec: Math.max(
          1,
          Math.ceil((bucket.penaltyUntil - now) / 1000)
        ),
        violation: now >= bucket.penaltyOpenedAt + this.graceMs,
      }
    }

    if (bucket.tokens >= 1) {
      bucket.tokens -= 1

      return {
        allowed: true,
        limit: burst,
        remaining: Math.floor(bucket.tokens),
        resetSec: Math.ceil((burst - bucket.tokens) / ratePerSec),
      }
    }

    const retryAfterSec = Math.max(
      1,
      Math.ceil((1 - bucket.tokens) / ratePerSec)
    )

    bucket.penaltyUntil = now + retryAfterSec * 1000
    bucket.penaltyOpenedAt = now

    return { allowed: false, limit: burst, retryAfterSec, violation: false }
  }
}
