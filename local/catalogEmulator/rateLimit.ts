import type { CatalogKind } from './fields'
import type { RateHeaderStyle } from './rateHeaders'

/** Legacy single-bucket option (`rateLimit`); see profiles.ts for two buckets at once. */
export interface RateLimitProfile {
  ratePerSec: number
  burst: number
  /** 'account': one bucket for everything; 'endpoint': one per method and kind. */
  scope?: 'account' | 'endpoint'
  /** Which rate headers the answers carry (default 'ietf': `Ratelimit-*` on every answer). */
  headers?: RateHeaderStyle
}

export interface BucketSpec {
  ratePerSec: number
  burst: number
}

/** An endpoint family of the Catalog: one method on one kind's path. */
export type EndpointKey = `${'GET' | 'PUT'} ${CatalogKind}`

export interface BucketsProfile {
  /** One bucket for every Catalog call of the account. */
  account?: BucketSpec
  /** One bucket per endpoint family (EndpointKey), each with this spec. */
  endpoint?: BucketSpec
}

/** Another integration of the same account, calling `endpoint` at `ratePerSec`. */
export interface OtherClient {
  ratePerSec: number
  /** Default 'GET product'. Its calls take tokens from this endpoint's bucket and the account's. */
  endpoint?: EndpointKey
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

const newBucket = (spec: BucketSpec, now: number): Bucket => ({
  tokens: spec.burst,
  updatedAt: now,
  penaltyUntil: 0,
  penaltyOpenedAt: 0,
})

/**
 * Refills a bucket up to `now`, while another client takes `eatPerSec` of
 * it; returns the tokens that client got.
 */
function refill(bucket: Bucket, spec: BucketSpec, now: number, eatPerSec = 0) {
  const seconds = Math.max(0, now - bucket.updatedAt) / 1000
  const net = bucket.tokens + seconds * (spec.ratePerSec - eatPerSec)
  const eaten =
    net >= 0 ? seconds * eatPerSec : bucket.tokens + seconds * spec.ratePerSec

  bucket.tokens = Math.min(spec.burst, Math.max(0, net))
  bucket.updatedAt = now

  return eaten
}

const secondsUntilToken = (bucket: Bucket, spec: BucketSpec) =>
  Math.max(1, Math.ceil((1 - bucket.tokens) / spec.ratePerSec))

const penalty = (
  bucket: Bucket,
  spec: BucketSpec,
  now: number,
  graceMs: number
) => ({
  allowed: false as const,
  limit: spec.burst,
  retryAfterSec: Math.max(1, Math.ceil((bucket.penaltyUntil - now) / 1000)),
  violation: now >= bucket.penaltyOpenedAt + graceMs,
})

function openPenalty(bucket: Bucket, spec: BucketSpec, now: number) {
  const retryAfterSec = secondsUntilToken(bucket, spec)

  bucket.penaltyUntil = now + retryAfterSec * 1000
  bucket.penaltyOpenedAt = now

  return retryAfterSec
}

/**
 * A token bucket per key, with penalty windows. When the bucket is empty the
 * request gets a 429 whose Retry-After opens a window; every request arriving
 * inside it also gets a 429, and counts as a violation once `graceMs` has
 * passed (requests already in flight when the first 429 left could not know).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>()

  constructor(
    private readonly profile: BucketSpec,
    private readonly now: () => number,
    private readonly graceMs = 50
  ) {}

  public check(key: string): RateDecision {
    const now = this.now()
    const spec = this.profile
    const bucket = this.buckets.get(key) ?? newBucket(spec, now)

    this.buckets.set(key, bucket)
    refill(bucket, spec, now)
    if (bucket.penaltyUntil > now)
      return penalty(bucket, spec, now, this.graceMs)

    if (bucket.tokens >= 1) {
      bucket.tokens -= 1

      return {
        allowed: true,
        limit: spec.burst,
        remaining: Math.floor(bucket.tokens),
        resetSec: Math.ceil((spec.burst - bucket.tokens) / spec.ratePerSec),
      }
    }

    const retryAfterSec = openPenalty(bucket, spec, now)

    return {
      allowed: false,
      limit: spec.burst,
      retryAfterSec,
      violation: false,
    }
  }
}

/** Which bucket answered: 'account' or an EndpointKey. */
export type BucketDecision = RateDecision & { bucket: string }

/**
 * The account bucket and the endpoint buckets at once: a call needs a token
 * from each bucket it belongs to, and takes none unless it gets them all. The
 * answer's figures are the tightest bucket's. Another client, if any, drains
 * its share continuously (computed at each check, from the injected clock);
 * it never opens a penalty window.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>()
  /** Tokens the other client took so far. */
  public otherClientTokens = 0
  // Buckets start full at construction; the other client eats from then on.
  private readonly startedAt: number

