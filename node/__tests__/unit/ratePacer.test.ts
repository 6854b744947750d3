import { CutContext, RatePacer } from '../../bulk/ratePacer'

/** Accepted answers, `perSec` of them, from `from` to `to`, with calls held back by the pacing. */
function accept(pacer: RatePacer, from: number, to: number, perSec: number) {
  for (let at = from; at < to; at += 1000 / perSec) {
    pacer.held(at)
    pacer.onAccepted(at)
  }
}

/** The pacer leaves a ramp at half the rate it got through: 45-55% of it. */
function expectHalfOf(pacer: RatePacer, perSec: number) {
  expect(pacer.rate as number).toBeGreaterThan(0.45 * perSec)
  expect(pacer.rate as number).toBeLessThan(0.55 * perSec)
}

const context = (now: number, runFrom: number): CutContext => ({
  activeMs: now - runFrom,
  measureFrom: runFrom,
  historyFrom: runFrom,
  shortRttMs: 100,
})

describe('RatePacer', () => {
  it('climbs back after a cut once calls leave again, not during the pause', () => {
    const pacer = new RatePacer()

    accept(pacer, 0, 3000, 200)
    pacer.cut(3000, context(3000, 0))
    const start = pacer.rate as number

    // The 429's Retry-After: nothing leaves for a second.
    pacer.holdUntil(4000, 3000)
    accept(pacer, 4000, 4020, 200)
    // The climb to the estimate takes a second of sending; the pause spent none of it.
    expect(start).toBeGreaterThan(0)
    expect(pacer.rate as number).toBeLessThan(1.05 * start)

    accept(pacer, 4020, 5100, 200)
    expect(pacer.rate as number).toBeGreaterThan(1.3 * start)
  })

  it('leaves an unpaced ramp at half of what got through at its end, not over the whole ramp', () => {
    const pacer = new RatePacer()

    // A pool ramping up: 50 answers a second for 600 ms, then 200.
    accept(pacer, 0, 600, 50)
    accept(pacer, 600, 900, 200)
    pacer.cut(900, context(900, 0))

    // Over the whole ramp: 90 in 0.9 s, 100/s; over its last 300 ms, 200/s.
    expectHalfOf(pacer, 200)
  })

  it('measures a short first run from its first answers, a round trip after it began', () => {
    const pacer = new RatePacer()

    // 200/s answered from 200 ms, a round trip after the run began at 0.
    accept(pacer, 200, 400, 200)
    pacer.cut(400, { ...context(400, 0), shortRttMs: 200 })

    expectHalfOf(pacer, 200)
  })

  it('after a guess climbing by half a second, probes fast past the average of the climb', () => {
    const pacer = new RatePacer()

    // A burst got through, then a run with nothing accepted: only a guess.
    accept(pacer, 0, 100, 120)
    pacer.cut(1500, { ...context(1500, 1400), historyFrom: 0 })
    expect(pacer.rate).not.toBeNull()

    // Sending at the guessed rate as it climbs, for 6 s, then a 429.
    const atPacedRate = (from: number, to: number) => {
      for (let at = from; at < to; at += 1000 / (pacer.rate as number)) {
        pacer.held(at)
        pacer.onAccepted(at)
      }
    }

    atPacedRate(1500, 7500)
    const climbedTo = pacer.rate as number

    pacer.cut(7500, { ...context(7500, 1500), historyFrom: 0 })
    const start = pacer.rate as number

    // Below where the climb got to, since the 4 s average is the climb's...
    expect(start).toBeLessThan(0.8 * climbedTo)
    // ...so it probes past it by 10% a second, not on the slow cubic.
    atPacedRate(7500, 12_500)
    expect(pacer.rate as number).toBeGreaterThan(1.3 * start)
  })
})
