import { limitItemsPerSec, simulateBatch } from '../bench/simulate'

const base = {
  items: 300,
  ceiling: 50,
  p503: 0,
  breakerMs: 0,
  reuseRead: false,
  maxBackoffMs: 1_000,
  seed: 1,
}

describe('simulateBatch (the engine on a fake clock)', () => {
  it('runs a clean batch at a GET and a PUT per item, near the limit', async () => {
    const result = await simulateBatch(base)

    expect(result.failed).toBe(0)
    expect(result.calls).toBe(2 * base.items)
    // 300 items at 50 in flight and 175 ms a call: 2.1 s of work, plus slow start and the drain.
    expect(base.items / result.seconds).toBeGreaterThan(
      0.6 * limitItemsPerSec(base)
    )
    expect(base.items / result.seconds).toBeLessThanOrEqual(
      limitItemsPerSec(base)
    )
  })

  it('retries every 503 until it succeeds: a retried PUT reads again first, unless told to reuse its read', async () => {
    const rereading = await simulateBatch({ ...base, p503: 0.1 })
    const reusing = await simulateBatch({ ...base, p503: 0.1, reuseRead: true })

    expect(rereading.failed).toBe(0)
    expect(reusing.failed).toBe(0)
    // 10% of calls fail: 2.22 calls an item if a failed call costs only itself.
    expect(reusing.calls / base.items).toBeGreaterThan(2.1)
    expect(rereading.calls).toBeGreaterThan(reusing.calls)
  })

  it('holds a breaker phase without losing an item, and finishes after it', async () => {
    const result = await simulateBatch({ ...base, breakerMs: 3_000 })

    expect(result.failed).toBe(0)
    expect(result.seconds).toBeGreaterThan(3)
    // Probes, not the whole pool, meet the phase: a few dozen failed calls.
    expect(result.calls - 2 * base.items).toBeLessThan(150)
  })

  it('on a token bucket, starts a batch from an earlier batch memory: no 429 where a cold one meets some', async () => {
    const bucket = { ratePerSec: 200, burst: 40 }
    const onBucket = { ...base, ceiling: 150, items: 1500, bucket }
    const first = await simulateBatch({ ...onBucket, items: 3000, seed: 0 })
    const cold = await simulateBatch(onBucket)
    const warm = await simulateBatch({
      ...onBucket,
      memory: first.learned && { ...first.learned, measuredAt: -180_000 },
    })

    expect(first.learned?.ratePerSec).toBeGreaterThan(0)
    expect(cold.failed + warm.failed).toBe(0)
    expect(cold.rateLimited).toBeGreaterThan(0)
    expect(warm.rateLimited).toBe(0)
    expect(warm.inWindow).toBe(0)
    expect(warm.seconds).toBeLessThan(cold.seconds)
  })
})
