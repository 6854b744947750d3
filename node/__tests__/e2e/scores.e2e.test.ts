import { oddityOf } from '../../../local/catalogEmulator'
import {
  APP_KEY,
  APP_KEY_ENTRY,
  CATEGORY_PATH,
  FORBIDDEN_TOKEN,
  PRODUCT_PATH,
  READ_ONLY_TOKEN,
  Stack,
  startStack,
  USER_TOKEN,
  withoutScore,
} from '../helpers/e2e'

const CONCURRENCY = 4
const PRODUCTS = 300
const CATEGORIES = 40

let stack: Stack

beforeAll(async () => {
  stack = await startStack(
    {
      // Realistic data: empty ReleaseDates, accents, long names, legacy nulls.
      seed: {
        products: PRODUCTS,
        categories: CATEGORIES,
        random: 7,
        oddities: true,
      },
      latency: { meanMs: 3, jitterMs: 2 },
    },
    { CONCURRENCY: String(CONCURRENCY) }
  )
})

afterAll(async () => {
  await stack?.close()
})

beforeEach(() => {
  stack.emulator.configure({
    rateLimit: null,
    failure: { rate: 0 },
    throttleOnce: null,
  })
  stack.emulator.resetStats()
})

const indexesOf = (elements: Array<{ index: number }>) =>
  elements.map((e) => e.index)

/** The code the drift guard refuses a seeded oddity with, if it does. */
const REFUSALS: Record<string, string> = {
  'empty-release-date': 'EMPTY_RELEASE_DATE',
  'strippable-diacritics': 'DIACRITICS_WOULD_BE_STRIPPED',
}

const refusalOf = (kind: 'product' | 'category', id: number) =>
  REFUSALS[oddityOf(kind, id) ?? ''] as string | undefined

