import { CatalogError } from '../../clients/catalog'
import type { Failure, Outcome } from '../../bulk'
import { readRateHeaders } from '../../bulk'
import {
  batchStatus,
  classifyCatalogError,
  retryAfterMs,
} from '../../scores/classify'

const NOW = Date.parse('2030-01-01T00:00:00Z')

const answered = (status: number, message = 'upstream says no') =>
  new CatalogError('PUT', 'product', 42, status, message)

const network = (code: string) =>
  new CatalogError('GET', 'category', 7, undefined, '', code)

afterEach(() => {
  jest.restoreAllMocks()
})

describe('retryAfterMs', () => {
  it.each([
    ['3', 3000],
    ['0', 0],
    ['1.5', 1500],
    [' 2 ', 2000],
  ])('reads Retry-After %p as %p ms', (retryAfter, expected) => {
    expect(retryAfterMs({ retryAfter }, NOW)).toBe(expected)
  })

  it('reads Retry-After as an HTTP date relative to now', () => {
    const date = new Date(NOW + 30_000).toUTCString()

    expect(retryAfterMs({ retryAfter: date }, NOW)).toBe(30_000)
  })

  it('ignores an HTTP date in the past and falls back to Ratelimit-Reset', () => {
    const past = new Date(NOW - 30_000).toUTCString()

    expect(retryAfterMs({ retryAfter: past }, NOW)).toBeUndefined()
    expect(retryAfterMs({ retryAfter: past, reset: '4' }, NOW)).toBe(4000)
  })

  it('falls back to Ratelimit-Reset seconds', () => {
    expect(retryAfterMs({ reset: '7' }, NOW)).toBe(7000)
  })

  it('prefers Retry-After over Ratelimit-Reset', () => {
    expect(retryAfterMs({ retryAfter: '1', reset: '9' }, NOW)).toBe(1000)
  })

  it.each([['-5'], ['abc'], [''], ['1e3'], ['5s']])(
    'ignores nonsense Retry-After %p',
    (retryAfter) => {
      expect(retryAfterMs({ retryAfter }, NOW)).toBeUndefined()
      expect(retryAfterMs({ retryAfter, reset: '2' }, NOW)).toBe(2000)
    }
  )

  it.each([['-5'], ['abc'], ['']])(
    'ignores nonsense Ratelimit-Reset %p',
    (reset) => {
      expect(retryAfterMs({ reset }, NOW)).toBeUndefined()
    }
  )

  it('is undefined without any header', () => {
    expect(retryAfterMs({}, NOW)).toBeUndefined()
  })
})

describe('classifyCatalogError', () => {
  it('429 is retryable; how long to wait is left to the flow control', () => {
    expect(classifyCatalogError(answered(429, ''))).toEqual({
      status: 429,
      code: 'RATE_LIMITED',
      message: 'Catalog answered 429 to PUT product 42',
      retryable: true,
    })
  })

  it.each([
    [401, 'UNAUTHORIZED'],
    [403, 'FORBIDDEN'],
  ])('%p stops the batch (%s) and is not retried', (status, code) => {
    expect(classifyCatalogError(answered(status))).toEqual({
      status,
      code,
      message: `Catalog answered ${status} to PUT product 42: upstream says no`,
      retryable: false,
      stopsBatch: true,
      // The Catalog answered: not load, so a retry that met it refunds its budget.
      refundsRetry: true,
    })
  })

  it('404 is NOT_FOUND and not retried', () => {
    const failure = classifyCatalogError(answered(404))

    expect(failure).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
      retryable: false,
    })
    expect(failure.stopsBatch).toBeFalsy()
  })

  it.each([[400], [409], [422]])(
    '%p is UPSTREAM_REJECTED and final',
    (status) => {
      const failure = classifyCatalogError(answered(status))

      expect(failure).toMatchObject({
        status,
        code: 'UPSTREAM_REJECTED',
        retryable: false,
      })
      expect(failure.stopsBatch).toBeFalsy()
    }
  )

  it.each([
    [500, 'UPSTREAM_ERROR'],
    [502, 'UPSTREAM_ERROR'],
    [503, 'UPSTREAM_UNAVAILABLE'],
    [504, 'UPSTREAM_ERROR'],
    [408, 'UPSTREAM_ERROR'],
  ])('%p is retryable as %s', (status, code) => {
    expect(classifyCatalogError(answered(status))).toMatchObject({
      status,
      code,
      retryable: true,
    })
  })

  it.each([['ECONNABORTED'], ['ETIMEDOUT']])(
    'a %s timeout is a retryable 504 TIMEOUT',
    (code) => {
      expect(classifyCatalogError(network(code))).toEqual({
        status: 504,
        code: 'TIMEOUT',
        message: `Catalog GET category 7 failed: ${code} (timed out)`,
        retryable: true,
      })
    }
  )

  it.each([['ECONNRESET'], ['ENETWORK']])(
    '%s is a retryable 502 NETWORK_ERROR',
    (code) => {
      expect(classifyCatalogError(network(code))).toEqual({
        status: 502,
        code: 'NETWORK_ERROR',
        message: `Catalog GET category 7 failed: ${code}`,
        retryable: true,
      })
    }
  )

  it.each([['ECONNREFUSED'], ['ENOTFOUND'], ['EAI_AGAIN'], ['EHOSTUNREACH']])(
    '%s is a retryable 502 NETWORK_ERROR that marks the Catalog unreachable',
    (code) => {
      expect(classifyCatalogError(network(code))).toEqual({
        status: 502,
        code: 'NETWORK_ERROR',
        message: `Catalog GET category 7 failed: ${code}`,
        retryable: true,
        unreachable: true,
      })
    }
  )

  it.each([
    [new TypeError('boom'), 'boom'],
    ['a string', 'a string'],
    [undefined, 'undefined'],
  ])('a non-CatalogError (%p) is a final 500 INTERNAL_ERROR', (error, text) => {
    const failure = classifyCatalogError(error)

    expect(failure).toMatchObject({
      status: 500,
      code: 'INTERNAL_ERROR',
      retryable: false,
    })
    expect(failure.message).toContain(text)
  })

  it('does not take a look-alike with a status for a CatalogError', () => {
    const lookAlike = Object.assign(new Error('x'), { status: 503 })

    expect(classifyCatalogError(lookAlike)).toMatchObject({
      status: 500,
      retryable: false,
    })
  })

  it('names method, kind, id and the Catalog message', () => {
    const { message } = classifyCatalogError(
      new CatalogError('GET', 'category', 314, 422, 'Name is required')
    )

    expect(message).toContain('GET')
    expect(message).toContain('category')
    expect(message).toContain('314')
    expect(message).toContain('Name is required')
  })

  it('omits the colon when the Catalog message is empty', () => {
    expect(classifyCatalogError(answered(400, '')).message).toBe(
      'Catalog answered 400 to PUT product 42'
    )
  })
})

