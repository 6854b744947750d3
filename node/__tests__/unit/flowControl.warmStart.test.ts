import {
  FlowController,
  FlowMemory,
  MEMORY_HALF_LIFE_MS,
  MEMORY_MAX_AGE_MS,
  parseFlowMemory,
  seedOf,
} from '../../bulk'
import { BucketOptions, drive, pool150 } from '../helpers/bucketCatalog'
import { FakeClock } from '../helpers/fakeClock'

/** The emulator's `bucket-no-headers`: 200 req/s, burst 40, 429s without headers. */
const BUCKET: BucketOptions = { ratePerSec: 200, burst: 40, headers: 'none' }

/** What a controller learned over a minute on BUCKET, as another replica would have stored it. */
async function learnedOnBucket(): Promise<FlowMemory> {
  const { clock, flow, serve } = pool150(BUCKET)

  await drive(clock, flow, 150, 60_000, serve)
  const memory = flow.learnedMemory()

  if (!memory) throw new Error('learned nothing')

  return memory
}

/** A fresh replica's batch of `ms` on a full bucket, its memory `ageMs` old (none: cold). */
async function batchFrom(
  memory: FlowMemory | undefined,
  ageMs: number,
  ms = 15_000,
  bucket = BUCKET
) {
  const { clock, flow, catalog, serve } = pool150(bucket, {
    memory: memory && { ...memory, measuredAt: -ageMs },
  })
  const startRate = flow.snapshot().ratePerSec
  let accepted = 0

  await drive(clock, flow, 150, ms, serve, (answer) => {
    if (answer.signal === 'accepted') accepted += 1
  })

  return { startRate, accepted, counts: catalog.counts, flow }
}

describe('FlowController warm start', () => {
  let learned: FlowMemory

  beforeAll(async () => {
    learned = await learnedOnBucket()
  })

  it('learns a rate near the bucket after a 429 regime, and a measure, not a guess', () => {
    expect(learned.ratePerSec).toBeGreaterThan(0.8 * BUCKET.ratePerSec)
    expect(learned.ratePerSec).toBeLessThan(1.1 * BUCKET.ratePerSec)
    expect(learned.probing).toBe(false)
    expect(learned.inFlight).toBeGreaterThanOrEqual(10)
  })

  it('starts a fresh replica near the remembered rate: no 429 in a batch where a cold one meets several', async () => {
    const cold = await batchFrom(undefined, 0)
    const warm = await batchFrom(learned, 2 * 60_000)
    const remembered = learned.ratePerSec as number

    expect(cold.startRate).toBeNull()
    expect(warm.startRate).toBeGreaterThan(0.75 * remembered)
    expect(warm.startRate).toBeLessThanOrEqual(remembered)
    expect(cold.counts.windows).toBeGreaterThanOrEqual(1)
    expect(warm.counts.windows).toBe(0)
    expect(warm.counts.inWindow).toBe(0)
    expect(warm.accepted).toBeGreaterThan(cold.accepted)
  })

  it('starts as today from memory past its max age', async () => {
    const cold = await batchFrom(undefined, 0)
    const stale = await batchFrom(learned, MEMORY_MAX_AGE_MS + 1)

    expect(stale.startRate).toBeNull()
    expect(stale.flow.snapshot().limit).toBe(cold.flow.snapshot().limit)
    expect(stale.accepted).toBe(cold.accepted)
    expect(stale.counts).toEqual(cold.counts)
  })

  it('backs off from memory far above the limit at the first 429, and sends nothing into its window', async () => {
    const wrong = await batchFrom(
      { ...learned, ratePerSec: 10 * BUCKET.ratePerSec },
      60_000
    )

    expect(wrong.startRate).toBeGreaterThan(5 * BUCKET.ratePerSec)
    expect(wrong.counts.windows).toBeGreaterThanOrEqual(1)
    expect(wrong.counts.inWindow).toBe(0)
    expect(wrong.flow.snapshot().ratePerSec).toBeLessThan(
      1.2 * BUCKET.ratePerSec
    )
  })

  it('follows a bucket that shrank since: the remembered rate is cut, as a learned one is', async () => {
    const shrunk = await batchFrom(learned, 60_000, 15_000, {
      ...BUCKET,
      ratePerSec: BUCKET.ratePerSec / 2,
    })

    expect(shrunk.counts.inWindow).toBe(0)
    expect(shrunk.flow.snapshot().ratePerSec).toBeLessThan(
      0.6 * BUCKET.ratePerSec
    )
  })

  it('still probes past the remembered rate: a bucket that grew is found', async () => {
    const grown = await batchFrom(learned, 60_000, 60_000, {
      ...BUCKET,
      ratePerSec: 2 * BUCKET.ratePerSec,
    })

    expect(grown.flow.snapshot().ratePerSec ?? Infinity).toBeGreaterThan(
      1.3 * BUCKET.ratePerSec
    )
  })

  it('starts from what it learned itself after forgetting on idle, not from nothing', async () => {
    const { clock, flow, serve } = pool150(BUCKET)

    expect(flow.learnedMemory()).toBeUndefined()
    await drive(clock, flow, 150, 30_000, serve)
    // Past the idle reset (60 s by default) the parts are built afresh.
    await clock.run(clock.sleep(120_000))
    ;(await flow.admit()).cancel()
    expect(flow.snapshot().ratePerSec).toBeGreaterThan(0.5 * BUCKET.ratePerSec)
  })

  it('takes another replica memory at once while it has sent nothing, and keeps it for its next start otherwise', async () => {
    const clock = new FakeClock()
    const idle = new FlowController(clock, { maxInFlight: 150 })
    const busy = new FlowController(clock, { maxInFlight: 150 })
    const memory = { ...learned, measuredAt: 0 }

    ;(await busy.admit()).cancel()
    idle.remember(memory)
    busy.remember(memory)

    expect(idle.snapshot().ratePerSec).toBeGreaterThan(0)
    expect(busy.snapshot().ratePerSec).toBeNull()
    expect(busy.learnedMemory()?.ratePerSec).toBeNull()
    await clock.run(clock.sleep(61_000))
    ;(await busy.admit()).cancel()
    expect(busy.snapshot().ratePerSec).toBeGreaterThan(0)
  })
})

