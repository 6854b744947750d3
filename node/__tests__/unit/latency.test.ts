import { Latency } from '../../bulk/latency'

describe('Latency', () => {
  it('takes the mean of the first answers as its baseline, not one lucky one', () => {
    const latency = new Latency()

    latency.add(10, 0)
    latency.add(190, 1)
    expect(latency.long).toBe(100)
    expect(latency.short).toBeCloseTo(10 * 0.8 + 190 * 0.2)
  })

  it('lets the pool grow while latency stays within twice its baseline, and less as it inflates', () => {
    const latency = new Latency()

    for (let at = 0; at < 100; at++) latency.add(100, at * 10)
    expect(latency.gradient()).toBe(1)
    // Latency triples: the short average follows within a few answers, the baseline does not.
    for (let at = 100; at < 120; at++) latency.add(300, at * 10)
    expect(latency.long as number).toBeLessThan(110)
    expect(latency.gradient()).toBeLessThan(0.7)
    expect(latency.gradient()).toBeGreaterThanOrEqual(0.5)
  })

  it('follows a fall of latency quickly (the drift guard)', () => {
    const latency = new Latency()

    for (let at = 0; at < 60; at++) latency.add(400, at * 10)
    for (let at = 0; at < 600; at++) latency.add(100, 600 + at * 10)
    // Six seconds at a quarter of the baseline: back within the tolerance
    // (a time constant of 2 s, where a minute's would leave it above 350).
    expect(latency.long as number).toBeLessThan(200)
    expect(latency.gradient()).toBe(1)
  })
})
