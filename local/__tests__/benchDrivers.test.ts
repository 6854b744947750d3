/**
 * The bench's peer drivers against a small in-process emulator, through the
 * bench's meter, as the bench runs them: what each does with a 429.
 */
import { CatalogEmulator, startCatalogEmulator } from '../catalogEmulator'
import { retryAfterMs } from '../bench/drivers/catalogItem'
import { Envelope, makeItems } from '../bench/drivers/items'
import { pLimitBatch } from '../bench/drivers/pLimitLoop'
import { unboundedBatch } from '../bench/drivers/unbounded'
import { Meter, startMeter } from '../bench/meter'

const ITEMS = 300

let emulator: CatalogEmulator
let meter: Meter

beforeAll(async () => {
  emulator = await startCatalogEmulator({
    seed: { products: ITEMS, categories: 1 },
  })
  meter = await startMeter(emulator.url)
  meter.setHeaderMode('none')
})

afterAll(async () => {
  await meter.close()
  await emulator.close()
})

beforeEach(() => {
  emulator.configure({
    rateLimit: null,
    latency: null,
    faults: null,
    profile: null,
  })
  emulator.resetStats()
  meter.reset()
})

const outcomes = (envelope: Envelope) => ({
  ok: envelope.successfulResponses.elements.length,
  failed: envelope.failedResponses.elements.length,
  answered: new Set(
    [
      ...envelope.successfulResponses.elements,
      ...envelope.failedResponses.elements,
    ].map((e) => e.index)
  ).size,
})
const rateLimited = () => meter.calls.filter((c) => c.status === 429)

describe('the app we replace (unbounded)', () => {
  it('sends every item at once and fails each item a 429 answers, retrying none', async () => {
    emulator.configure({ rateLimit: { ratePerSec: 200, burst: 20 } })
    const envelope = await unboundedBatch(meter.url, makeItems(ITEMS))
    const { ok, failed, answered } = outcomes(envelope)

    expect(answered).toBe(ITEMS)
    expect(failed).toBeGreaterThan(ITEMS / 2)
    expect(ok + failed).toBe(ITEMS)
    // One 429 per failed item: none was sent again.
    expect(rateLimited()).toHaveLength(failed)
    expect(meter.calls.length).toBeLessThanOrEqual(2 * ITEMS)
    expect(
      envelope.failedResponses.elements.every((e) => e.code === '429')
    ).toBe(true)
  })

  it('updates every item of an unlimited Catalog', async () => {
    emulator.configure({ latency: { meanMs: 20, jitterMs: 5 } })
    const { ok, failed } = outcomes(
      await unboundedBatch(meter.url, makeItems(ITEMS))
    )

    expect([ok, failed]).toEqual([ITEMS, 0])
    expect(emulator.stats().peakInFlight).toBeGreaterThan(10)
  })
})

describe('the p-limit loop', () => {
  it('keeps at most its concurrency in flight', async () => {
    emulator.configure({ latency: { meanMs: 4, jitterMs: 2 } })
    const { ok } = outcomes(await pLimitBatch(meter.url, makeItems(100), 10))

    expect(ok).toBe(100)
    expect(emulator.stats().peakInFlight).toBeLessThanOrEqual(10)
    expect(emulator.stats().peakInFlight).toBeGreaterThan(1)
  })

  it("sleeps for a 429's Retry-After, then runs the item again from its GET", async () => {
    // The first ten calls, one per slot, are 429s that ask for 1 s.
    emulator.configure({
      faults: [
        {
          times: 10,
          action: { type: '429', windowMs: 1, retryAfter: '1' },
        },
      ],
    })
    const items = makeItems(ITEMS)
    const { ok, failed } = outcomes(await pLimitBatch(meter.url, items, 10))
    const limited = rateLimited()
    const firstAt = Math.min(...meter.calls.map((c) => c.startedAt))
    const firstOkAt = Math.min(
      ...meter.calls.filter((c) => c.status === 200).map((c) => c.startedAt)
    )

    expect([ok, failed]).toEqual([ITEMS, 0])
    // Every slot met the window and slept its second: nothing was sent meanwhile.
    expect(limited.length).toBeGreaterThanOrEqual(10)
    expect(firstOkAt - firstAt).toBeGreaterThanOrEqual(950)
    // A GET and a PUT per item, plus each 429 that was slept off.
    expect(meter.calls).toHaveLength(2 * ITEMS + limited.length)
  })

  it('fails the items still unfinished at its deadline', async () => {
    emulator.configure({
      faults: [{ action: { type: '429', windowMs: 5000, retryAfter: '5' } }],
    })
    const { ok, failed, answered } = outcomes(
      await pLimitBatch(meter.url, makeItems(20), 10, 0.5)
    )

    expect([ok, failed, answered]).toEqual([0, 20, 20])
  })
})

describe('Retry-After', () => {
  it('reads delta-seconds and HTTP dates, and waits 1 s without one', () => {
    const now = Date.parse('2026-12-01T00:00:00Z')

    expect(retryAfterMs('2', now)).toBe(2000)
    expect(retryAfterMs('0.5', now)).toBe(500)
    expect(retryAfterMs('Tue, 01 Dec 2026 00:00:03 GMT', now)).toBe(3000)
    expect(retryAfterMs(null, now)).toBe(1000)
    expect(retryAfterMs('soon', now)).toBe(1000)
  })
})