describe('PUT /_v/massive/product/score/update end to end', () => {
  it('updates a 200-item batch with unknown and rate-limited items, and only Score changes', async () => {
    const before = stack.emulator.snapshot()
    // Items 0..179 exist; every tenth of the last 20 ids is unknown.
    const batch = Array.from({ length: 200 }, (_, i) => ({
      id: i < 180 ? i + 1 : 100_000 + i,
      score: (i * 37) % 1000,
    }))
    const scoreOf = new Map(batch.map((item) => [item.id, item.score]))

    // A token bucket, plus three items whose first call is always answered 429.
    stack.emulator.configure({
      rateLimit: { ratePerSec: 150, burst: 20 },
      throttleOnce: { kind: 'product', ids: [15, 60, 150], retryAfterSec: 1 },
    })
    const { status, body } = await stack.put(PRODUCT_PATH, batch)
    const refused = batch.filter(
      ({ id }) => id <= 180 && refusalOf('product', id)
    ).length

    expect(refused).toBeGreaterThan(0)
    expect(status).toBe(200)
    expect(body.total).toBe(200)
    expect(body.successfulResponses.quantity).toBe(180 - refused)
    expect(body.failedResponses.quantity).toBe(20 + refused)
    // Each list is in request order, and every item appears exactly once.
    const succeeded = indexesOf(body.successfulResponses.elements)
    const failed = indexesOf(body.failedResponses.elements)

    expect(succeeded).toEqual([...succeeded].sort((a, b) => a - b))
    expect(failed).toEqual([...failed].sort((a, b) => a - b))
    expect([...succeeded, ...failed].sort((a, b) => a - b)).toEqual(
      batch.map((_, i) => i)
    )
    for (const element of body.failedResponses.elements) {
      const refusal = refusalOf('product', element.id)

      if (element.id <= 180 && refusal) {
        // A seeded oddity the Catalog would change: refused before any PUT.
        expect(element).toMatchObject({ error: 422, code: refusal })
        expect(stack.emulator.stats().putsById.product[element.id]).toBe(
          undefined
        )
        continue
      }
      // A 404 is never retried; an earlier attempt may have met a 429.
      expect(element).toMatchObject({
        success: 'false',
        error: 404,
        code: 'NOT_FOUND',
      })
      expect(element.errorMessage).toMatch(/404/)
    }

    for (const element of body.successfulResponses.elements) {
      expect(element).toMatchObject({
        success: 'true',
        id: batch[element.index].id,
        score: batch[element.index].score,
      })
      expect(element.previousScore).toBe(
        before.products[element.id].Score ?? null
      )
    }

    // The rate limit was hit, and no request was sent inside a 429 window.
    const stats = stack.emulator.stats()

    expect(stats.rateLimited).toBeGreaterThanOrEqual(3)
    expect(stats.requestsInPenaltyWindow).toBe(0)
    expect(stats.peakInFlight).toBeLessThanOrEqual(CONCURRENCY)
    // The app's own token never reaches the Catalog.
    expect(stats.proxyAuthorizationSeen).toBe(0)

    // The Catalog now holds exactly the requested scores, and nothing else changed.
    const after = stack.emulator.snapshot()

    for (const id of Object.keys(before.products)) {
      const requested = refusalOf('product', Number(id))
        ? undefined
        : scoreOf.get(Number(id))

      expect(after.products[id].Score).toBe(
        requested ?? before.products[id].Score
      )
      expect(withoutScore(after.products[id])).toBe(
        withoutScore(before.products[id])
      )
    }
  })

  it('sends the whole object back, unknown extra fields included', async () => {
    const original = stack.emulator.getProduct(5) as Record<string, unknown>

    stack.emulator.setProduct(5, {
      ...original,
      FieldFromTheFuture: { nested: [1, 'two'] },
      Score: 1,
    })
    const sent = stack.emulator.puts().length
    const { status } = await stack.put(PRODUCT_PATH, [{ id: '5', score: '77' }])

    expect(status).toBe(200)
    expect(stack.emulator.puts().slice(sent)).toEqual([
      {
        kind: 'product',
        id: 5,
        body: {
          ...original,
          FieldFromTheFuture: { nested: [1, 'two'] },
          Score: 77,
        },
      },
    ])
    // The Catalog keeps only the fields its PUT schema knows.
    expect(stack.emulator.getProduct(5)).toEqual({ ...original, Score: 77 })
  })

  it('answers 401 without credentials and calls nothing upstream', async () => {
    const { status, body } = await stack.put(
      PRODUCT_PATH,
      [{ id: 1, score: 1 }],
      {}
    )

    expect(status).toBe(401)
    expect(body.error.code).toBe('UNAUTHORIZED')
    expect(stack.emulator.stats().requests.total).toBe(0)
  })

  it('stops after the first 403 and reports the rest as NOT_ATTEMPTED', async () => {
    const before = stack.emulator.snapshot()
    const batch = Array.from({ length: 100 }, (_, i) => ({
      id: i + 1,
      score: 5000 + i,
    }))
    const { status, body } = await stack.put(PRODUCT_PATH, batch, {
      VtexIdclientAutCookie: FORBIDDEN_TOKEN,
    })

    expect(status).toBe(403)
    expect(body.total).toBe(100)
    expect(body.failedResponses.quantity).toBe(100)
    // Only the calls already in flight when the first 403 came back were sent.
    expect(stack.emulator.stats().requests.total).toBeLessThanOrEqual(
      CONCURRENCY
    )
    const notAttempted = body.failedResponses.elements.filter(
      (e: { code: string }) => e.code === 'NOT_ATTEMPTED'
    )

    expect(notAttempted.length).toBeGreaterThanOrEqual(100 - CONCURRENCY)
    expect(stack.emulator.snapshot()).toEqual(before)
  })

  it('stops at a 403 on the PUT when the token may only read', async () => {
    const before = stack.emulator.snapshot()
    const batch = Array.from({ length: 50 }, (_, i) => ({
      id: i + 1,
      score: 7000 + i,
    }))
    const { status, body } = await stack.put(PRODUCT_PATH, batch, {
      VtexIdclientAutCookie: READ_ONLY_TOKEN,
    })

    expect(status).toBe(403)
    expect(body.successfulResponses.quantity).toBe(0)
    expect(stack.emulator.stats().requests.PUT).toBeLessThanOrEqual(CONCURRENCY)
    expect(stack.emulator.snapshot()).toEqual(before)
  })

  it('writes nothing on a dry run and reports what would change', async () => {
    const before = stack.emulator.snapshot()
    const { status, body } = await stack.put(`${PRODUCT_PATH}?dryRun=true`, [
      { id: 10, score: 123456 },
      { id: 11, score: before.products['11'].Score ?? 0 },
    ])

    expect(status).toBe(200)
    expect(body.dryRun).toBe(true)
    expect(body.successfulResponses.elements[0]).toMatchObject({
      id: 10,
      score: 123456,
      previousScore: before.products['10'].Score ?? null,
      dryRun: true,
    })
    expect(stack.emulator.stats().requests.PUT).toBe(0)
    expect(stack.emulator.snapshot()).toEqual(before)
  })

  it('sends no PUT for items whose Score is already the requested one', async () => {
    const before = stack.emulator.snapshot()
    const batch = [20, 21, 22].map((id) => ({
      id,
      score: (before.products[String(id)].Score as number | null) ?? 0,
    }))

    // Make sure they hold a number first, so "unchanged" is meaningful.
    await stack.put(PRODUCT_PATH, batch)
    stack.emulator.resetStats()
    const { body } = await stack.put(PRODUCT_PATH, batch)

    expect(
      body.successfulResponses.elements.map(
        (e: { unchanged?: boolean }) => e.unchanged
      )
    ).toEqual([true, true, true])
    expect(stack.emulator.stats().requests).toMatchObject({ GET: 3, PUT: 0 })
  })

  it('accepts an app key and token pair', async () => {
    const { status, body } = await stack.put(
      PRODUCT_PATH,
      [{ id: 30, score: 42 }],
      {
        'X-VTEX-API-AppKey': APP_KEY,
        'X-VTEX-API-AppToken': APP_KEY_ENTRY.token,
      }
    )

    expect(status).toBe(200)
    expect(body.successfulResponses.quantity).toBe(1)
    expect(stack.emulator.getProduct(30)?.Score).toBe(42)
  })

  it('rejects an invalid batch with 400 and writes nothing', async () => {
    const { status, body } = await stack.put(PRODUCT_PATH, [
      { id: 1, score: 1 },
      { id: '12a', score: 4 },
    ])

    expect(status).toBe(400)
    expect(body.failedResponses.elements).toEqual([
      [
        expect.objectContaining({
          index: 1,
          id: '12a',
          error: 400,
          code: 'INVALID_ID',
        }),
      ],
    ])
    expect(stack.emulator.stats().requests.total).toBe(0)
  })

  it('answers 405 to other methods', async () => {
    const response = await fetch(`${stack.service.url}${PRODUCT_PATH}`, {
      method: 'POST',
    })

    expect(response.status).toBe(405)
    expect(
      ((await response.json()) as { error: { code: string } }).error.code
    ).toBe('METHOD_NOT_ALLOWED')
  })

  it('never writes the caller credentials to its logs', () => {
    const output = stack.service.output()

    expect(output.length).toBeGreaterThan(0)
    for (const secret of [
      USER_TOKEN,
      READ_ONLY_TOKEN,
      FORBIDDEN_TOKEN,
      APP_KEY_ENTRY.token,
    ]) {
      expect(output).not.toContain(secret)
    }
  })
})

