import { CatalogError } from '../../clients/catalog'
import { classifyCatalogError, retryAfterMs } from '../../scores/classify'

const NOW = Date.parse('2030-01-01T00:00:00Z')

const answered = (
  status: number,
  message = 'upstream says no',
  headers: { retryAfter?: string; reset?: string } = {}
) => new CatalogError('PUT', 'product', 42, status, message, undefined, headers)

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
  describe('429', () => {
    it('is retryable and carries Retry-After seconds', () => {
      expect(
        classifyCatalogError(answered(429, '', { retryAfter: '3' }))
      ).toEqual({
        status: 429,
        code: 'RATE_LIMITED',
        message: 'Catalog answered 429 to PUT product 42',
        retryable: true,
        retryAfterMs: 3000,
      })
    })

    it('reads an HTTP date against the current time', () => {
      jest.spyOn(Date, 'now').mockReturnValue(NOW)
      const failure = classifyCatalogError(
        answered(429, '', { retryAfter: new Date(NOW + 12_000).toUTCString() })
      )

      expect(failure.retryAfterMs).toBe(12_000)
    })

    it('falls back to Ratelimit-Reset seconds', () => {
      expect(
        classifyCatalogError(answered(429, '', { reset: '5' })).retryAfterMs
      ).toBe(5000)
    })

    it.each([['-5'], ['abc'], ['']])(
      'ignores Retry-After %p and Ratelimit-Reset %p',
      (value) => {
        const failure = classifyCatalogError(
          answered(429, '', { retryAfter: value, reset: value })
        )

        expect(failure.retryable).toBe(true)
        expect(failure.retryAfterMs).toBeUndefined()
      }
    )
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

  it.each([['ECONNRESET'], ['ENOTFOUND'], ['ENETWORK']])(
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
