import { RateGate, RateGateOptions } from '../../bulk/rateGate'
import { FakeClock } from '../helpers/fakeClock'

function gate(options: Partial<RateGateOptions> = {}) {
  const pauses: Array<{ addedMs: number; at: number }> = []
  const rateGate = new RateGate({
    maxPauseMs: 30_000,
    defaultPauseMs: 1_000,
    rpmCap: null,
    onPause: (addedMs, at) => pauses.push({ addedMs, at }),
    ...options,
  })

  return { rateGate, pauses }
}

/** `count` calls sent at `rate` a second from `from`, each answered 200 at once. */
function acceptRun(
  rateGate: RateGate,
  from: number,
  rate: number,
  count: number
) {
  let at = from

  for (let i = 0; i < count; i++, at += 1000 / rate) {
    rateGate.take(at, Number.POSITIVE_INFINITY)
    rateGate.held(at)
    rateGate.onAccepted(at, undefined, 50)
  }

  return at
}

describe('RateGate', () => {
  it('is open and unpaced until something is learned', () => {
    const { rateGate } = gate()

    expect(rateGate.pausedUntil).toBe(0)
    expect(rateGate.probing).toBe(false)
    expect(rateGate.unpaced).toBe(true)
    expect(rateGate.ratePerSec()).toBeNull()
    expect(rateGate.readyAt(Number.POSITIVE_INFINITY)).toBe(0)
  })

  it('pauses every call for the Retry-After a 429 names, counts the same window once, and extends it only for a longer one', async () => {
    const clock = new FakeClock()
    const { rateGate, pauses } = gate()

    expect(rateGate.onRateLimited({ retryAfterMs: 1000 }, 0, 0, 50)).toBe(
      'unmeasured'
    )
    expect(rateGate.pausedUntil).toBe(1000)
    // The Catalog named the wait: no probe needed.
    expect(rateGate.probing).toBe(false)
    await clock.run(clock.sleep(400))
    // Sent before the window was known; "1 s", rounded up, says it ends by 1.4 s.
    expect(
      rateGate.onRateLimited({ retryAfterMs: 1000 }, 0, clock.now(), 50)
    ).toBe('repeat')
    expect(rateGate.pausedUntil).toBe(1000)
    rateGate.onRateLimited({ retryAfterMs: 3000 }, 0, clock.now(), 50)
    expect(rateGate.pausedUntil).toBe(3400)
    expect(pauses).toEqual([
      { addedMs: 1000, at: 0 },
      { addedMs: 2400, at: 400 },
    ])
    expect(rateGate.pauseReason).toBe('rateLimit')
  })

  it('guesses a pause when a 429 names none, ends it with one probe, and doubles it while probes meet 429s', async () => {
    const clock = new FakeClock()
    const { rateGate } = gate()
    const pausedFor: number[] = []

    for (let i = 0; i < 5; i++) {
      const sentAt = clock.now()

      await clock.run(clock.sleep(10))
      rateGate.onRateLimited({}, sentAt, clock.now(), 50)
      expect(rateGate.probing).toBe(true)
      pausedFor.push(rateGate.pausedUntil - clock.now())
      await clock.run(clock.sleep(rateGate.pausedUntil - clock.now()))
    }

    expect(pausedFor).toEqual([1000, 2000, 4000, 8000, 8000])
    rateGate.onAccepted(clock.now(), undefined, 50)
    expect(rateGate.probing).toBe(false)
  })

  it('caps an absurd Retry-After, and then probes', () => {
    const { rateGate } = gate({ maxPauseMs: 30_000 })

    rateGate.onRateLimited({ retryAfterMs: 3_600_000 }, 0, 0, 50)
    expect(rateGate.pausedUntil).toBe(30_000)
    expect(rateGate.probing).toBe(true)
  })

  it('a breaker pause probes, and keeps its reason', () => {
    const { rateGate, pauses } = gate()

    rateGate.pause(250, 100, 'breaker', true)
    expect(rateGate).toMatchObject({
      pausedUntil: 350,
      pauseReason: 'breaker',
      probing: true,
    })
    // A shorter pause does not shorten it.
    rateGate.pause(100, 200, 'rateLimit', false)
    expect(rateGate.pauseReason).toBe('breaker')
    expect(pauses).toHaveLength(1)
  })

  it('paces below what got through once a 429 ends a measured run', () => {
    const { rateGate } = gate()
    const at = acceptRun(rateGate, 0, 200, 600)

    expect(rateGate.onRateLimited({ retryAfterMs: 1000 }, at, at, 50)).toBe(
      'measured'
    )
    const rate = rateGate.ratePerSec() as number

    expect(rate).toBeGreaterThan(0.4 * 200)
    expect(rate).toBeLessThan(200)
    expect(rateGate.unpaced).toBe(false)
    // Calls leave one pacing interval apart after the pause.
    rateGate.take(1000 + at, Number.POSITIVE_INFINITY)
    expect(rateGate.readyAt(Number.POSITIVE_INFINITY)).toBeCloseTo(
      1000 + at + 1000 / rate
    )
  })

  it('slows down when the rate headers say the bucket is nearly empty, without a pause', () => {
    const { rateGate, pauses } = gate()
    const at = acceptRun(rateGate, 0, 100, 300)

    rateGate.onAccepted(at, { limit: 100, remaining: 5 }, 50)
    expect(rateGate.ratePerSec()).not.toBeNull()
    expect(rateGate.ratePerSec() as number).toBeLessThan(100)
    expect(pauses).toHaveLength(0)
  })

  it('holds unpaced calls to the smoothing rate it is given', () => {
    const { rateGate } = gate()

    rateGate.take(0, 100)
    expect(rateGate.readyAt(100)).toBe(10)
  })

  it('spaces calls at the settings’ cap on requests per minute', async () => {
    const clock = new FakeClock()
    const { rateGate } = gate({ rpmCap: 600 })
    const starts: number[] = []

    await clock.run(
      (async () => {
        for (let i = 0; i < 5; i++) {
          await clock.sleep(
            rateGate.readyAt(Number.POSITIVE_INFINITY) - clock.now()
          )
          starts.push(clock.now())
          rateGate.take(clock.now(), Number.POSITIVE_INFINITY)
        }
      })()
    )
    expect(starts).toEqual([0, 100, 200, 300, 400])
    expect(rateGate.ratePerSec()).toBe(10)
    rateGate.setRpmCap(null)
    expect(rateGate.ratePerSec()).toBeNull()
  })

  it('keeps a pause still running when it is built afresh', () => {
    const { rateGate } = gate({ pausedUntil: 5_000, pauseReason: 'breaker' })

    expect(rateGate.pausedUntil).toBe(5_000)
    expect(rateGate.pauseReason).toBe('breaker')
    expect(rateGate.readyAt(Number.POSITIVE_INFINITY)).toBe(0)
  })
})
