import { Breaker } from '../../bulk/breaker'
import { FakeClock } from '../helpers/fakeClock'

describe('Breaker', () => {
  it('opens on the fifth overload answer in a row, not before', () => {
    const breaker = new Breaker()
    const waits = [1, 2, 3, 4, 5].map((at) => breaker.onOverload(0, at, false))

    expect(waits).toEqual([undefined, undefined, undefined, undefined, 250])
  })

  it('counts a good answer as the end of the run', () => {
    const breaker = new Breaker()

    for (let at = 0; at < 4; at++) breaker.onOverload(0, at, false)
    breaker.onAnswered()
    for (let at = 4; at < 8; at++) {
      expect(breaker.onOverload(0, at, false)).toBeUndefined()
    }
  })

  it('ignores answers to calls sent before it opened, and reopens on a failed probe', () => {
    const breaker = new Breaker()

    for (let at = 0; at < 5; at++) breaker.onOverload(0, 100 + at, false)
    // Sent at 0, before it opened at 104: the same outage, already known.
    expect(breaker.onOverload(0, 110, true)).toBeUndefined()
    // The probe, sent after the pause, failed: wait again.
    expect(breaker.onOverload(354, 380, true)).toBe(250)
  })

  it('probes every 250 ms while an outage is young, then waits up to 5 s', async () => {
    const clock = new FakeClock()
    const breaker = new Breaker()
    const waits: number[] = []
    let wait: number | undefined

    for (let i = 0; i < 5; i++) wait = breaker.onOverload(0, 0, false)
    await clock.run(
      (async () => {
        while (clock.now() < 40_000) {
          if (wait === undefined) throw new Error('a failed probe reopens')
          waits.push(wait)
          await clock.sleep(wait)
          // One probe, answered 503 in 20 ms.
          const sentAt = clock.now()

          await clock.sleep(20)
          wait = breaker.onOverload(sentAt, clock.now(), true)
        }
      })()
    )

    // Young: 250 ms and a round trip apart, for the first 10 s.
    const young = waits.slice(0, 37)

    expect(new Set(young)).toEqual(new Set([250]))
    // Past 10 s the wait doubles with each opening since the outage began:
    // after 40 of them, it is at once the longest.
    expect(new Set(waits.slice(young.length + 1))).toEqual(new Set([5_000]))
  })
})
