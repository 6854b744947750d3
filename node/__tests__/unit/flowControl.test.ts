import { FlowController, HaltError, MEMORY_MAX_AGE_MS } from '../../bulk'
import {
  bucketCatalog,
  drive,
  pool150,
  spreadLatency,
} from '../helpers/bucketCatalog'
import { FakeClock } from '../helpers/fakeClock'

/**
 * 100 workers against a Catalog that answers 10% of calls 503 at random
 * (seeded), 100 ms a call; counts the calls answered 200 from `countFrom`.
 */
async function random503s(seed: number, until: number, countFrom: number) {
  const clock = new FakeClock()
  const flow = new FlowController(clock, { maxInFlight: 100 })
  let state = seed
  const random = () => {
    state = (state * 16807) % 2147483647

    return state / 2147483647
  }

  let answered = 0

  await drive(
    clock,
    flow,
    100,
    until,
    () => ({
      answer: { signal: random() < 0.1 ? 'overload' : 'accepted' },
      latencyMs: 100,
    }),
    (answer, at) => {
      if (answer.signal === 'accepted' && at >= countFrom) answered += 1
    }
  )

  return { answered, flow }
}

describe('FlowController', () => {
  it('converges below a token bucket that sends no rate headers', async () => {
    const { clock, flow, catalog, serve } = pool150({
      ratePerSec: 200,
      burst: 20,
      headers: 'none',
    })
    const acceptedAt: number[] = []

    await drive(clock, flow, 150, 120_000, serve, (answer, at) => {
      if (answer.signal === 'accepted') acceptedAt.push(at)
    })

    const lastMinute = acceptedAt.filter((at) => at >= 60_000).length / 60

    expect(lastMinute).toBeGreaterThanOrEqual(0.9 * 200)
    expect(catalog.counts.inWindow).toBe(0)
    // A few windows to find the limit, then rare ones as it probes past it.
    expect(catalog.counts.windows).toBeLessThan(15)
  })

  it('finds a bucket from a cold start within a few windows, in a 10 s batch', async () => {
    const { clock, flow, catalog, serve } = pool150({
      ratePerSec: 200,
      burst: 40,
      headers: 'on429',
    })

    await drive(clock, flow, 150, 10_000, serve)

    // Each window costs a second of a 10 s batch: one to find the bucket,
    // one to measure it, not a window every two seconds around a rate past it.
    expect(catalog.counts.windows).toBeLessThanOrEqual(3)
    expect(catalog.counts.accepted).toBeGreaterThanOrEqual(0.7 * 200 * 10)
    expect(catalog.counts.inWindow).toBe(0)
  })

  /**
   * A batch on an unlimited Catalog, `idleMs` with nothing in flight, then
   * the next batch meets a bucket of 100 req/s: the rate of the first cut.
   */
  async function firstCutAfter(idleMs: number) {
    const { clock, flow, catalog, serve } = pool150({
      ratePerSec: 1_000_000,
      burst: 10,
      headers: 'on429',
    })

    await drive(clock, flow, 150, 1_000, serve)
    await clock.run(clock.sleep(idleMs))
    catalog.setRate(100)
    let firstCut: number | null = null

    await drive(clock, flow, 150, 8_000, serve, () => {
      firstCut ??= flow.snapshot().ratePerSec
    })

    expect(catalog.counts.windows).toBeGreaterThan(0)
    expect(catalog.counts.inWindow).toBe(0)
    expect(firstCut).not.toBeNull()

    return firstCut as unknown as number
  }

  it('measures a limit from the current run only, not from before an idle time', async () => {
    // The first cut starts at half of what got through: of this run, about
    // the bucket's 100 req/s; the unlimited batch's 700 calls/s would make it
    // the bucket's rate or more.
    expect(await firstCutAfter(2_000)).toBeLessThan(0.8 * 100)
  })

  it('ends a run at a gap too short to restart slow start: the bucket refilled in it', async () => {
    // Nothing in flight for 400 ms: less than the restart after idle (1 s).
    expect(await firstCutAfter(400)).toBeLessThan(0.8 * 100)
  })

  it('doubles the pool each round trip in slow start, from the first call', async () => {
    const clock = new FakeClock()
    const flow = new FlowController(clock, { maxInFlight: 1000 })

    // 10 calls at first, 100 ms each: 20, 40, 80, 160 after four round trips
    // (a little less: the smoothing spreads each round's sends).
    await drive(clock, flow, 1000, 450, () => ({
      answer: { signal: 'accepted' },
      latencyMs: 100,
    }))

    expect(flow.snapshot().limit).toBeGreaterThanOrEqual(120)
  })

  it('uses the rate headers to avoid the 429s, and never clamps to a trickle', async () => {
    const { clock, flow, catalog, serve } = pool150({
      ratePerSec: 200,
      burst: 50,
      headers: 'always',
    })
    const acceptedAt: number[] = []

    await drive(clock, flow, 150, 60_000, serve, (answer, at) => {
      if (answer.signal === 'accepted') acceptedAt.push(at)
    })

    const tail = acceptedAt.filter((at) => at >= 30_000).length / 30

    expect(tail).toBeGreaterThanOrEqual(0.9 * 200)
    expect(catalog.counts.windows).toBeLessThanOrEqual(5)
    expect(catalog.counts.inWindow).toBe(0)
  })

  it('recovers after a cut: a bucket that shrinks, then doubles, is followed both ways', async () => {
    const clock = new FakeClock()
    const flow = new FlowController(clock, { maxInFlight: 150 })
    const catalog = bucketCatalog(clock, {
      ratePerSec: 200,
      burst: 20,
      headers: 'on429',
    })
    const latency = spreadLatency()
    const acceptedAt: number[] = []
    const serve = () => {
      const now = clock.now()

      // Another client takes half the bucket for a minute, then leaves.
      catalog.setRate(now < 30_000 ? 200 : now < 90_000 ? 100 : 400)
      const answer = catalog.arrive()

      return {
        answer,
        latencyMs: answer.signal === 'rateLimited' ? 1 : latency(),
      }
    }

    await drive(clock, flow, 150, 210_000, serve, (answer, at) => {
      if (answer.signal === 'accepted') acceptedAt.push(at)
    })

    const rateIn = (from: number, to: number) =>
      acceptedAt.filter((at) => at >= from && at < to).length /
      ((to - from) / 1000)

    expect(rateIn(60_000, 90_000)).toBeGreaterThanOrEqual(0.85 * 100)
    // No state is permanent: after the cut it probes up to the new limit.
    expect(rateIn(180_000, 210_000)).toBeGreaterThanOrEqual(0.85 * 400)
    expect(catalog.counts.inWindow).toBe(0)
  })

  it('finds the concurrency of a Catalog whose latency grows with load', async () => {
    const clock = new FakeClock()
    const flow = new FlowController(clock, { maxInFlight: 256 })
    let inFlight = 0
    let peak = 0
    let answered = 0
    const loop = async () => {
      while (clock.now() < 60_000) {
        const admission = await flow.admit()

        inFlight += 1
        peak = clock.now() > 20_000 ? Math.max(peak, inFlight) : peak
        // 40 calls at 100 ms each; beyond that, calls queue: 400 calls/s at most.
        const latencyMs = 100 * Math.max(1, inFlight / 40)

        await clock.sleep(latencyMs)
        inFlight -= 1
        if (clock.now() > 30_000) answered += 1
        admission.done({ signal: 'accepted' })
      }
    }

    await clock.run(Promise.all(Array.from({ length: 256 }, loop)))

    expect(answered / 30).toBeGreaterThanOrEqual(0.9 * 400)
    // It does not fill the ceiling with queued calls: latency tells it to stop.
    expect(peak).toBeLessThan(150)
  })

  it('opens a client-side breaker on a run of 503s, probes, and comes back', async () => {
    const clock = new FakeClock()
    const flow = new FlowController(clock, { maxInFlight: 100 })
    let duringOutage = 0
    let after = 0

    await drive(clock, flow, 100, 20_000, () => {
      const down = clock.now() >= 2_000 && clock.now() < 7_000

      if (down) duringOutage += 1
      else if (clock.now() >= 10_000) after += 1

      return {
        answer: { signal: down ? 'overload' : 'accepted' },
        latencyMs: 20,
      }
    })

    // A 5 s outage sees a few dozen calls, not 100 every 20 ms.
    expect(duringOutage).toBeLessThan(250)
    // ... and the pool is back near full speed afterwards (100 calls / 20 ms).
    expect(after / 10).toBeGreaterThan(0.8 * 5000)
  })

  it('is back to full speed within a second of a breaker phase ending', async () => {
    const clock = new FakeClock()
    const flow = new FlowController(clock, { maxInFlight: 100 })
    let secondAfter = 0

    await drive(clock, flow, 100, 9_000, () => {
      const now = clock.now()
      const down = now >= 2_000 && now < 7_000

      if (now >= 8_000) secondAfter += 1

      return {
        answer: { signal: down ? 'overload' : 'accepted' },
        latencyMs: 20,
      }
    })

    // 100 calls / 20 ms is 5,000 a second; a probe wait doubling to 4 s
    // would still be shut here.
    expect(secondAfter).toBeGreaterThan(0.8 * 5000)
  })

  it('probes a young outage every 250 ms, and sends again within 250 ms and a round trip of its end', async () => {
    const clock = new FakeClock()
    const flow = new FlowController(clock, { maxInFlight: 50 })
    const sentDuringOutage: number[] = []
    let firstAfter = Number.NaN

    await drive(clock, flow, 50, 5_000, () => {
      const now = clock.now()
      const down = now >= 1_000 && now < 4_000

      if (down) sentDuringOutage.push(now)
      else if (now >= 4_000 && Number.isNaN(firstAfter)) firstAfter = now

      return {
        answer: { signal: down ? 'overload' : 'accepted' },
        latencyMs: 20,
      }
    })

    // After the first second of the outage only probes go, one at a time.
    const probes = sentDuringOutage.filter((at) => at >= 2_000)
    const gaps = probes.slice(1).map((at, i) => at - probes[i])

    expect(probes.length).toBeGreaterThan(5)
    // A wait of 250 ms after each failed probe's 20 ms answer, never two at once.
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(250)
    expect(Math.max(...gaps)).toBeLessThanOrEqual(270)
    expect(firstAfter - 4_000).toBeLessThanOrEqual(270)
  })

  it('goes on with slow start after a breaker phase that met it at the start', async () => {
    const clock = new FakeClock()
    const flow = new FlowController(clock, { maxInFlight: 100 })
    let later = 0

    await drive(clock, flow, 100, 4_500, () => {
      const now = clock.now()

      if (now >= 3_500) later += 1

      return {
        answer: { signal: now < 2_000 ? 'overload' : 'accepted' },
        latencyMs: 200,
      }
    })

    // 100 calls / 200 ms is 500 a second. The phase met the pool at 10 calls;
    // growing by sqrt(limit) a round trip from there takes about 3 s.
    expect(later).toBeGreaterThan(0.8 * 500)
  })

  it('reaches the ceiling from a cold start despite 10% random 503s', async () => {
    const { answered } = await random503s(11, 2_000, 1_000)

    // Slow start reaches 100 in flight within the first second; an early
    // 503 read as overload would have left it growing by one per round trip.
    expect(answered).toBeGreaterThan(0.85 * 900)
  })

  it('does not read 10% random 503s as overload: the pool stays at the ceiling', async () => {
    const { answered, flow } = await random503s(3, 20_000, 10_000)

    // 100 calls / 100 ms, 90% of them answered: about 900 a second.
    expect(answered / 10).toBeGreaterThan(0.85 * 900)
    expect(flow.snapshot().limit).toBeGreaterThan(90)
  })

  it('does not stretch a pause for later 429s of the same window, whose Retry-After is rounded up to seconds', async () => {
    const clock = new FakeClock()
    const flow = new FlowController(clock)
    const [first, second, third] = await Promise.all(
      [1, 2, 3].map(() => flow.admit())
    )

    first.done({ signal: 'rateLimited', headers: { retryAfterMs: 1000 } })
    await clock.run(clock.sleep(400))
    // Sent before the first 429 was known: "1 s" at 400 ms says the window
    // ends after 400 ms and by 1.4 s, as the first said it ends by 1 s.
    second.done({ signal: 'rateLimited', headers: { retryAfterMs: 1000 } })
    expect(flow.snapshot().pausedUntil).toBe(1000)
    // "3 s" says it ends after 2.4 s: a longer window (another bucket's).
    third.done({ signal: 'rateLimited', headers: { retryAfterMs: 3000 } })
    expect(flow.snapshot().pausedUntil).toBe(3400)
    expect(flow.snapshot()).toMatchObject({ rateLimited: 3 })
  })

  it('halves an unpaced pool whose 429 came with nothing measured, then slow-starts back', async () => {
    const clock = new FakeClock()
    const flow = new FlowController(clock, { maxInFlight: 256 })
    const unlimited = () => ({
      answer: { signal: 'accepted' as const },
      latencyMs: 100,
    })

    await drive(clock, flow, 256, 600, unlimited)
    const grown = flow.snapshot().limit

    expect(grown).toBeGreaterThan(40)
    // A gap, then the whole pool goes into a bucket's burst at once: the
    // first answer of the new run is a 429.
    await clock.run(clock.sleep(400))
    const pool = await clock.run(
      Promise.all(Array.from({ length: grown }, () => flow.admit()))
    )

    pool[0].done({ signal: 'rateLimited', headers: { retryAfterMs: 1000 } })
    expect(flow.snapshot().limit).toBe(Math.floor(grown / 2))
    expect(flow.snapshot().ratePerSec).toBeNull()
    for (const admission of pool.slice(1))
      admission.done({ signal: 'rateLimited' })

    // After the pause, slow start (doubling a round trip) back past where it was.
    await clock.run(clock.sleep(1000))
    await drive(clock, flow, 256, clock.now() + 250, unlimited)
    expect(flow.snapshot().limit).toBeGreaterThanOrEqual(grown)
  })

  it('honours Retry-After for the whole pool, then resumes', async () => {
    const clock = new FakeClock()
    const flow = new FlowController(clock)
    const first = await flow.admit()
    const second = await flow.admit()

    first.done({ signal: 'rateLimited', headers: { retryAfterMs: 2000 } })
    // Sent before the 429 was known: counted once, no new window.
    second.done({ signal: 'rateLimited', headers: { retryAfterMs: 2000 } })
    expect(flow.snapshot().pausedUntil).toBe(2000)

    const starts: number[] = []
    const work = Promise.all(
      [1, 2, 3].map(async () => {
        const admission = await flow.admit()

        starts.push(clock.now())
        await clock.sleep(50)
        admission.done({ signal: 'accepted' })
      })
    )

    await clock.run(work)
    // The Catalog named the wait: no probe needed, every call leaves then.
    expect(starts).toEqual([2000, 2000, 2000])
    expect(flow.snapshot()).toMatchObject({ pauses: 1, rateLimited: 2 })
  })

  it('does not pace from a 429 that came before anything could be measured', async () => {
    const clock = new FakeClock()
    const flow = new FlowController(clock)

    ;(await flow.admit()).done({
      signal: 'rateLimited',
      headers: { retryAfterMs: 1000, limit: 100, remaining: 0 },
    })
    ;(await clock.run(flow.admit())).done({
      signal: 'rateLimited',
      headers: { retryAfterMs: 1000, limit: 100, remaining: 0 },
    })
    // The old pacer read refill 0 here and sent 1 request/s for good.
    expect(flow.snapshot().ratePerSec).toBeNull()
  })

  it('pauses a 429 without Retry-After, and longer while the probe meets 429s', async () => {
    const clock = new FakeClock()
    const flow = new FlowController(clock, { defaultPauseMs: 1000 })
    const probeTimes: number[] = []
    const work = (async () => {
      for (let i = 0; i < 4; i++) {
        const admission = await flow.admit()

        probeTimes.push(clock.now())
        admission.done({ signal: i < 3 ? 'rateLimited' : 'accepted' })
      }
    })()

    await clock.run(work)
    expect(probeTimes).toEqual([0, 1000, 3000, 7000])
  })

  it('tells an admitted call that a 429 overtook it before it left', async () => {
    const clock = new FakeClock()
    const flow = new FlowController(clock)
    const slow = await flow.admit()
    const limited = await flow.admit()

    expect(slow.overtaken()).toBe(false)
    limited.done({ signal: 'rateLimited', headers: { retryAfterMs: 1000 } })
    expect(slow.overtaken()).toBe(true)
    slow.cancel()
    const later = await clock.run(flow.admit())

    expect(clock.now()).toBe(1000)
    expect(later.overtaken()).toBe(false)
  })

  it('rejects at once a call whose deadline falls inside a pause', async () => {
    const clock = new FakeClock()
    const flow = new FlowController(clock, { maxPauseMs: 3_600_000 })

    ;(await flow.admit()).done({
      signal: 'rateLimited',
      headers: { retryAfterMs: 3_600_000 },
    })
    await expect(flow.admit({ deadlineAt: 30_000 })).rejects.toMatchObject({
      failure: { code: 'DEADLINE_EXCEEDED', status: 504 },
    })
    expect(clock.now()).toBe(0)
  })

  it('never lets a queued call wait past its deadline', async () => {
    const clock = new FakeClock()
    const flow = new FlowController(clock, {
      maxInFlight: 1,
      initialInFlight: 1,
    })
    const held = await flow.admit()
    let rejectedAt = -1

    await clock.run(
      flow.admit({ deadlineAt: 500 }).then(
        () => undefined,
        (error) => {
          expect(error).toBeInstanceOf(HaltError)
          rejectedAt = clock.now()
        }
      )
    )
    expect(rejectedAt).toBe(500)
    held.done({ signal: 'accepted' })
    expect(flow.snapshot()).toMatchObject({ inFlight: 0, queued: 0 })
  })

  it('lets urgent calls (the PUTs of items begun) go before queued new ones', async () => {
    const clock = new FakeClock()
    const flow = new FlowController(clock, { maxInFlight: 1 })
    const held = await flow.admit()
    const order: string[] = []
    const queue = (name: string, urgent: boolean) =>
      flow.admit({ urgent }).then((admission) => {
        order.push(name)
        admission.done({ signal: 'accepted' })
      })
    const all = [
      queue('get 1', false),
      queue('get 2', false),
      queue('put 1', true),
      queue('get 3', false),
      queue('put 2', true),
    ]

    held.done({ signal: 'accepted' })
    await Promise.all(all)
    expect(order).toEqual(['put 1', 'put 2', 'get 1', 'get 2', 'get 3'])
  })

  it('gives up a queued call when its signal aborts', async () => {
    const clock = new FakeClock()
    const flow = new FlowController(clock, { maxInFlight: 1 })
    const held = await flow.admit()
    const stop = new AbortController()
    const waiting = flow.admit({ signal: stop.signal })

    stop.abort()
    await expect(waiting).rejects.toBeInstanceOf(HaltError)
    held.cancel()
    expect(flow.snapshot()).toMatchObject({ inFlight: 0, queued: 0 })
  })

  it('paces at maxRequestsPerMinute when one is set', async () => {
    const clock = new FakeClock()
    const flow = new FlowController(clock, { maxRequestsPerMinute: 600 })
    const starts: number[] = []

    await clock.run(
      Promise.all(
        [1, 2, 3, 4, 5].map(async () => {
          const admission = await flow.admit()

          starts.push(clock.now())
          admission.done({ signal: 'accepted' })
        })
      )
    )
    expect(starts).toEqual([0, 100, 200, 300, 400])
  })

  it('restarts slow start after an idle time from half the limit per idle second', async () => {
    const clock = new FakeClock()
    const flow = new FlowController(clock, { maxInFlight: 150 })
    const unlimited = () => ({
      answer: { signal: 'accepted' as const },
      latencyMs: 100,
    })

    await drive(clock, flow, 150, 2_000, unlimited)
    expect(flow.snapshot().limit).toBe(150)

    // 2 s idle: a quarter of 150, then slow start back to it.
    await clock.run(clock.sleep(2_000))
    const first = await clock.run(flow.admit())

    expect(flow.snapshot().limit).toBe(37)
    first.done({ signal: 'accepted' })
    await drive(clock, flow, 150, clock.now() + 1_000, unlimited)
    expect(flow.snapshot().limit).toBe(150)

    // 10 s idle: down to the initial 10 calls.
    await clock.run(clock.sleep(10_000))
    ;(await clock.run(flow.admit())).done({ signal: 'accepted' })
    expect(flow.snapshot().limit).toBeLessThanOrEqual(11)
  })

  it('forgets what it learned after an idle time past its memory max age', async () => {
    const clock = new FakeClock()
    const flow = new FlowController(clock, { idleResetMs: 60_000 })

    for (let i = 0; i < 20; i++) {
      ;(await clock.run(flow.admit())).done({ signal: 'accepted' })
    }
    ;(await clock.run(flow.admit())).done({
      signal: 'rateLimited',
      headers: { retryAfterMs: 100 },
    })
    expect(flow.snapshot().ratePerSec).not.toBeNull()
    // Within the max age it starts from its memory (flowControl.warmStart.test.ts).
    await clock.run(clock.sleep(MEMORY_MAX_AGE_MS + 1))
    ;(await clock.run(flow.admit())).done({ signal: 'accepted' })
    expect(flow.snapshot().ratePerSec).toBeNull()
  })

  it('forgets a run of cuts after a long idle time: slow start is not capped by a limit from before it', async () => {
    const clock = new FakeClock()
    const flow = new FlowController(clock, { maxInFlight: 1000 })
    const unlimited = () => ({
      answer: { signal: 'accepted' as const },
      latencyMs: 100,
    })

    // 20 calls in flight, then an outage (the breaker opens, the cuts begin)
    // that the batch leaves before any call is answered again.
    await drive(clock, flow, 20, 1_000, unlimited)
    await drive(clock, flow, 20, 3_000, () => ({
      answer: { signal: 'overload' },
      latencyMs: 100,
    }))
    await clock.run(clock.sleep(120_000))

    // Forgotten: slow start from 10 doubles each round trip (as from a cold
    // start). The old forget() kept `cutting` and `limitBeforeCuts`: the first
    // answer set the threshold from the 20 calls before the idle time, and
    // the pool crawled up by sqrt(limit) a round trip.
    await drive(clock, flow, 1000, clock.now() + 450, unlimited)
    expect(flow.snapshot().limit).toBeGreaterThanOrEqual(120)
  })
})