describe('PUT /_v/massive/catalog/score/update end to end', () => {
  it('updates category scores and leaves every other field alone', async () => {
    const before = stack.emulator.snapshot()
    const batch = Array.from({ length: CATEGORIES }, (_, i) => ({
      id: String(i + 1),
      score: i * 3,
    }))
    const { status, body } = await stack.put(CATEGORY_PATH, [
      ...batch,
      { id: 99_999, score: 1 },
    ])

    const refused = batch.filter(({ id }) => refusalOf('category', Number(id)))

    expect(refused.length).toBeGreaterThan(0)
    expect(status).toBe(200)
    expect(body.successfulResponses.quantity).toBe(CATEGORIES - refused.length)
    expect(body.failedResponses.elements).toEqual([
      ...refused.map(({ id }) =>
        expect.objectContaining({
          id: Number(id),
          error: 422,
          code: refusalOf('category', Number(id)),
        })
      ),
      expect.objectContaining({
        index: CATEGORIES,
        id: 99_999,
        error: 404,
        code: 'NOT_FOUND',
      }),
    ])
    const after = stack.emulator.snapshot()

    for (const { id, score } of batch) {
      expect(after.categories[id].Score).toBe(
        refusalOf('category', Number(id)) ? before.categories[id].Score : score
      )
      expect(withoutScore(after.categories[id])).toBe(
        withoutScore(before.categories[id])
      )
    }

    expect(after.products).toEqual(before.products)
  })
})
