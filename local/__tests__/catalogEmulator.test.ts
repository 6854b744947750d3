import {
  applyPut,
  makeProduct,
  RateLimiter,
  SAMPLE_CREDENTIALS,
} from '../catalogEmulator'
import { ADMIN, call, emulator, useSeededEmulator } from './emulatorHarness'

useSeededEmulator()

describe('Catalog emulator: data', () => {
  it('serves the seeded product and category with the OpenAPI field sets', async () => {
    const product = await call('GET', '/api/catalog/pvt/product/3')
    const category = await call('GET', '/api/catalog/pvt/category/2')

    expect(product.status).toBe(200)
    expect(Object.keys(product.json)).toEqual(
      expect.arrayContaining([
        'Id',
        'Name',
        'CategoryId',
        'BrandId',
        'LinkId',
        'Score',
      ])
    )
    expect(product.json).toEqual(makeProduct(3))
    expect(Object.keys(category.json)).toEqual(
      expect.arrayContaining([
        'FatherCategoryId',
        'GlobalCategoryId',
        'Score',
        'HasChildren',
      ])
    )
  })

  it('replaces the whole object on PUT: omitted fields are wiped', async () => {
    const { Name, CategoryId, BrandId } = emulator.getProduct(4) as Record<
      string,
      unknown
    >
    const put = await call('PUT', '/api/catalog/pvt/product/4', ADMIN, {
      Name,
      CategoryId,
      BrandId,
      Score: 9,
    })

    expect(put.status).toBe(200)
    expect(emulator.getProduct(4)).toMatchObject({
      Id: 4,
      Name,
      Score: 9,
      Description: null,
      LinkId: null,
    })
  })

  it('drops unknown fields, makes omitted booleans false, keeps what no PUT sets', () => {
    const stored = applyPut(
      'category',
      3,
      { Name: 'x', Extra: 1, LinkId: 'sent' },
      { current: { Id: 3, LinkId: 'kept', HasChildren: true } }
    )

    expect(stored).not.toHaveProperty('Extra')
    expect(stored).toMatchObject({
      Id: 3,
      Name: 'x',
      LinkId: 'kept',
      HasChildren: true,
      IsActive: false,
      Description: null,
      TreePath: null,
    })
  })

  it('requires the PUT fields of the OpenAPI', async () => {
    const put = await call('PUT', '/api/catalog/pvt/product/4', ADMIN, {
      Name: 'x',
      CategoryId: 1,
    })

    expect(put.status).toBe(400)
    expect(put.json.Message).toMatch(/BrandId/)
    const category = await call('PUT', '/api/catalog/pvt/category/1', ADMIN, {
      Name: 'x',
    })

    expect(category.status).toBe(400)
  })

  it('fails a PUT with a field ending in spaces with an empty 400', async () => {
    const product = {
      ...(emulator.getProduct(5) as Record<string, unknown>),
      Title: 'Trailing ',
    }
    const put = await call('PUT', '/api/catalog/pvt/product/5', ADMIN, product)

    expect(put.status).toBe(400)
    expect(put.text).toBe('')
  })

  it('answers 404 for unknown ids, 400 for bad ids and 405 for other methods', async () => {
    expect((await call('GET', '/api/catalog/pvt/product/999')).status).toBe(404)
    expect((await call('GET', '/api/catalog/pvt/product/abc')).status).toBe(400)
    expect((await call('DELETE', '/api/catalog/pvt/product/1')).status).toBe(
      405
    )
    expect((await call('GET', '/api/catalog/pvt/sku/1')).status).toBe(404)
  })
})

