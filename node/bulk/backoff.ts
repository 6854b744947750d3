export interface BackoffPolicy {
  baseMs: number
  maxMs: number
}

/**
 * Short: an item's backoff only spreads its retry. A Catalog that fails
 * widely is held off by the flow control (its breaker and 429 pauses hold
 * calls without spending attempts) and by the retry budget; a long per-item
 * backoff only left the unlucky items of a healthy batch sleeping at its end.
 */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 50, maxMs: 1_000 }

/**
 * Capped exponential backoff with full jitter: a uniform delay in
 * [0, min(max, base * 2^(attempt-1))]. Full jitter spreads the retries of a
 * whole pool, so they do not all hit the Catalog in the same instant.
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number
): number {
  const ceiling = Math.min(
    policy.maxMs,
    policy.baseMs * 2 ** Math.max(0, attempt - 1)
  )

  return Math.floor(random() * ceiling)
}
