import {
  CallFailure,
  DEADLINE_EXCEEDED,
  Failure,
  NOT_ATTEMPTED,
  Outcome,
  UPSTREAM_UNREACHABLE,
} from '../bulk'
import { CatalogError } from '../clients/catalog'

export { retryAfterMs } from '../bulk'

/** Connection errors that mean the Catalog could not be reached at all. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
])

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
      : {
          status: 502,
          code: 'NETWORK_ERROR',
          message,
          retryable: true,
          ...(UNREACHABLE.has(error.networkCode ?? '')
            ? { unreachable: true }
            : {}),
        }
  }

  if (status === 429) {
    // How long to wait is the flow control's business: it saw the headers.
    return { status, code: 'RATE_LIMITED', message, retryable: true }
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

const UNAVAILABLE_CODES = new Set([
  'NETWORK_ERROR',
  'TIMEOUT',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_ERROR',
  UPSTREAM_UNREACHABLE,
])

/** A failure that says the Catalog was down or out of reach, not that it refused this item. */
const isUnavailable = (failure: Failure) =>
  UNAVAILABLE_CODES.has(failure.code) &&
  (failure.status === 502 || failure.status === 503 || failure.status === 504)

/**
 * The status of the whole answer. A 401/403 that stopped the batch is the
 * status. When no item succeeded and every failure is the Catalog being
 * unavailable or unreachable (items never sent for lack of time say nothing
 * either way), the batch failed upstream: 503 if the Catalog answered 503
 * at least once, 502 if it could not be reached or answered otherwise.
 * Anything else, partial success included, is 200 with the envelope.
 */
export function batchStatus(
  outcomes: ReadonlyArray<Outcome<unknown>>,
  stoppedBy?: Failure
): number {
  if (stoppedBy && stoppedBy.code !== UPSTREAM_UNREACHABLE) {
    return stoppedBy.status
  }

  let unavailable = false
  let answered503 = false

  for (const outcome of outcomes) {
    if (outcome.ok) return 200
    const { failure } = outcome
    const cause = failure.cause ?? failure

    if (isUnavailable(cause)) {
      unavailable = true
      if (cause.status === 503) answered503 = true
    } else if (
      failure.code !== NOT_ATTEMPTED &&
      !(failure.code === DEADLINE_EXCEEDED && !failure.cause)
    ) {
      return 200
    }
  }

  if (!unavailable) return stoppedBy ? 502 : 200

  return answered503 ? 503 : 502
}
