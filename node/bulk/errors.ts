/** What a failed item reports: an HTTP status, a machine-readable code and a message. */
export interface Failure {
  status: number
  code: string
  message: string
  /** Behind a DEADLINE_EXCEEDED or NOT_ATTEMPTED: the last real error of the item, if any. */
  cause?: Failure
  /**
   * Which time bound ended a DEADLINE_EXCEEDED item: the batch's deadline
   * (a job's slice, whose next slice runs the item again) or the item's own
   * retry window (final).
   */
  bound?: 'deadline' | 'retryWindow'
}

/** How the engine should treat a failed upstream call. */
export interface CallFailure extends Failure {
  retryable: boolean
  /** 401/403: the caller's credentials are refused, so no further call can succeed. */
  stopsBatch?: boolean
  /** No connection could be made (refused, no route, no DNS): the Catalog is unreachable. */
  unreachable?: boolean
  /**
   * An answer that is not load (a 4xx other than 429): a retry that met it
   * gives its token back to the retry budget, which bounds wasted load.
   */
  refundsRetry?: boolean
}

export const DEADLINE_EXCEEDED = 'DEADLINE_EXCEEDED'
export const NOT_ATTEMPTED = 'NOT_ATTEMPTED'
export const UPSTREAM_UNREACHABLE = 'UPSTREAM_UNREACHABLE'

/** Raised inside the engine when no further call may start; never leaves runBulk. */
export class HaltError extends Error {
  constructor(public readonly failure: Failure) {
    super(failure.message)
  }
}

/** Wraps a classified upstream failure so the retry loop can recognise it. */
export class CallError extends Error {
  constructor(
    public readonly failure: CallFailure,
    public readonly cause?: unknown
  ) {
    super(failure.message)
  }
}