  constructor(
    private readonly profile: BucketsProfile,
    private readonly now: () => number,
    private readonly graceMs = 50,
    private readonly other?: OtherClient
  ) {
    this.startedAt = now()
  }

  public check(endpoint: EndpointKey): BucketDecision | undefined {
    const now = this.now()
    const involved = this.involved(endpoint, now)

    if (involved.length === 0) return undefined

    const penalized = involved.filter(({ bucket }) => bucket.penaltyUntil > now)

    if (penalized.length > 0) {
      const answers = penalized.map(({ key, bucket, spec }) => ({
        ...penalty(bucket, spec, now, this.graceMs),
        bucket: key,
      }))

      return answers.reduce((a, b) =>
        b.retryAfterSec > a.retryAfterSec ? b : a
      )
    }

    const empty = involved.filter(({ bucket }) => bucket.tokens < 1)

    if (empty.length > 0) {
      const answers = empty.map(({ key, bucket, spec }) => ({
        allowed: false as const,
        limit: spec.burst,
        retryAfterSec: openPenalty(bucket, spec, now),
        violation: false,
        bucket: key,
      }))

      return answers.reduce((a, b) =>
        b.retryAfterSec > a.retryAfterSec ? b : a
      )
    }

    for (const { bucket } of involved) bucket.tokens -= 1
    const tightest = involved.reduce((a, b) =>
      b.bucket.tokens / b.spec.burst < a.bucket.tokens / a.spec.burst ? b : a
    )

    return {
      allowed: true,
      limit: tightest.spec.burst,
      remaining: Math.floor(tightest.bucket.tokens),
      resetSec: Math.ceil(
        (tightest.spec.burst - tightest.bucket.tokens) /
          tightest.spec.ratePerSec
      ),
      bucket: tightest.key,
    }
  }

  /** Brings the other client's share up to date (for the counters). */
  public settle() {
    const now = this.now()

    for (const endpoint of this.otherEndpoints()) this.involved(endpoint, now)
  }

  private otherEndpoints(): EndpointKey[] {
    return this.other ? [this.other.endpoint ?? 'GET product'] : []
  }

  /** The buckets a call to `endpoint` needs, refilled (and eaten) up to `now`. */
  private involved(endpoint: EndpointKey, now: number) {
    const wanted: Array<{ key: string; spec: BucketSpec }> = []

    if (this.profile.account)
      wanted.push({ key: 'account', spec: this.profile.account })
    if (this.profile.endpoint)
      wanted.push({ key: endpoint, spec: this.profile.endpoint })

    // The other client's buckets are brought up to date too, so its share is never skipped.
    const otherKeys = this.other
      ? ['account', this.other.endpoint ?? 'GET product']
      : []

    return wanted.map(({ key, spec }) => {
      let bucket = this.buckets.get(key)

      if (!bucket) {
        bucket = newBucket(spec, this.startedAt)
        this.buckets.set(key, bucket)
      }

      const eaten = refill(
        bucket,
        spec,
        now,
        otherKeys.includes(key) ? this.other?.ratePerSec : 0
      )

      // One call of the other client takes a token from each of its buckets: count them once.
      if (key === (this.profile.account ? 'account' : otherKeys[1]))
        this.otherClientTokens += eaten

      return { key, spec, bucket }
    })
  }
}
