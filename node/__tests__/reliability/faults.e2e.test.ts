import type { FaultRule } from '../../../local/catalogEmulator'
import { PRODUCT_PATH, Stack, startStack } from '../helpers/e2e'
import {
  BatchItem,
  expectFaultsFired,
  expectInvariants,
  figuresOf,
  mergeAnswers,
  recordFigures,
  ScenarioFigures,
} from '../helpers/invariants'

const CONCURRENCY = 4
const MAX_ATTEMPTS = 5
const REQUEST_TIMEOUT_MS = 400
const PRODUCTS = 120
// What the service runs with; recorded beside the figures for dev-docs/RELIABILITY.md.
const SERVICE_ENV = {
  CONCURRENCY: String(CONCURRENCY),
  MAX_ATTEMPTS: String(MAX_ATTEMPTS),
  REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
  BATCH_DEADLINE_MS: '6000',
}

let stack: Stack
const figures: ScenarioFigures[] = []
let scoreBase = 10_000

const start = () =>
  startStack(
    {
      seed: { products: PRODUCTS, categories: 5, random: 3 },
      latency: { meanMs: 2, jitterMs: 1 },
    },
    SERVICE_ENV
  )

/**
 * A warm service, as the bench warms it: a cold JIT makes the first calls
 * slow, and a fault then would teach the account's controller a cold rate.
 */
async function startWarm() {
  stack = await start()
  const warmUp = await stack.put(PRODUCT_PATH, batchOf(40, 60))

  expect(warmUp.body.successfulResponses.quantity).toBe(40)
}

beforeAll(startWarm)

afterAll(async () => {
  recordFigures('faults', figures, { serviceEnv: SERVICE_ENV })
  await stack?.close()
})

beforeEach(() => {
  stack.emulator.configure({
    faults: null,
    failure: null,
    rateLimit: null,
    throttleOnce: null,
  })
})

/** Ids 1..n with scores no earlier run used, so every item needs a PUT. */
function batchOf(n: number, firstId = 1): BatchItem[] {
  scoreBase += 1000

  return Array.from({ length: n }, (_, i) => ({
    id: firstId + i,
    score: scoreBase + i,
  }))
}

/**
 * Runs one batch under `faults`, checks every invariant and that every rule
 * fired, records the figures. Without fault injection, every scenario that
 * configures rules fails here.
 */
async function scenario(
  name: string,
  faults: FaultRule[] | null,
  batch = batchOf(30)
) {
  stack.emulator.configure({ faults })
  stack.emulator.resetStats()
  const before = stack.emulator.snapshot()
  const answer = await stack.put(PRODUCT_PATH, batch)
  const stats = stack.emulator.stats()
  const after = stack.emulator.snapshot()

  expectInvariants({
    kind: 'products',
    batch,
    answer,
    before,
    after,
    stats,
    concurrency: CONCURRENCY,
  })
  expectFaultsFired(stats, faults)
  figures.push(figuresOf(name, batch, answer, stats))

  return { answer, stats, before, after }
}

const failuresOf = (answer: { body: any }) =>
  answer.body.failedResponses.elements as any[]

describe('429 storms', () => {
  it('waits out long penalty windows for the whole pool and succeeds', async () => {
    const { answer, stats } = await scenario(
      '429 storm, Retry-After 1 s on 3 ids',
      [
        {
          method: 'GET',
          ids: [3, 9, 17],
          times: 3,
          action: { type: '429', retryAfter: '1', reset: '1', windowMs: 1000 },
        },
      ]
    )

    expect(answer.status).toBe(200)
    expect(answer.body.successfulResponses.quantity).toBe(30)
    expect(stats.faultHits).toEqual({ '0': 3 })
    expect(stats.rateLimited).toBeGreaterThanOrEqual(3)
  })

  it('falls back to Ratelimit-Reset when Retry-After is missing', async () => {
    const { answer, stats } = await scenario(
      '429 without Retry-After (Ratelimit-Reset 1)',
      [
        {
          method: 'GET',
          ids: [5],
          times: 1,
          action: { type: '429', retryAfter: null, reset: '1', windowMs: 1000 },
        },
      ]
    )

    expect(answer.body.successfulResponses.quantity).toBe(30)
    expect(stats.faultHits).toEqual({ '0': 1 })
    expect(stats.rateLimited).toBeGreaterThanOrEqual(1)
  })

  it('falls back to capped backoff when neither header is usable', async () => {
    const { answer, stats } = await scenario(
      '429 with Retry-After "-5" / "soon" and no Ratelimit-Reset',
      [
        // An unannounced penalty cannot be honoured, so these 429s open no window.
        {
          method: 'GET',
          ids: [4],
          times: 1,
          action: { type: '429', retryAfter: '-5', reset: null, windowMs: 0 },
        },
        {
          method: 'PUT',
          ids: [6],
          times: 1,
          action: { type: '429', retryAfter: 'soon', reset: null, windowMs: 0 },
        },
      ]
    )

    expect(answer.body.successfulResponses.quantity).toBe(30)
    expect(stats.faultHits).toEqual({ '0': 1, '1': 1 })
    // Item 6's first PUT met the 429, so it needed a second.
    expect(stats.putsById.product['6']).toBe(1)
    expect(stats.requests.PUT).toBeGreaterThanOrEqual(31)
  })
})

