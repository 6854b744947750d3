import type {
  Answer,
  CallFailure,
  Failure,
  FlowSignal,
  RateHeaders,
} from '../bulk'
import { readRateHeaders, UPSTREAM_UNREACHABLE } from '../bulk'

/**
 * What a Catalog call came to when it failed, one class each. Adding a class
 * touches this file (and its test): the client, the flow controller, the
 * engine and the classifier all read it from here.
 */
export type CatalogFault =
  /** 429: the account's or the endpoint's bucket is empty. */
  | 'rateLimited'
  /** 503: a circuit breaker or an overloaded Catalog. */
  | 'unavailable'
  /** 408 and the other 5xx. */
  | 'upstreamError'
  /** No answer in time (our timeout). */
  | 'timeout'
  /** No connection could be made (refused, no route, no DNS). */
  | 'unreachable'
  /** The connection was lost, or failed some other way. */
  | 'reset'
  /** 401/403: the caller's credentials are refused. */
  | 'unauthorized'
  | 'forbidden'
  | 'notFound'
  /** Any other 4xx: the Catalog refused this object. */
  | 'rejected'

interface FaultClass {
  /** What the flow controller learns from it. */
  signal: FlowSignal
  /** The item's failure code. */
  code: string
  /** The status reported when no answer came. */
  status?: number
  retryable: boolean
  stopsBatch?: true
  unreachable?: true
  /** An answer that is not load: a retry that met it gives its budget back. */
  refundsRetry: boolean
}

const FAULTS: Record<CatalogFault, FaultClass> = {
  rateLimited: {
    signal: 'rateLimited',
    code: 'RATE_LIMITED',
    retryable: true,
    refundsRetry: false,
  },
  unavailable: {
    signal: 'overload',
    code: 'UPSTREAM_UNAVAILABLE',
    retryable: true,
    refundsRetry: false,
  },
  upstreamError: {
    signal: 'overload',
    code: 'UPSTREAM_ERROR',
    retryable: true,
    refundsRetry: false,
  },
  timeout: {
    signal: 'overload',
    code: 'TIMEOUT',
    status: 504,
    retryable: true,
    refundsRetry: false,
  },
  unreachable: {
    signal: 'overload',
    code: 'NETWORK_ERROR',
    status: 502,
    retryable: true,
    unreachable: true,
    refundsRetry: false,
  },
  reset: {
    signal: 'overload',
    code: 'NETWORK_ERROR',
    status: 502,
    retryable: true,
    refundsRetry: false,
  },
  unauthorized: {
    signal: 'accepted',
    code: 'UNAUTHORIZED',
    retryable: false,
    stopsBatch: true,
    refundsRetry: true,
  },
  forbidden: {
    signal: 'accepted',
    code: 'FORBIDDEN',
    retryable: false,
    stopsBatch: true,
    refundsRetry: true,
  },
  notFound: {
    signal: 'accepted',
    code: 'NOT_FOUND',
    retryable: false,
    refundsRetry: true,
  },
  rejected: {
    signal: 'accepted',
    code: 'UPSTREAM_REJECTED',
    retryable: false,
    refundsRetry: true,
  },
}

/** Network codes that mean no connection could be made at all. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
])
const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT'])

/** The class of a failed call: its status when one came, else its network code. */
export function catalogFault(
  status: number | undefined,
  networkCode?: string
): CatalogFault {
  if (status === undefined) {
    const code = networkCode ?? ''

    return TIMEOUT_CODES.has(code)
      ? 'timeout'
      : UNREACHABLE_CODES.has(code)
      ? 'unreachable'
      : 'reset'
  }

  if (status === 429) return 'rateLimited'
  if (status === 401) return 'unauthorized'
  if (status === 403) return 'forbidden'
  if (status === 404) return 'notFound'
  if (status === 503) return 'unavailable'
  if (status === 408 || status >= 500) return 'upstreamError'

  return 'rejected'
}

/** A call the Catalog answered with a 2xx. */
export interface CatalogAnswered {
  fault: undefined
  status: number
  headers: RateHeaders
}

/** A call that failed: the class of its failure, and what came back. */
export interface CatalogFailed {
  fault: CatalogFault
  /** The HTTP status, undefined when no answer came. */
  status: number | undefined
  /** Why no answer came (ECONNABORTED, ECONNRESET, ...). */
  networkCode: string | undefined
  /** The body of the answer, when one came. */
  data: unknown
  headers: RateHeaders
}

/** What one call came to: an answer or an error, as one typed outcome. */
export type CatalogOutcome = CatalogAnswered | CatalogFailed

interface HttpLike {
  status: number
  data?: unknown
  headers?: Record<string, unknown>
}

function headerOf(headers: Record<string, unknown> | undefined, name: string) {
  const value = headers?.[name] ?? headers?.[name.toLowerCase()]

  return value === undefined ? undefined : String(value)
}

function rateHeadersOf(headers: Record<string, unknown> | undefined) {
  return readRateHeaders((name) => headerOf(headers, name))
}

/** A response the HTTP stack resolved with (2xx). */
export function outcomeOfResponse(response: HttpLike): CatalogAnswered {
  return {
    fault: undefined,
    status: response.status,
    headers: rateHeadersOf(response.headers),
  }
}

/** Anything the HTTP stack threw: an answer with an error status, or no answer. */
export function outcomeOfError(error: unknown): CatalogFailed {
  const { response, code } = (error ?? {}) as {
    code?: string
    response?: HttpLike
  }

  if (response) {
    return {
      fault: catalogFault(response.status),
      status: response.status,
      networkCode: undefined,
      data: response.data,
      headers: rateHeadersOf(response.headers),
    }
  }

  const networkCode =
    code ??
    (error instanceof Error && /timeout/i.test(error.message)
      ? 'ECONNABORTED'
      : 'ENETWORK')

  return {
    fault: catalogFault(undefined, networkCode),
    status: undefined,
    networkCode,
    data: undefined,
    headers: {},
  }
}

/** What the account's flow controller learns from an outcome. */
export function flowAnswer(outcome: CatalogOutcome): Answer {
  return {
    signal: outcome.fault ? FAULTS[outcome.fault].signal : 'accepted',
    headers: outcome.headers,
  }
}

/** How the engine treats a failed call of this class. */
export function callFailure(
  fault: CatalogFault,
  status: number | undefined,
  message: string
): CallFailure {
  const { code, retryable, stopsBatch, unreachable, refundsRetry } =
    FAULTS[fault]

  return {
    status: status ?? FAULTS[fault].status ?? 502,
    code,
    message: fault === 'timeout' ? `${message} (timed out)` : message,
    retryable,
    ...(stopsBatch ? { stopsBatch } : {}),
    ...(unreachable ? { unreachable } : {}),
    ...(refundsRetry ? { refundsRetry } : {}),
  }
}

/** Codes of the classes that say the Catalog was down or out of reach. */
const UNAVAILABLE_CODES = new Set([
  ...Object.values(FAULTS)
    .filter((fault) => fault.signal === 'overload')
    .map((fault) => fault.code),
  UPSTREAM_UNREACHABLE,
])
/** A 500 or a 408 is the Catalog failing this call, not being away. */
const UNAVAILABLE_STATUSES = new Set([502, 503, 504])

/** A failure that says the Catalog was down or out of reach, not that it refused this item. */
export function isUnavailable(failure: Failure) {
  return (
    UNAVAILABLE_CODES.has(failure.code) &&
    UNAVAILABLE_STATUSES.has(failure.status)
  )
}
