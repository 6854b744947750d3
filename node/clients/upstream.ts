/** A VTEX service the app asks who a caller is, or what they may do. */
export type AccessService = 'VTEX ID' | 'License Manager'

/**
 * The service could not give an answer (5xx, 429, a timeout, no
 * connection): nothing about the caller is known, so nothing is written.
 */
export class AccessServiceUnavailable extends Error {
  constructor(
    public readonly service: AccessService,
    /** The HTTP status it answered, or undefined when none came. */
    public readonly upstreamStatus: number | undefined,
    /** Its Retry-After in seconds, when it sent one that makes sense. */
    public readonly retryAfterSec?: number
  ) {
    super(
      upstreamStatus
        ? `${service} answered ${upstreamStatus}`
        : `${service} did not answer`
    )
    this.name = 'AccessServiceUnavailable'
  }
}

interface AxiosLikeError {
  code?: string
  response?: { status?: number; headers?: Record<string, unknown> }
}

export const statusOf = (error: unknown) =>
  (error as AxiosLikeError)?.response?.status

/** Any failure that is not an answer about the caller becomes AccessServiceUnavailable. */
export function unavailable(
  service: AccessService,
  error: unknown
): AccessServiceUnavailable {
  const response = (error as AxiosLikeError)?.response
  const retryAfter = Number(response?.headers?.['retry-after'])

  return new AccessServiceUnavailable(
    service,
    response?.status,
    Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 300
      ? retryAfter
      : undefined
  )
}