describe('5xx and circuit breakers', () => {
  // A fresh worker: the rate the 429 storms taught the account's flow controller would carry over.
  beforeAll(async () => {
    await stack.close()
    await startWarm()
  })

  it('retries a burst of 503s', async () => {
    const { answer, stats } = await scenario(
      '503 burst (first 2 calls of 10 ids)',
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((id) => ({
        name: `id ${id}`,
        ids: [id],
        times: 2,
        action: {
          type: 'status' as const,
          status: 503,
          message: 'Service Unavailable',
        },
      }))
    )

    expect(answer.body.successfulResponses.quantity).toBe(30)
    // Every rule fired exactly twice: each of those ids took 2 extra calls.
    expect(Object.values(stats.faultHits)).toEqual(Array(10).fill(2))
    expect(stats.byStatus['503']).toBe(20)
  })

  // Before the breaker that stays open: the pause that one leaves is the account's, and outlasts it.
  it('recovers when the circuit breaker closes', async () => {
    const { answer, stats } = await scenario(
      'circuit breaker open for 500 ms',
      [
        {
          forMs: 500,
          action: {
            type: 'status',
            status: 503,
            message: 'Circuit breaker open',
          },
        },
      ]
    )

    expect(answer.body.total).toBe(30)
    expect(answer.body.successfulResponses.quantity).toBe(30)
    expect(stats.faultHits['0']).toBeGreaterThanOrEqual(CONCURRENCY)
    expect(stats.byStatus['503']).toBe(stats.faultHits['0'])
  })

  it('reports 503 with its attempts when a circuit breaker stays open', async () => {
    const { answer, stats } = await scenario(
      'circuit breaker open for the whole batch',
      [
        {
          forMs: 60_000,
          action: {
            type: 'status',
            status: 503,
            message: 'Circuit breaker open',
          },
        },
      ]
    )

    expect(answer.body.successfulResponses.quantity).toBe(0)
    expect(stats.faultHits['0']).toBe(stats.requests.total)
    for (const failure of failuresOf(answer)) {
      expect(
        failure.error === 503 || failure.code === 'DEADLINE_EXCEEDED'
      ).toBe(true)
      if (failure.error === 503) {
        expect(failure.errorMessage).toMatch(/Circuit breaker open/)
        expect(failure.attempts).toBe(MAX_ATTEMPTS)
      }
    }

    expect(stats.requests.PUT).toBe(0)
  })
})

describe('slow, hung and reset connections', () => {
  it('times out slow answers and retries them', async () => {
    const { answer, stats } = await scenario(
      'GET slower than the timeout, twice',
      [
        {
          method: 'GET',
          ids: [7, 8],
          times: 2,
          action: { type: 'slow', delayMs: REQUEST_TIMEOUT_MS * 2 },
        },
      ]
    )

    expect(answer.body.successfulResponses.quantity).toBe(30)
    expect(stats.faultHits).toEqual({ '0': 2 })
    // Each timed-out GET was sent again.
    expect(stats.requests.GET).toBeGreaterThanOrEqual(32)
  })

  it('reports 504 TIMEOUT for an answer that never ends, and leaks no socket', async () => {
    const { answer, stats } = await scenario('GET that never ends', [
      { method: 'GET', ids: [12], action: { type: 'hang' } },
    ])

    expect(failuresOf(answer)).toEqual([
      expect.objectContaining({
        id: 12,
        error: 504,
        code: 'TIMEOUT',
        attempts: MAX_ATTEMPTS,
      }),
    ])
    expect(stats.faultHits).toEqual({ '0': MAX_ATTEMPTS })
    // Hung connections were closed by the client; only its idle keep-alive sockets remain.
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(stack.emulator.stats().openSockets).toBeLessThanOrEqual(CONCURRENCY)
  })

  it('retries connections reset mid-request and mid-response', async () => {
    const { answer, stats } = await scenario(
      'connection resets (once per id)',
      [
        {
          method: 'GET',
          ids: [3],
          times: 1,
          action: { type: 'reset-request' },
        },
        {
          method: 'GET',
          ids: [4],
          times: 1,
          action: { type: 'reset-response' },
        },
        {
          method: 'PUT',
          ids: [5],
          times: 1,
          action: { type: 'reset-request' },
        },
        {
          method: 'PUT',
          ids: [6],
          times: 1,
          action: { type: 'reset-response' },
        },
      ]
    )

    expect(answer.body.successfulResponses.quantity).toBe(30)
    expect(stats.faultHits).toEqual({ '0': 1, '1': 1, '2': 1, '3': 1 })
    // Two GETs and two PUTs were sent again, each PUT after a fresh GET
    // (more only if the loaded machine made a call time out).
    expect(stats.requests.GET).toBeGreaterThanOrEqual(34)
    expect(stats.requests.PUT).toBeGreaterThanOrEqual(32)
  })

  it('reports 502 NETWORK_ERROR when a connection always resets', async () => {
    const { answer, stats } = await scenario('connection always reset', [
      { method: 'GET', ids: [9], action: { type: 'reset-request' } },
    ])

    expect(failuresOf(answer)).toEqual([
      expect.objectContaining({
        id: 9,
        error: 502,
        code: 'NETWORK_ERROR',
        attempts: MAX_ATTEMPTS,
      }),
    ])
    expect(stats.faultHits).toEqual({ '0': MAX_ATTEMPTS })
  })
})

