import {
  CallFailure,
  DEADLINE_EXCEEDED,
  Failure,
  NOT_ATTEMPTED,
  Outcome,
  UPSTREAM_UNREACHABLE,
} from '../bulk'
import { CatalogError } from '../clients/catalog'
import { callFailure, isUnavailable } from '../clients/catalogFault'

export { retryAfterMs } from '../bulk'

/** Decides, for any error a Catalog call throws, whether to retry, stop or give up (the Catalog fault model's table). */
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

  return callFailure(error.fault, error.status, error.message)
}

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
