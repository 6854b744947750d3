import { ConcurrencyLimit } from '../../bulk/concurrencyLimit'
import { Latency } from '../../bulk/latency'

/** `count` good answers at `at`, each of which found the limit full. */
function answer(
  limit: ConcurrencyLimit,
  latency: Latency,
  at: number,
  count: number,
  latencyMs = 100
) {
  for (let i = 0; i < count; i++) {
    latency.add(latencyMs, at)
    limit.onAnswered(at, latency, true)
  }
}

describe('ConcurrencyLimit', () => {
  it('slow-starts: one more call per good answer that found it full, up to the ceiling', () => {
    const limit = new ConcurrencyLimit(10, 150)
    const latency = new Latency()

    expect(limit.allowed()).toBe(10)
    answer(limit, latency, 100, 10)
    expect(limit.allowed()).toBe(20)
    // An answer that did not find the pool full says nothing about a larger one.
    limit.onAnswered(200, latency, false)
    expect(limit.allowed()).toBe(20)
    answer(limit, latency, 200, 500)
    expect(limit.allowed()).toBe(150)
  })

  it('stops slow start as latency inflates, and grows by about sqrt(limit) a round trip past its threshold', () => {
    const limit = new ConcurrencyLimit(10, 1000)
    const latency = new Latency()

    answer(limit, latency, 0, 60)
    limit.capThreshold(limit.value)
    const before = limit.value

    answer(limit, latency, 100, before)
    expect(limit.value - before).toBeGreaterThan(0.8 * Math.sqrt(before))
    expect(limit.value - before).toBeLessThan(1.2 * Math.sqrt(before))
  })

  it('cuts by 30% once a quarter of the last second’s answers (40 at least) are overload, once per round trip', () => {
    const limit = new ConcurrencyLimit(100, 100)
    const latency = new Latency()

    answer(limit, latency, 0, 30)
    for (let i = 0; i < 9; i++) limit.onOverload(0, 10)
    expect(limit.allowed()).toBe(100)
    limit.onOverload(0, 10)
    // 40 answers, 10 of them overload: a quarter.
    expect(limit.allowed()).toBe(70)
    // Sent before the cut: no second cut for the same load.
    limit.onOverload(5, 20)
    expect(limit.allowed()).toBe(70)
    limit.onOverload(15, 20)
    expect(limit.allowed()).toBe(49)
  })

  it('ignores the same share among fewer than 40 answers: that is noise', () => {
    const limit = new ConcurrencyLimit(100, 100)

    for (let i = 0; i < 30; i++) limit.onOverload(0, 10)
    expect(limit.allowed()).toBe(100)
  })

  it('after a run of cuts, slow-starts back to half of where it was', () => {
    const limit = new ConcurrencyLimit(100, 100)
    const latency = new Latency()

    answer(limit, latency, 0, 30)
    // Three round trips of overload: 100, 70, 49, 34.
    for (let i = 0; i < 10; i++) limit.onOverload(0, 10)
    limit.onOverload(15, 20)
    limit.onOverload(25, 30)
    expect(limit.allowed()).toBe(34)
    // A second later the share has aged out: the first good answer ends the
    // cuts; slow start goes on to 50, then the pool grows by sqrt(limit) a
    // round trip.
    answer(limit, latency, 1_500, 16)
    expect(limit.allowed()).toBe(50)
    answer(limit, latency, 1_600, 10)
    expect(limit.allowed()).toBe(51)
  })

  it('after an outage (the breaker opened), comes back within a round trip to half, and slow-starts to where it was', () => {
    const limit = new ConcurrencyLimit(10, 200)
    const latency = new Latency()

    answer(limit, latency, 0, 110)
    limit.capThreshold(120)
    expect(limit.allowed()).toBe(120)
    limit.onOutage()
    // A round trip after another, every answer overload: a cut each time.
    for (let at = 1; at <= 60; at++) limit.onOverload(at * 20, at * 20 + 20)
    expect(limit.allowed()).toBe(1)
    answer(limit, latency, 10_000, 1)
    expect(limit.allowed()).toBe(61)
    answer(limit, latency, 10_100, 59)
    expect(limit.allowed()).toBe(120)
    answer(limit, latency, 10_200, 10)
    expect(limit.allowed()).toBe(120)
  })

  it('restarts slow start after idle time from half the limit per idle second, not below the initial', () => {
    const limit = new ConcurrencyLimit(10, 200)
    const latency = new Latency()

    answer(limit, latency, 0, 150)
    expect(limit.allowed()).toBe(160)
    limit.restartAfterIdle(2)
    expect(limit.allowed()).toBe(40)
    // Slow start back to where it was, no further.
    answer(limit, latency, 3_000, 120)
    expect(limit.allowed()).toBe(160)
    answer(limit, latency, 3_100, 10)
    expect(limit.allowed()).toBe(160)
    limit.restartAfterIdle(10)
    expect(limit.allowed()).toBe(10)
  })

  it('halves an unmeasured pool down to the initial limit, and keeps to a lower ceiling', () => {
    const limit = new ConcurrencyLimit(10, 200)
    const latency = new Latency()

    answer(limit, latency, 0, 70)
    limit.halve()
    expect(limit.allowed()).toBe(40)
    limit.setCeiling(25)
    expect(limit.allowed()).toBe(25)
    limit.halve()
    limit.halve()
    expect(limit.allowed()).toBe(10)
  })
})