describe('readRateHeaders', () => {
  const lookup = (headers: Record<string, string>) => (name: string) =>
    headers[name]

  it('reads the IETF spelling', () => {
    expect(
      readRateHeaders(
        lookup({
          'ratelimit-limit': '100',
          'ratelimit-remaining': '7',
          'ratelimit-reset': '2',
        }),
        NOW
      )
    ).toEqual({ limit: 100, remaining: 7, retryAfterMs: 2000 })
  })

  it('reads the X-RateLimit spelling, and Retry-After first', () => {
    expect(
      readRateHeaders(
        lookup({
          'x-ratelimit-limit': '50',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': '9',
          'retry-after': '1',
        }),
        NOW
      )
    ).toEqual({ limit: 50, remaining: 0, retryAfterMs: 1000 })
  })

  it('takes the quota of a structured limit and ignores nonsense', () => {
    expect(
      readRateHeaders(
        lookup({
          'ratelimit-limit': '100, 100;w=60',
          'ratelimit-remaining': 'x',
        }),
        NOW
      )
    ).toEqual({ limit: 100 })
    expect(readRateHeaders(lookup({}), NOW)).toEqual({})
  })
})

describe('batchStatus', () => {
  const ok: Outcome<unknown> = { ok: true, value: {}, attempts: 1 }
  const failed = (failure: Failure): Outcome<unknown> => ({
    ok: false,
    failure,
    attempts: 1,
  })
  const unavailable = failed({
    status: 503,
    code: 'UPSTREAM_UNAVAILABLE',
    message: 'breaker',
  })
  const network = failed({ status: 502, code: 'NETWORK_ERROR', message: 'x' })
  const timeout = failed({ status: 504, code: 'TIMEOUT', message: 'x' })
  const notFound = failed({ status: 404, code: 'NOT_FOUND', message: 'x' })
  const neverSent = failed({
    status: 504,
    code: 'DEADLINE_EXCEEDED',
    message: 'x',
  })
  const deadlineAfter503 = failed({
    status: 504,
    code: 'DEADLINE_EXCEEDED',
    message: 'x',
    cause: { status: 503, code: 'UPSTREAM_UNAVAILABLE', message: 'x' },
  })

  it('is 200 when anything succeeded, or any item was refused on its own', () => {
    expect(batchStatus([ok, unavailable, network])).toBe(200)
    expect(batchStatus([notFound, unavailable])).toBe(200)
    expect(batchStatus([])).toBe(200)
  })

  it('is 503 when nothing succeeded and the Catalog answered unavailable', () => {
    expect(batchStatus([unavailable, network, neverSent])).toBe(503)
    expect(batchStatus([deadlineAfter503, neverSent])).toBe(503)
  })

  it('is 502 when nothing succeeded and the Catalog could not be reached', () => {
    expect(batchStatus([network, timeout, neverSent])).toBe(502)
    expect(
      batchStatus(
        [network, failed({ status: 502, code: 'NOT_ATTEMPTED', message: 'x' })],
        { status: 502, code: 'UPSTREAM_UNREACHABLE', message: 'x' }
      )
    ).toBe(502)
  })

  it('is the 401/403 that stopped the batch', () => {
    expect(
      batchStatus([ok], { status: 403, code: 'FORBIDDEN', message: 'x' })
    ).toBe(403)
  })
})
