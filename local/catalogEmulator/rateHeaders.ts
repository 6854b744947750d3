/**
 * Which rate headers the Catalog's answers carry:
 * - 'bare': none at all, not even Retry-After on a 429;
 * - 'none': no rate headers; a 429 carries Retry-After only (what VTEX's
 *   guides promise; the OpenAPI documents no rate header at all);
 * - 'on-429': Retry-After and `Ratelimit-Limit/Remaining/Reset` on 429s only;
 * - 'ietf': `Ratelimit-Limit/Remaining/Reset` on every answer (the IETF
 *   draft's names), Retry-After on 429s;
 * - 'x-ratelimit': `X-RateLimit-Limit/Remaining/Reset` on every answer,
 *   Retry-After on 429s.
 * Reset is always in seconds from now (never an epoch).
 */
export type RateHeaderStyle =
  | 'bare'
  | 'none'
  | 'on-429'
  | 'ietf'
  | 'x-ratelimit'

export interface RateFigures {
  limit: number
  remaining: number
  resetSec: number
}

const named = (prefix: string, figures: RateFigures) => ({
  [`${prefix}-Limit`]: figures.limit,
  [`${prefix}-Remaining`]: figures.remaining,
  [`${prefix}-Reset`]: figures.resetSec,
})

/** Headers of an answer the rate limiter let through. */
export function allowedHeaders(
  style: RateHeaderStyle,
  figures: RateFigures
): Record<string, number> {
  if (style === 'ietf') return named('Ratelimit', figures)
  if (style === 'x-ratelimit') return named('X-RateLimit', figures)

  return {}
}

/** Headers of the rate limiter's 429. */
export function limitedHeaders(
  style: RateHeaderStyle,
  limit: number,
  retryAfterSec: number
): Record<string, number> {
  if (style === 'bare') return {}
  const figures = { limit, remaining: 0, resetSec: retryAfterSec }
  const retryAfter = { 'Retry-After': retryAfterSec }

  if (style === 'none') return retryAfter
  if (style === 'x-ratelimit')
    return { ...retryAfter, ...named('X-RateLimit', figures) }

  return { ...retryAfter, ...named('Ratelimit', figures) }
}
