import type { CallFailure } from '../bulk'
import { CatalogError } from '../clients/catalog'

/** Seconds in Retry-After (or an HTTP date), else Ratelimit-Reset seconds; nonsense is ignored. */
export function retryAfterMs(
  headers: { retryAfter?: string; reset?: string },
  now: number = Date.now()
): number | undefined {
  const fromSeconds = (value?: string) => {
    if (value === undefined || !/^\s*\d+(\.\d+)?\s*$/.test(value))
      return undefined

    return Math.round(Number(value) * 1000)
  }

  const retryAfter = fromSeconds(headers.retryAfter)

  if (retryAfter !== undefined) return retryAfter

  if (headers.retryAfter) {
    const date = Date.parse(headers.retryAfter)

    if (!Number.isNaN(date) && date >= now) return date - now
  }

  return fromSeconds(headers.reset)
}

/** Decides, for any error a Catalog call throws, whether to retry, stop or give up. */
export function classifyCatalogError(error: unknown): CallFailure {
  if (!(error instanceof CatalogError)) {
    return {
      status: 500,
      code: 'INTERNAL_ERROR',
      message: `Unexpected error: ${
        error instanceof Error ? error.message : String(error)
      }`,
      retryable: false,
    }
  }

  const { status, message } = error

  if (status === undefined) {
    const timedOut =
      error.networkCode === 'ECONNABORTED' || error.networkCode === 'ETIMEDOUT'

    return timedOut
      ? {
          status: 504,
          code: 'TIMEOUT',
          message: `${message} (timed out)`,
          retryable: true,
        }
      : { status: 502, code: 'NETWORK_ERROR', message, retryable: true }
  }

  if (status === 429) {
    return {
      status,
      code: 'RATE_LIMITED',
      message,
      retryable: true,
      retryAfterMs: retryAfterMs(error.rateLimitHeaders),
    }
  }

  if (status === 401 || status === 403) {
    return {
      status,
      code: status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN',
      message,
      retryable: false,
      stopsBatch: true,
    }
  }

  if (status === 404)
    return { status, code: 'NOT_FOUND', message, retryable: false }
  if (status === 408 || status >= 500) {
    return {
      status,
      code: status === 503 ? 'UPSTREAM_UNAVAILABLE' : 'UPSTREAM_ERROR',
      message,
      retryable: true,
    }
  }

  return { status, code: 'UPSTREAM_REJECTED', message, retryable: false }
}
