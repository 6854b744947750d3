import {
  CatalogFault,
  callFailure,
  catalogFault,
  flowAnswer,
  isUnavailable,
  outcomeOfError,
  outcomeOfResponse,
} from '../../clients/catalogFault'

const FAULTS: CatalogFault[] = [
  'rateLimited',
  'unavailable',
  'upstreamError',
  'timeout',
  'unreachable',
  'reset',
  'unauthorized',
  'forbidden',
  'notFound',
  'rejected',
]

/** What axios throws for an answer with an error status. */
const answeredError = (
  status: number,
  data: unknown = '',
  headers: Record<string, string> = {}
) =>
  Object.assign(new Error(`Request failed with status code ${status}`), {
    response: { status, data, headers },
  })

const networkError = (code?: string, message = 'socket hang up') =>
  Object.assign(new Error(message), code ? { code } : {})

describe('the Catalog fault model', () => {
  it.each([
    [429, 'rateLimited'],
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [404, 'notFound'],
    [503, 'unavailable'],
    [500, 'upstreamError'],
    [502, 'upstreamError'],
    [504, 'upstreamError'],
    [408, 'upstreamError'],
    [400, 'rejected'],
    [409, 'rejected'],
    [422, 'rejected'],
  ])('an answer %p is %s', (status, fault) => {
    expect(catalogFault(status)).toBe(fault)
    expect(outcomeOfError(answeredError(status))).toMatchObject({
      fault,
      status,
      networkCode: undefined,
    })
  })

  it.each([
    ['ECONNABORTED', 'timeout'],
    ['ETIMEDOUT', 'timeout'],
    ['ECONNREFUSED', 'unreachable'],
    ['ENOTFOUND', 'unreachable'],
    ['EAI_AGAIN', 'unreachable'],
    ['EHOSTUNREACH', 'unreachable'],
    ['ENETUNREACH', 'unreachable'],
    ['ECONNRESET', 'reset'],
    ['EPIPE', 'reset'],
  ])('no answer, %s, is %s', (code, fault) => {
    expect(catalogFault(undefined, code)).toBe(fault)
    expect(outcomeOfError(networkError(code))).toMatchObject({
      fault,
      status: undefined,
      networkCode: code,
    })
  })

  it('reads a timeout without a code from its message, and anything else as a lost connection', () => {
    expect(
      outcomeOfError(networkError(undefined, 'timeout of 100ms exceeded'))
    ).toMatchObject({ fault: 'timeout', networkCode: 'ECONNABORTED' })
    expect(outcomeOfError(networkError())).toMatchObject({
      fault: 'reset',
      networkCode: 'ENETWORK',
    })
    expect(outcomeOfError(undefined)).toMatchObject({ fault: 'reset' })
  })

  it('keeps the body and reads the rate headers of an error answer', () => {
    const outcome = outcomeOfError(
      answeredError(429, { Message: 'Too many' }, { 'retry-after': '3' })
    )

    expect(outcome).toMatchObject({
      fault: 'rateLimited',
      data: { Message: 'Too many' },
      headers: { retryAfterMs: 3000 },
    })
    expect(flowAnswer(outcome)).toEqual({
      signal: 'rateLimited',
      headers: { retryAfterMs: 3000 },
    })
  })

  it('tells the flow controller what each answer says of the load', () => {
    const accepted = outcomeOfResponse({
      status: 200,
      headers: { 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '3' },
    })

    expect(flowAnswer(accepted)).toEqual({
      signal: 'accepted',
      headers: { limit: 100, remaining: 3 },
    })
    const signal = (error: unknown) => flowAnswer(outcomeOfError(error)).signal

    expect(signal(answeredError(404))).toBe('accepted')
    expect(signal(answeredError(409))).toBe('accepted')
    expect(signal(answeredError(429))).toBe('rateLimited')
    expect(signal(answeredError(503))).toBe('overload')
    expect(signal(answeredError(500))).toBe('overload')
    expect(signal(answeredError(408))).toBe('overload')
    expect(signal(networkError('ECONNRESET'))).toBe('overload')
    expect(signal(networkError('ECONNREFUSED'))).toBe('overload')
    expect(signal(networkError('ETIMEDOUT'))).toBe('overload')
  })

  it('gives the engine one consistent failure per class', () => {
    for (const fault of FAULTS) {
      const failure = callFailure(fault, undefined, 'm')
      const { signal } = flowAnswer({
        fault,
        status: undefined,
        networkCode: undefined,
        data: undefined,
        headers: {},
      })

      // What the controller reads as load is retried and costs the budget;
      // an answer that is not load is final, and a retry that met it refunds.
      expect(failure.retryable).toBe(signal !== 'accepted')
      expect(Boolean(failure.refundsRetry)).toBe(signal === 'accepted')
      expect(Boolean(failure.stopsBatch)).toBe(
        fault === 'unauthorized' || fault === 'forbidden'
      )
      expect(Boolean(failure.unreachable)).toBe(fault === 'unreachable')
    }
  })

  it('reports no-answer classes with a gateway status, and the answer’s status otherwise', () => {
    expect(callFailure('timeout', undefined, 'm')).toMatchObject({
      status: 504,
      code: 'TIMEOUT',
      message: 'm (timed out)',
    })
    expect(callFailure('reset', undefined, 'm').status).toBe(502)
    expect(callFailure('unreachable', undefined, 'm').status).toBe(502)
    expect(callFailure('upstreamError', 500, 'm').status).toBe(500)
  })

  it('says which failures mean the Catalog was down or out of reach', () => {
    const failure = (status: number, code: string) =>
      isUnavailable({ status, code, message: 'm' })

    expect(failure(503, 'UPSTREAM_UNAVAILABLE')).toBe(true)
    expect(failure(502, 'UPSTREAM_ERROR')).toBe(true)
    expect(failure(504, 'TIMEOUT')).toBe(true)
    expect(failure(502, 'NETWORK_ERROR')).toBe(true)
    expect(failure(502, 'UPSTREAM_UNREACHABLE')).toBe(true)
    // A 500 is the Catalog failing this call, a 429 or a 404 an answer.
    expect(failure(500, 'UPSTREAM_ERROR')).toBe(false)
    expect(failure(429, 'RATE_LIMITED')).toBe(false)
    expect(failure(404, 'NOT_FOUND')).toBe(false)
  })
})
