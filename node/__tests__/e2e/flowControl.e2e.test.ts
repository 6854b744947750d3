import net from 'net'

import { PRODUCT_PATH, Stack, startStack, withoutScore } from '../helpers/e2e'

/**
 * The flow controller through the real runtime, against Catalog profiles that
 * behave as VTEX documents. Every assertion is on the emulator's counters and
 * final state, never on wall time; speed is the bench's business.
 */
const PRODUCTS = 600

let stack: Stack
let scoreBase = 50_000

/**
 * A fresh service for every test: the flow controller is the account's and
 * lives as long as the worker, so what one profile taught it would carry
 * into the next.
 */
beforeEach(async () => {
  stack = await startStack(
    {
      seed: { products: PRODUCTS, categories: 5, random: 11 },
      latency: { meanMs: 15, jitterMs: 10 },
    },
    // Default settings: the ceiling (150 calls) and no attempt cap.
    { BATCH_DEADLINE_MS: '20000' }
  )
})

afterEach(async () => {
  await stack?.close()
})

function batchOf(n: number) {
  scoreBase += 1000

  return Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    score: scoreBase + i,
  }))
}

/** Every item answered exactly once, each success written, each failure untouched. */
function expectAccounted(
  batch: Array<{ id: number; score: number }>,
  body: any,
  before: ReturnType<Stack['emulator']['snapshot']>
) {
  const succeeded = body.successfulResponses.elements as any[]
  const failed = body.failedResponses.elements as any[]
  const indexes = [...succeeded, ...failed]
    .map((e) => e.index)
    .sort((a, b) => a - b)

  expect(body.total).toBe(batch.length)
  expect(indexes).toEqual(batch.map((_, i) => i))
  for (const element of succeeded) {
    const stored = stack.emulator.getProduct(element.id)

    expect(stored?.Score).toBe(element.score)
    expect(withoutScore(stored)).toBe(
      withoutScore(before.products[String(element.id)])
    )
  }

  for (const element of failed) {
    expect(stack.emulator.getProduct(element.id)).toEqual(
      before.products[String(element.id)]
    )
  }
}

describe('flow control against a rate-limited Catalog', () => {
  it('sends nothing inside a 429 window once it has seen the 429, and loses nothing', async () => {
    stack.emulator.configure({ rateLimit: { ratePerSec: 150, burst: 20 } })
    const batch = batchOf(400)
    const before = stack.emulator.snapshot()
    const answer = await stack.put(PRODUCT_PATH, batch)
    const stats = stack.emulator.stats()

    expect(answer.status).toBe(200)
    expect(answer.body.successfulResponses.quantity).toBe(400)
    // The bucket did bite: the controller had to find the limit.
    expect(stats.rateLimited).toBeGreaterThan(0)
    expect(stats.requestsInPenaltyWindow).toBe(0)
    expectAccounted(batch, answer.body, before)
  })

  it('keeps under per-endpoint buckets (GET and PUT limited apart)', async () => {
    stack.emulator.configure({
      rateLimit: { ratePerSec: 100, burst: 20, scope: 'endpoint' },
    })
    const batch = batchOf(200)
    const before = stack.emulator.snapshot()
    const answer = await stack.put(PRODUCT_PATH, batch)
    const stats = stack.emulator.stats()

    expect(answer.body.successfulResponses.quantity).toBe(200)
    expect(stats.rateLimited).toBeGreaterThan(0)
    expect(stats.requestsInPenaltyWindow).toBe(0)
    expectAccounted(batch, answer.body, before)
  })
})

describe('flow control against an unavailable Catalog', () => {
  it('loses no item to a 5 s circuit-breaker phase', async () => {
    stack.emulator.configure({
      faults: [
        {
          name: 'breaker',
          forMs: 5000,
          action: { type: 'status', status: 503, message: 'Circuit open' },
        },
      ],
    })
    const batch = batchOf(PRODUCTS)
    const before = stack.emulator.snapshot()
    const answer = await stack.put(PRODUCT_PATH, batch)
    const stats = stack.emulator.stats()

    expect(stats.faultHits.breaker).toBeGreaterThan(0)
    expect(answer.status).toBe(200)
    expect(answer.body.successfulResponses.quantity).toBe(PRODUCTS)
    // The breaker was not hammered: the retry budget and the client-side breaker held the pool back.
    expect(stats.faultHits.breaker).toBeLessThan(PRODUCTS)
    expectAccounted(batch, answer.body, before)
  })

  it('loses no item to 10% random 503s', async () => {
    stack.emulator.configure({
      faults: [
        {
          name: 'random503',
          probability: 0.1,
          action: { type: 'status', status: 503, message: 'Busy' },
        },
      ],
    })
    const batch = batchOf(PRODUCTS)
    const before = stack.emulator.snapshot()
    const answer = await stack.put(PRODUCT_PATH, batch)
    const stats = stack.emulator.stats()

    expect(stats.faultHits.random503).toBeGreaterThan(20)
    expect(answer.body.successfulResponses.quantity).toBe(PRODUCTS)
    expectAccounted(batch, answer.body, before)
  })

  it('answers 503 with every item listed when the breaker never closes', async () => {
    stack.emulator.configure({
      faults: [
        {
          name: 'down',
          action: { type: 'status', status: 503, message: 'Circuit open' },
        },
      ],
    })
    const batch = batchOf(50)
    const before = stack.emulator.snapshot()
    const answer = await stack.put(PRODUCT_PATH, batch)
    const stats = stack.emulator.stats()

    expect(stats.faultHits.down).toBeGreaterThan(0)
    expect(answer.status).toBe(503)
    expect(answer.body.failedResponses.quantity).toBe(50)
    expect(stats.requests.PUT).toBe(0)
    expectAccounted(batch, answer.body, before)
  })
})

/** A 127.0.0.1 port with nothing listening. */
async function closedPort(): Promise<number> {
  const server = net.createServer()

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo

  await new Promise((resolve) => server.close(resolve))

  return port
}

describe('flow control against a Catalog that cannot be reached', () => {
  it('answers 502 at once, every item listed, instead of retrying to the deadline', async () => {
    const unreachable = await startStack(
      { seed: { products: 5 } },
      { CATALOG_URL: `http://127.0.0.1:${await closedPort()}` }
    )

    const batch = batchOf(200)
    const answer = await unreachable.put(PRODUCT_PATH, batch)
    const failed = answer.body.failedResponses.elements as any[]

    expect(answer.status).toBe(502)
    expect(answer.body.total).toBe(200)
    expect(failed.map((e) => e.index)).toEqual(batch.map((_, i) => i))
    expect(failed.every((e) => e.error === 502)).toBe(true)
    expect(failed.some((e) => e.code === 'NOT_ATTEMPTED')).toBe(true)
    // The emulator is the VBase; the Catalog was never reached.
    expect(unreachable.emulator.stats().requests.total).toBe(0)
    await unreachable.close()
  })
})