describe('Catalog emulator: credentials', () => {
  const [appKey, { token: appToken }] = Object.entries(
    SAMPLE_CREDENTIALS.appKeys
  )[0]

  it.each([
    ['no credentials', {}, 'GET', 401],
    ['an unknown token', { VtexIdclientAutCookie: 'nope' }, 'GET', 401],
    ['half an app key pair', { 'X-VTEX-API-AppKey': appKey }, 'GET', 401],
    [
      'a wrong app token',
      { 'X-VTEX-API-AppKey': appKey, 'X-VTEX-API-AppToken': 'wrong' },
      'GET',
      401,
    ],
    [
      'a token without permission',
      { VtexIdclientAutCookie: 'local-forbidden-token' },
      'GET',
      403,
    ],
    [
      'a read-only token on PUT',
      { VtexIdclientAutCookie: 'local-readonly-token' },
      'PUT',
      403,
    ],
    [
      'a read-only token on GET',
      { VtexIdclientAutCookie: 'local-readonly-token' },
      'GET',
      200,
    ],
    [
      'the admin cookie',
      { Cookie: 'VtexIdclientAutCookie=local-admin-token' },
      'GET',
      200,
    ],
    [
      'the app key pair',
      { 'X-VTEX-API-AppKey': appKey, 'X-VTEX-API-AppToken': appToken },
      'GET',
      200,
    ],
  ])('%s → %s %i', async (_name, headers, method, status) => {
    const body = method === 'PUT' ? emulator.getProduct(1) : undefined

    expect(
      (
        await call(
          method,
          '/api/catalog/pvt/product/1',
          headers as Record<string, string>,
          body
        )
      ).status
    ).toBe(status)
  })
})

describe('Catalog emulator: rate limit and faults', () => {
  it('counts requests, statuses and the peak in flight', async () => {
    emulator.configure({ latency: { meanMs: 30, jitterMs: 0 } })
    await Promise.all(
      [1, 2, 3, 4, 5].map((id) => call('GET', `/api/catalog/pvt/product/${id}`))
    )
    const stats = emulator.stats()

    expect(stats.requests).toMatchObject({ GET: 5, PUT: 0, total: 5 })
    expect(stats.byStatus).toEqual({ '200': 5 })
    expect(stats.peakInFlight).toBe(5)
  })

  it('answers 429 with Retry-After and Ratelimit headers once the bucket is empty', async () => {
    emulator.configure({ rateLimit: { ratePerSec: 1, burst: 2 } })
    const answers = []

    for (let i = 0; i < 3; i++)
      answers.push(await call('GET', '/api/catalog/pvt/product/1'))
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429])
    expect(answers[0].headers.get('ratelimit-limit')).toBe('2')
    expect(answers[0].headers.get('ratelimit-remaining')).toBe('1')
    expect(
      Number(answers[2].headers.get('retry-after'))
    ).toBeGreaterThanOrEqual(1)
    expect(answers[2].headers.get('ratelimit-reset')).toBe(
      answers[2].headers.get('retry-after')
    )
    expect(emulator.stats().rateLimited).toBe(1)
  })

  it('counts a request sent inside a penalty window, after the grace period', async () => {
    emulator.configure({ throttleOnce: { ids: [2], retryAfterSec: 1 } })
    expect((await call('GET', '/api/catalog/pvt/product/2')).status).toBe(429)
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect((await call('GET', '/api/catalog/pvt/product/3')).status).toBe(429)
    expect(emulator.stats()).toMatchObject({
      rateLimited: 2,
      requestsInPenaltyWindow: 1,
    })
  })

  it('injects failures with the given status', async () => {
    emulator.configure({ failure: { rate: 1, status: 502, methods: ['GET'] } })
    expect((await call('GET', '/api/catalog/pvt/product/1')).status).toBe(502)
  })

  it('records PUTs per id', async () => {
    await call(
      'PUT',
      '/api/catalog/pvt/product/6',
      ADMIN,
      emulator.getProduct(6)
    )
    await call(
      'PUT',
      '/api/catalog/pvt/product/6',
      ADMIN,
      emulator.getProduct(6)
    )
    expect(emulator.stats().putsById.product).toEqual({ '6': 2 })
  })
})

describe('RateLimiter', () => {
  it('refills at the rate, up to the burst, and opens a penalty window when empty', () => {
    let now = 0
    const limiter = new RateLimiter({ ratePerSec: 10, burst: 2 }, () => now, 50)

    expect(limiter.check('a')).toMatchObject({ allowed: true, remaining: 1 })
    expect(limiter.check('a')).toMatchObject({ allowed: true, remaining: 0 })
    expect(limiter.check('a')).toEqual({
      allowed: false,
      limit: 2,
      retryAfterSec: 1,
      violation: false,
    })
    now = 20
    expect(limiter.check('a')).toMatchObject({
      allowed: false,
      violation: false,
    })
    now = 500
    expect(limiter.check('a')).toMatchObject({
      allowed: false,
      violation: true,
    })
    now = 1000
    expect(limiter.check('a')).toMatchObject({ allowed: true, remaining: 1 })
    expect(limiter.check('b')).toMatchObject({ allowed: true, remaining: 1 })
  })
})