describe('seedOf', () => {
  const memory: FlowMemory = {
    ratePerSec: 200,
    probing: false,
    inFlight: 40,
    measuredAt: 1_000_000,
  }

  it('starts just under the remembered rate when fresh, aiming at it', () => {
    const seed = seedOf(memory, memory.measuredAt)

    expect(seed?.rate).toEqual({ aim: 200, start: 180, probing: false })
    expect(seed?.inFlight).toEqual({ limit: 40, halvings: 0 })
  })

  it('halves the start per half-life, still aiming at the remembered rate', () => {
    const seed = seedOf(memory, memory.measuredAt + 2 * MEMORY_HALF_LIFE_MS)

    expect(seed?.rate).toEqual({ aim: 200, start: 45, probing: false })
    expect(
      seedOf({ ...memory, probing: true }, memory.measuredAt)?.rate.probing
    ).toBe(true)
    expect(seed?.inFlight.halvings).toBeCloseTo(2)
  })

  it('ignores memory past the max age, or from far in the future', () => {
    expect(seedOf(memory, memory.measuredAt + MEMORY_MAX_AGE_MS + 1)).toBe(
      undefined
    )
    expect(seedOf(memory, memory.measuredAt - 10 * 60_000)).toBeUndefined()
    expect(seedOf(undefined, 0)).toBeUndefined()
  })

  it('seeds nothing when no 429 was ever met: nothing would pace a larger start', () => {
    expect(
      seedOf({ ...memory, ratePerSec: null }, memory.measuredAt)
    ).toBeUndefined()
  })
})

describe('parseFlowMemory', () => {
  const stored = {
    ratePerSec: 190,
    probing: false,
    inFlight: 35,
    measuredAt: 1,
  }

  it('reads what a controller stored', () => {
    expect(parseFlowMemory(JSON.parse(JSON.stringify(stored)))).toEqual(stored)
    expect(parseFlowMemory({ ...stored, ratePerSec: null })).toEqual({
      ...stored,
      ratePerSec: null,
    })
  })

  it.each([
    ['null', null],
    ['a string', 'fast'],
    ['a negative rate', { ...stored, ratePerSec: -1 }],
    ['an infinite limit', { ...stored, inFlight: 1e309 }],
    ['a rate as text', { ...stored, ratePerSec: '190' }],
    ['no time', { ...stored, measuredAt: undefined }],
    ['no probing flag', { ...stored, probing: 'no' }],
  ])('refuses %s: a bad file is a cold start', (_, data) => {
    expect(parseFlowMemory(data)).toBeUndefined()
  })
})