describe('writes', () => {
  it('reports a PUT that fails after the GET, with the Catalog message, and re-reads before every retry', async () => {
    const { answer, stats } = await scenario(
      'PUT fails with 500 after a good GET',
      [
        {
          method: 'PUT',
          ids: [10],
          action: {
            type: 'status',
            status: 500,
            message: 'Catalog write failed',
          },
        },
      ]
    )

    expect(failuresOf(answer)).toEqual([
      expect.objectContaining({
        id: 10,
        error: 500,
        errorMessage: expect.stringContaining('Catalog write failed'),
      }),
    ])
    expect(stats.faultHits).toEqual({ '0': MAX_ATTEMPTS })
    expect(stats.byStatus['500']).toBe(MAX_ATTEMPTS)
    // 29 items: one GET and one PUT; item 10: a GET before each of its PUTs.
    expect(stats.requests).toMatchObject({
      GET: 29 + MAX_ATTEMPTS,
      PUT: 29 + MAX_ATTEMPTS,
    })
  })

  it('names the fields that end in spaces and updates the rest', async () => {
    const product = stack.emulator.getProduct(15) as Record<string, unknown>

    stack.emulator.setProduct(15, {
      ...product,
      Name: `${product.Name} `,
      Title: `${product.Title}  `,
    })
    const { answer, stats } = await scenario(
      'fields ending in spaces (1 item)',
      null
    )

    expect(answer.body.successfulResponses.quantity).toBe(29)
    const [failure] = failuresOf(answer)

    expect(failure).toMatchObject({
      id: 15,
      error: 400,
      code: 'TRAILING_SPACES',
      attempts: 1,
    })
    expect(failure.errorMessage).toMatch(/'Name', 'Title'/)
    // Nothing was stored for 15.
    expect(stats.putsById.product['15']).toBeUndefined()
    stack.emulator.setProduct(15, product)
  })

  it('runs two batches on disjoint ids at once, both fully', async () => {
    stack.emulator.resetStats()
    const before = stack.emulator.snapshot()
    const first = batchOf(40, 1)
    const second = batchOf(40, 41)
    const [a, b] = await Promise.all([
      stack.put(PRODUCT_PATH, first),
      stack.put(PRODUCT_PATH, second),
    ])
    const stats = stack.emulator.stats()
    const after = stack.emulator.snapshot()

    expect(a.body.successfulResponses.quantity).toBe(40)
    expect(b.body.successfulResponses.quantity).toBe(40)
    // Each batch has its own pool, so together they may use twice the concurrency.
    expectInvariants({
      kind: 'products',
      batch: first,
      answer: a,
      before,
      after,
      stats,
      concurrency: 2 * CONCURRENCY,
    })
    for (const [i, item] of second.entries()) {
      expect(after.products[String(item.id)].Score).toBe(second[i].score)
    }

    // Every item of both batches was stored once.
    expect(Object.values(stats.putsById.product)).toEqual(Array(80).fill(1))
    figures.push(
      figuresOf(
        'two concurrent batches (2 x 40 items)',
        [...first, ...second],
        mergeAnswers(a, b),
        stats
      )
    )
  })
})

// Last in the file: the pause it makes is the account's, and outlives the test.
describe('a Catalog that asks for an hour', () => {
  it('ends inside its deadline with a precise error when the Catalog asks for an hour', async () => {
    const { answer, stats } = await scenario('429 with Retry-After 3600', [
      {
        method: 'GET',
        ids: [2],
        times: 1,
        action: {
          type: '429',
          retryAfter: '3600',
          reset: '3600',
          windowMs: 1000,
        },
      },
    ])
    const late = failuresOf(answer)

    expect(stats.faultHits).toEqual({ '0': 1 })
    expect(answer.status).toBe(200)
    expect(late.length).toBeGreaterThan(0)
    for (const failure of late) {
      expect(failure).toMatchObject({ error: 504, code: 'DEADLINE_EXCEEDED' })
      expect(failure.errorMessage).toMatch(/rate limit|429/i)
    }
  })
})
