import { CallRecord, timeSeries } from '../bench/meter'

const call = (
  startedAt: number,
  endedAt: number,
  status = 200
): CallRecord => ({
  startedAt,
  endedAt,
  status,
})
const inFlight = (calls: CallRecord[]) =>
  timeSeries(calls).map((p) => p.inFlight)

describe("the bench's time series: in flight is time-weighted per 250 ms step", () => {
  it('counts one call open for a whole step as one', () => {
    expect(inFlight([call(0, 250)])).toEqual([1, 0])
  })

  it('splits a call across the steps it spans by the time it spends in each', () => {
    expect(inFlight([call(0, 10), call(125, 375)])).toEqual([0.54, 0.5, 0])
    expect(inFlight([call(0, 1000)])).toEqual([1, 1, 1, 1, 0])
  })

  it('counts 100 short calls one after another as one in flight, not 100', () => {
    const calls = Array.from({ length: 100 }, (_, i) =>
      call(i * 2.5, (i + 1) * 2.5)
    )

    expect(inFlight(calls)).toEqual([1, 0])
  })

  it('never shows more in flight than a pool of 150 slots had open', () => {
    // 150 slots, each running calls of 1-40 ms back to back for 2 s, with
    // a few ms between calls: every step is touched by far more than 150 calls.
    let seed = 7
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647
    const calls: CallRecord[] = []

    for (let slot = 0; slot < 150; slot++) {
      for (let t = random() * 5; t < 2000; ) {
        const ms = 1 + 39 * random()

        calls.push(call(t, t + ms))
        t += ms + random() * 3
      }
    }

    const points = timeSeries(calls)
    const touched = Math.max(
      ...points.map(
        (_, i) =>
          calls.filter(
            (c) => c.startedAt < (i + 1) * 250 && c.endedAt >= i * 250
          ).length
      )
    )

    expect(touched).toBeGreaterThan(1000)
    for (const point of points) expect(point.inFlight).toBeLessThanOrEqual(150)
    // A full step of the middle is busy most of the time.
    expect(points[3].inFlight).toBeGreaterThan(100)
  })

  it('keeps the request and 429 rates per step of the call starts', () => {
    const points = timeSeries([call(0, 5), call(10, 20, 429), call(260, 270)])

    expect(points.map((p) => p.requestsPerSec)).toEqual([8, 4, 0])
    expect(points.map((p) => p.rateLimitedPerSec)).toEqual([4, 0, 0])
  })
})
