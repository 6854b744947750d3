import type { SpawnedService } from '../../../local/spawnService'
import {
  PRODUCT_PATH,
  spawnServiceOn,
  Stack,
  startStack,
  USER_TOKEN,
} from '../helpers/e2e'

/**
 * Warm start through the real runtime: a replica writes what its flow
 * controller learned to the app's VBase, and a second replica, a process
 * that never met the Catalog, starts from it. Assertions are on the
 * emulator's VBase and counters, never on wall time.
 */
const PRODUCTS = 400
/**
 * A burst below the initial in-flight limit (10): a cold pool's first round
 * trip meets 429s whatever the machine's speed, a paced one none.
 */
const BUCKET = { ratePerSec: 100, burst: 5 }
/** The emulator keys a file by account, workspace, app, bucket and path. */
const MEMORY_FILE = 'flow-memory/catalog.json'

let stack: Stack
let second: SpawnedService | undefined

beforeAll(async () => {
  stack = await startStack(
    {
      seed: { products: PRODUCTS, categories: 5, random: 11 },
      latency: { meanMs: 15, jitterMs: 10 },
    },
    { BATCH_DEADLINE_MS: '30000' }
  )
})

afterAll(async () => {
  await second?.close()
  await stack?.close()
})

let scoreBase = 70_000

const batchOf = (n: number) => {
  scoreBase += 1000

  return Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    score: scoreBase + i,
  }))
}

async function putOn(service: SpawnedService, body: unknown) {
  const response = await fetch(`${service.url}${PRODUCT_PATH}`, {
    method: 'PUT',
    headers: {
      'Content-Type': 'application/json',
      VtexIdclientAutCookie: USER_TOKEN,
    },
    body: JSON.stringify(body),
  })

  return { status: response.status, body: (await response.json()) as any }
}

/** The stored memory, once a write whose measuredAt is past `after` landed (10 s at most). */
async function memoryWrittenAfter(after: number) {
  for (let waited = 0; waited < 10_000; waited += 100) {
    const memory = stack.emulator.vbase.read(MEMORY_FILE)

    if (memory && memory.measuredAt > after) return memory

    await new Promise((resolve) => setTimeout(resolve, 100))
  }

  throw new Error('no flow memory was written')
}

/** A batch with the bucket full and fresh counters: what it met of the limit. */
async function batchOnFreshBucket(service: SpawnedService) {
  stack.emulator.configure({ rateLimit: BUCKET })
  stack.emulator.resetStats()
  const answer = await putOn(service, batchOf(PRODUCTS))

  expect(answer.status).toBe(200)
  expect(answer.body.successfulResponses.quantity).toBe(PRODUCTS)

  return stack.emulator.stats()
}

describe('warm start across replicas', () => {
  it('a replica that never met the Catalog starts from what another learned, read from VBase', async () => {
    const cold = await batchOnFreshBucket(stack.service)
    // The memory the batch's end left (a 429 pause mid-batch can look idle and write a guess first):
    // measured at the batch's last answer, within a second of its response.
    const memory = await memoryWrittenAfter(Date.now() - 1000)

    // What was learned, and nothing else: no token, no item, no caller.
    expect(Object.keys(memory).sort()).toEqual([
      'inFlight',
      'measuredAt',
      'probing',
      'ratePerSec',
    ])
    expect(memory.ratePerSec).toBeGreaterThan(0.5 * BUCKET.ratePerSec)
    expect(memory.ratePerSec).toBeLessThan(2 * BUCKET.ratePerSec)
    // Whether the batch ended on a measured rate or on a guess still climbing (probing) turns on where
    // its last 429 fell; either way the next replica starts paced from it.
    expect(typeof memory.probing).toBe('boolean')
    // The first 10 calls leave at once into a burst of 5.
    expect(cold.rateLimited).toBeGreaterThanOrEqual(4)

    second = await spawnServiceOn(stack.emulator.url, {
      BATCH_DEADLINE_MS: '30000',
      // A new process's first VBase read can take over 500 ms on a loaded machine: it would start cold.
      FLOW_MEMORY_READ_WAIT_MS: '5000',
    })
    const readsBefore = stack.emulator.vbase.stats().reads
    const warm = await batchOnFreshBucket(second)

    expect(stack.emulator.vbase.stats().reads).toBeGreaterThan(readsBefore)
    expect(warm.requestsInPenaltyWindow).toBe(0)
    // Paced below the bucket from its first call, where a cold replica's
    // first round trip crosses it: at most a late timer's catch-up past the
    // burst (in practice none).
    expect(warm.rateLimited).toBeLessThanOrEqual(1)

    // The second replica writes what it learned in turn.
    const rewritten = await memoryWrittenAfter(memory.measuredAt)

    expect(rewritten.ratePerSec).toBeGreaterThan(0.5 * BUCKET.ratePerSec)
  })
})
