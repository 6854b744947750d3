/** What a failed item reports: an HTTP status, a machine-readable code and a message. */
export interface Failure {
  status: number
  code: string
  message: string
}

/** How the engine should treat a failed upstream call. */
export interface CallFailure extends Failure {
  retryable: boolean
  /** 401/403: the caller's credentials are refused, so no further call can succeed. */
  stopsBatch?: boolean
  /** Set on a 429: how long the Catalog asked the whole pool to wait. */
  retryAfterMs?: number
}

export const DEADLINE_EXCEEDED = 'DEADLINE_EXCEEDED'
export const NOT_ATTEMPTED = 'NOT_ATTEMPTED'

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
