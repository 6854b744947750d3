import type {
  CatalogProfile,
  EmulatorStats,
  RateHeaderStyle,
} from '../../../local/catalogEmulator'
import { PRODUCT_PATH, Stack, startStack } from '../helpers/e2e'
import { BatchItem, expectInvariants } from '../helpers/invariants'

/**
 * The flow controller through the real runtime, against the emulator's
 * Catalog profiles (local/catalogEmulator/profiles.ts) scaled down so a batch
 * takes a few seconds: the header styles (none, on-429, ietf, x-ratelimit,
 * bare), per-endpoint and per-account buckets at once, a latency that grows
 * with load, another client eating the same bucket. flowControl.e2e covers the legacy single buckets with IETF
 * headers and the breaker; these run the profiles as VTEX documents them,
 * 50-300 ms calls included. Every assertion is on the emulator's counters and
 * final state, never on wall time.
 */
const PRODUCTS = 400
const BATCH = 160
// The service's default ceiling (settings.ts); the suite runs the defaults.
const CEILING = 150
const WARM_UP = 40
const SERVICE_ENV = { BATCH_DEADLINE_MS: '25000' }

/** The documented profile, 50-300 ms calls, with buckets small enough for a test. */
const SCALED: CatalogProfile = {
  extends: 'documented',
  buckets: {
    account: { ratePerSec: 300, burst: 40 },
    // A small burst, so that the first batch crosses it even on a loaded machine.
    endpoint: { ratePerSec: 120, burst: 10 },
  },
}

let stack: Stack | undefined
let scoreBase = 70_000

/** Ids 1..n with scores no earlier batch used, so every item needs its PUT. */
function batchOf(n: number, firstId = 1): BatchItem[] {
  scoreBase += 1000

  return Array.from({ length: n }, (_, i) => ({
    id: firstId + i,
    score: scoreBase + i,
  }))
}

/**
 * A fresh service per profile (the controller is the account's and would
 * carry what one profile taught it into the next), warmed on an
 * unlimited Catalog as faults.e2e and the bench warm it: a cold JIT's first
 * 429 would teach the controller a cold rate.
 */
async function startWarm(env: Record<string, string> = {}): Promise<Stack> {
  const started = await startStack(
    {
      seed: { products: PRODUCTS, categories: 5, random: 17 },
      // The profiles' latency, so the controller learns the latency it will meet.
      profile: { extends: 'documented', buckets: undefined },
    },
    { ...SERVICE_ENV, ...env }
  )

  const warmUp = await started.put(
    PRODUCT_PATH,
    batchOf(WARM_UP, PRODUCTS - WARM_UP + 1)
  )

  expect(warmUp.body.successfulResponses.quantity).toBe(WARM_UP)

  return started
}

afterEach(async () => {
  await stack?.close()
  stack = undefined
})

/** What a reader needs when an assertion fails: the counters that tell the story. */
const storyOf = (stats: EmulatorStats) => ({
  requests: stats.requests,
  byStatus: stats.byStatus,
  rateLimitedBy: stats.rateLimitedBy,
  requestsInPenaltyWindow: stats.requestsInPenaltyWindow,
  otherClientTokens: stats.otherClientTokens,
  loadLatency: stats.loadLatency,
  peakInFlight: stats.peakInFlight,
})

/** Failed items by `error code`, e.g. { '504 DEADLINE_EXCEEDED': 10 }. */
function codesOf(failed: Array<{ error: number; code: string }>) {
  const codes: Record<string, number> = {}

  for (const { error, code } of failed)
    codes[`${error} ${code}`] = (codes[`${error} ${code}`] ?? 0) + 1

  return codes
}

/**
 * One batch of `size` items under `profile`: the answer is a 200 with every
 * item updated, the final store holds every new score with nothing else
 * changed, each product was PUT exactly once, nothing was sent inside a 429
 * window. Returns the counters for the profile's own assertions.
 */
async function runBatch(
  profile: CatalogProfile,
  size: number,
  env: Record<string, string> = {}
) {
  stack = await startWarm(env)
  stack.emulator.configure({ profile })
  stack.emulator.resetStats()
  const batch = batchOf(size)
  const before = stack.emulator.snapshot()
  const answer = await stack.put(PRODUCT_PATH, batch)
  const stats = stack.emulator.stats()
  const after = stack.emulator.snapshot()
  const story = {
    ...storyOf(stats),
    failures: codesOf(answer.body?.failedResponses?.elements ?? []),
  }

  // One readable diff on failure: the answer's figures beside the emulator's.
  expect({
    status: answer.status,
    succeeded: answer.body?.successfulResponses?.quantity,
    failed: answer.body?.failedResponses?.quantity,
    inWindow: stats.requestsInPenaltyWindow,
    story,
  }).toEqual({
    status: 200,
    succeeded: size,
    failed: 0,
    inWindow: 0,
    story,
  })
  expectInvariants({
    kind: 'products',
    batch,
    answer,
    before,
    after,
    stats,
    concurrency: CEILING,
  })
  // Each product PUT exactly once: a 429 or a retry never wrote twice.
  expect(stats.putsById.product).toEqual(
    Object.fromEntries(batch.map((item) => [String(item.id), 1]))
  )
  expect(
    answer.body.successfulResponses.elements.map((e: any) => e.index)
  ).toEqual(batch.map((_, i) => i))

  return stats
}

