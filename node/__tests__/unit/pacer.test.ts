import { AdaptivePacer, RateGate, runBulk } from '../../bulk'
import { FakeClock } from '../helpers/fakeClock'

/** Sends `count` requests at `perSec` on the fake clock, each observing `fill`. */
function drive(
  clock: FakeClock,
  pacer: AdaptivePacer,
  count: number,
  perSec: number,
  fill: (i: number) => number
) {
  return clock.run(
    (async () => {
      for (let i = 0; i < count; i++) {
        pacer.recordSend()
        pacer.observe({ limit: 100, remaining: Math.round(fill(i) * 100) })
        await clock.sleep(1000 / perSec)
      }
    })()
  )
}

describe('AdaptivePacer', () => {
  it('stays unpaced while the Catalog bucket is above the target', async () => {
    const clock = new FakeClock()
    const pacer = new AdaptivePacer(clock)

    await drive(clock, pacer, 50, 100, () => 0.9)
    expect(pacer.rate).toBeNull()
  })

  it('slows below the send rate while the bucket drains, and speeds up while it fills', async () => {
    const clock = new FakeClock()
    const pacer = new AdaptivePacer(clock)

    await drive(clock, pacer, 100, 200, () => 0.1)
    const slowed = pacer.rate as number

    expect(slowed).toBeLessThan(200)
    await drive(clock, pacer, 100, 200, () => 0.95)
    expect(pacer.rate as number).toBeGreaterThan(slowed)
  })

  it('adjusts at most once per adjustEveryMs', async () => {
    const clock = new FakeClock()
    const pacer = new AdaptivePacer(clock, { adjustEveryMs: 100 })

    await drive(clock, pacer, 10, 100, () => 0.5)
    pacer.observe({ limit: 100, remaining: 0 })
    const first = pacer.rate

    pacer.observe({ limit: 100, remaining: 0 })
    expect(first).not.toBeNull()
    expect(pacer.rate).toBe(first)
  })

  it('leaves pacing off on a 429 when the Catalog sends no rate-limit headers', async () => {
    const clock = new FakeClock()
    const pacer = new AdaptivePacer(clock)

    await drive(clock, pacer, 0, 100, () => 1)
    pacer.recordSend()
    pacer.onRateLimited()
    expect(pacer.rate).toBeNull()
  })

  it('cuts a learned rate by 20% on a 429', async () => {
    const clock = new FakeClock()
    const pacer = new AdaptivePacer(clock)

    await drive(clock, pacer, 100, 200, () => 0.3)
    const learned = pacer.estimatedRefill as number

    expect(learned).toBeGreaterThan(0)
    pacer.onRateLimited()
    expect(pacer.rate).toBeCloseTo(learned * 0.8, 5)
  })

  it('ignores answers without rate-limit headers', () => {
    const pacer = new AdaptivePacer(new FakeClock())

    pacer.observe({})
    pacer.observe({ limit: 0, remaining: 0 })
    expect(pacer.rate).toBeNull()
  })
})

describe('RateGate with an adaptive pacer', () => {
  it('converges on a simulated token bucket without a single 429', async () => {
    const clock = new FakeClock()
    const gate = new RateGate(clock, { adaptive: true })
    // The Catalog: 100 req/s, burst 20, 20 ms per call.
    const bucket = { tokens: 20, at: 0 }
    let limited = 0

    const report = await clock.run(
      runBulk(
        Array.from({ length: 600 }, (_, i) => i),
        async (_item, { call }) =>
          call(async () => {
            bucket.tokens = Math.min(
              20,
              bucket.tokens + ((clock.now() - bucket.at) * 100) / 1000
            )
            bucket.at = clock.now()
            if (bucket.tokens < 1) {
              limited += 1
              throw new Error('429')
            }

            bucket.tokens -= 1
            await clock.sleep(20)
            gate.observe({ limit: 20, remaining: Math.floor(bucket.tokens) })
          }),
        {
          concurrency: 8,
          maxAttempts: 5,
          gate,
          clock,
          classify: () => ({
            status: 429,
            code: 'RATE_LIMITED',
            message: '429',
            retryable: true,
            retryAfterMs: 1000,
          }),
        }
      )
    )

    expect(report.outcomes.every((o) => o.ok)).toBe(true)
    // 600 calls at 100/s take 5.8 s at best (the burst is free); stay within 10% of that.
    expect(clock.now()).toBeLessThan(((600 - 20) / 100) * 1000 * 1.1)
    expect(limited).toBe(0)
    expect(report.stats.rateLimited).toBe(0)
  })
})