describe('rate headers, as the Catalog may or may not send them', () => {
  // Both documented buckets at once; the endpoints' (120 req/s) is the tighter: 120 items/s.
  it.each<[RateHeaderStyle, string]>([
    ['none', 'Retry-After on 429s only, as VTEX documents'],
    ['on-429', 'Ratelimit-* on 429s only'],
    ['ietf', 'Ratelimit-* on every answer'],
    ['x-ratelimit', 'X-RateLimit-* on every answer'],
    ['bare', 'not even Retry-After'],
  ])(
    "'%s' (%s): every item once, nothing inside a 429 window",
    async (rateHeaders, _meaning) => {
      const stats = await runBatch({ ...SCALED, rateHeaders }, BATCH)
      const endpoint429s =
        (stats.rateLimitedBy['GET product'] ?? 0) +
        (stats.rateLimitedBy['PUT product'] ?? 0)

      // The bucket did bite: the controller had to find the limit.
      expect(endpoint429s).toBeGreaterThan(0)
      expect(stats.rateLimited).toBeGreaterThanOrEqual(endpoint429s)
    }
  )
})

describe('per-endpoint and per-account buckets at once', () => {
  it('keeps under both: the account 200 req/s and each endpoint 120 req/s', async () => {
    // The account allows 100 items/s, each endpoint 120: the account's is the tighter.
    const stats = await runBatch(
      {
        extends: 'documented',
        buckets: {
          account: { ratePerSec: 200, burst: 10 },
          endpoint: { ratePerSec: 120, burst: 60 },
        },
      },
      BATCH
    )

    expect(stats.rateLimitedBy.account ?? 0).toBeGreaterThan(0)
    // Only the buckets of this batch's endpoints ever answered.
    expect(
      Object.keys(stats.rateLimitedBy).every((bucket) =>
        ['account', 'GET product', 'PUT product'].includes(bucket)
      )
    ).toBe(true)
  })
})

describe('a Catalog whose latency grows with load', () => {
  it('takes no retry: every call answered, none timed out, each item one GET and one PUT', async () => {
    // No bucket; 16 workers at 50-300 ms: about 145 calls/s whatever the pool.
    const stats = await runBatch(
      { extends: 'documented', buckets: undefined, load: { capacity: 16 } },
      BATCH
    )

    // The load did stretch calls: the ceiling (150) is far above the capacity.
    expect(stats.loadLatency.stretchedCalls).toBeGreaterThan(0)
    expect(stats.loadLatency.peakFactor).toBeGreaterThan(1)
    expect(stats.rateLimited).toBe(0)
    expect(stats.requests).toMatchObject({ GET: BATCH, PUT: BATCH })
  })
})

describe('another client eating part of the same bucket', () => {
  it('shares the account bucket with it: its tokens counted, ours under the rest', async () => {
    // 240 req/s, less the other client's 90 GETs/s: 75 items/s for us.
    const stats = await runBatch(
      {
        extends: 'documented',
        buckets: { account: { ratePerSec: 240, burst: 10 } },
        otherClient: { ratePerSec: 90, endpoint: 'GET product' },
      },
      BATCH
    )

    expect(stats.otherClientTokens).toBeGreaterThan(0)
    expect(stats.rateLimitedBy.account ?? 0).toBeGreaterThan(0)
  })
})

/*
 * An endpoint bucket far below what the pool reads. Before PUTs went ahead of
 * new items' GETs in the flow control, a read PUT waited for admission past
 * MAX_READ_AGE_MS (2 s, updateScore.ts) behind 150 workers' GETs, so its read
 * went stale, was redone and went stale again: 200 items got 307 GETs, 22
 * PUTs and 178 items answered 504 DEADLINE_EXCEEDED in 10 s.
 */
describe('a per-endpoint bucket below what the pool reads', () => {
  it('60 req/s per endpoint: every item once, no read redone for staleness', async () => {
    const stats = await runBatch(
      {
        ...SCALED,
        buckets: {
          account: { ratePerSec: 300, burst: 40 },
          endpoint: { ratePerSec: 60, burst: 15 },
        },
      },
      200,
      // At 60 items/s these 200 items need under 4 s.
      { BATCH_DEADLINE_MS: '10000' }
    )

    expect(stats.rateLimitedBy['GET product'] ?? 0).toBeGreaterThan(0)
    // A GET per item, and a few more for the 429s: not a read per stale wait.
    expect(stats.requests.GET).toBeLessThanOrEqual(1.1 * 200)
  })
})
