import { CallFailure, RetryBudget, runBulk } from '../../bulk'
import { deadlineHalt } from '../../bulk/admissionQueue'
import { FakeClock } from '../helpers/fakeClock'

/** A scripted upstream error: the classifier below reads it as is. */
class Scripted extends Error {
  constructor(public readonly failure: CallFailure) {
    super(failure.message)
  }
}

const classify = (error: unknown): CallFailure =>
  error instanceof Scripted
    ? error.failure
    : {
        status: 500,
        code: 'INTERNAL_ERROR',
        message: String(error),
        retryable: false,
      }

const fail = (status: number, extra: Partial<CallFailure> = {}) =>
  new Scripted({
    status,
    code: `E${status}`,
    message: `upstream ${status}`,
    retryable: status === 429 || status >= 500,
    stopsBatch: status === 401 || status === 403,
    ...extra,
  })

/**
 * A scripted upstream: `script[item]` lists what each successive call for
 * that item does ('ok' or an error); it also records when each call started.
 */
function scriptedUpstream(
  clock: FakeClock,
  script: Record<number, Array<'ok' | Scripted>>,
  latencyOf = (_: number) => 10
) {
  const starts: Array<{ item: number; at: number }> = []
  const seen: Record<number, number> = {}
  let inFlight = 0
  let peak = 0

  const send = async (item: number) => {
    starts.push({ item, at: clock.now() })
    inFlight += 1
    peak = Math.max(peak, inFlight)
    await clock.sleep(latencyOf(item))
    inFlight -= 1
    const step = (script[item] ?? ['ok'])[seen[item] ?? 0] ?? 'ok'

    seen[item] = (seen[item] ?? 0) + 1
    if (step !== 'ok') throw step

    return item * 10
  }

  return { send, starts, peak: () => peak }
}

const items = (n: number) => Array.from({ length: n }, (_, i) => i)

describe('runBulk', () => {
  it('returns one outcome per item, in input order, whatever the latency', async () => {
    const clock = new FakeClock()
    const upstream = scriptedUpstream(clock, {}, (item) => 100 - item * 7)
    const report = await clock.run(
      runBulk(items(12), (item, { call }) => call(() => upstream.send(item)), {
        concurrency: 4,
        maxAttempts: 1,
        classify,
        clock,
      })
    )

    expect(report.outcomes.map((o) => (o.ok ? o.value : null))).toEqual(
      items(12).map((i) => i * 10)
    )
  })

  it('never has more calls in flight than the concurrency', async () => {
    const clock = new FakeClock()
    const upstream = scriptedUpstream(clock, {})

    await clock.run(
      runBulk(items(50), (item, { call }) => call(() => upstream.send(item)), {
        concurrency: 3,
        maxAttempts: 1,
        classify,
        clock,
      })
    )
    expect(upstream.peak()).toBe(3)
    expect(upstream.starts).toHaveLength(50)
  })

  it('retries 5xx and reports the attempts', async () => {
    const clock = new FakeClock()
    const upstream = scriptedUpstream(clock, {
      1: [fail(503), fail(500), 'ok'],
    })
    const report = await clock.run(
      runBulk(items(3), (item, { call }) => call(() => upstream.send(item)), {
        concurrency: 2,
        maxAttempts: 5,
        classify,
        clock,
        random: () => 1,
      })
    )

    expect(report.outcomes[1]).toEqual({ ok: true, value: 10, attempts: 3 })
    expect(report.stats.retries).toBe(2)
  })

  it('never retries other 4xx', async () => {
    const clock = new FakeClock()
    const upstream = scriptedUpstream(clock, { 0: [fail(404), 'ok'] })
    const report = await clock.run(
      runBulk(items(1), (item, { call }) => call(() => upstream.send(item)), {
        concurrency: 1,
        maxAttempts: 5,
        classify,
        clock,
      })
    )

    expect(report.outcomes[0]).toEqual({
      ok: false,
      failure: { status: 404, code: 'E404', message: 'upstream 404' },
      attempts: 1,
    })
    expect(upstream.starts).toHaveLength(1)
  })

  it('gives up after maxAttempts with the last error', async () => {
    const clock = new FakeClock()
    const upstream = scriptedUpstream(clock, {
      0: [fail(500), fail(502), fail(503)],
    })
    const report = await clock.run(
      runBulk(items(1), (item, { call }) => call(() => upstream.send(item)), {
        concurrency: 1,
        maxAttempts: 3,
        classify,
        clock,
      })
    )

    expect(report.outcomes[0]).toMatchObject({
      ok: false,
      attempts: 3,
      failure: { status: 503 },
    })
  })

  it('waits with capped exponential backoff and full jitter between retries', async () => {
    const clock = new FakeClock()
    const upstream = scriptedUpstream(
      clock,
      { 0: [fail(500), fail(500), fail(500), fail(500), 'ok'] },
      () => 0
    )

    await clock.run(
      runBulk(items(1), (item, { call }) => call(() => upstream.send(item)), {
        concurrency: 1,
        maxAttempts: 5,
        classify,
        clock,
        random: () => 0.5,
        backoff: { baseMs: 100, maxMs: 300 },
      })
    )
    const gaps = upstream.starts
      .slice(1)
      .map((s, i) => s.at - upstream.starts[i].at)

    // half of min(300, 100 * 2^(n-1)): 50, 100, 150 (capped), 150 (capped)
    expect(gaps).toEqual([50, 100, 150, 150])
  })

  it('keeps the default backoff short: no retry of an unlucky item waits over 1 s', async () => {
    const clock = new FakeClock()
    const failures = Array.from({ length: 6 }, () => fail(503))
    const upstream = scriptedUpstream(
      clock,
      { 0: [...failures, 'ok'] },
      () => 0
    )

    const report = await clock.run(
      runBulk(items(1), (item, { call }) => call(() => upstream.send(item)), {
        concurrency: 1,
        classify,
        clock,
        // The longest wait full jitter can draw.
        random: () => 0.999,
      })
    )
    const gaps = upstream.starts
      .slice(1)
      .map((s, i) => s.at - upstream.starts[i].at)

    expect(report.outcomes[0]).toMatchObject({ ok: true, attempts: 7 })
    // 50 doubling to 1 s: the breaker and the retry budget hold off a failing
    // Catalog; a long per-item wait only leaves a tail at a batch's end.
    expect(gaps).toEqual([49, 99, 199, 399, 799, 999])
  })

  it('stops the batch at the first 401/403 and reports the rest as NOT_ATTEMPTED', async () => {
    const clock = new FakeClock()
    const upstream = scriptedUpstream(clock, { 2: [fail(403)] })
    const report = await clock.run(
      runBulk(items(20), (item, { call }) => call(() => upstream.send(item)), {
        concurrency: 2,
        maxAttempts: 5,
        classify,
        clock,
      })
    )

    expect(report.stoppedBy).toEqual({
      status: 403,
      code: 'E403',
      message: 'upstream 403',
    })
    expect(report.outcomes[2]).toMatchObject({
      ok: false,
      failure: { status: 403 },
      attempts: 1,
    })
    const notAttempted = report.outcomes.filter(
      (o) => !o.ok && o.failure.code === 'NOT_ATTEMPTED'
    )

    // Items 0-3 were sent (item 3 was in flight beside item 2); none after the 403.
    expect(upstream.starts.map((s) => s.item)).toEqual([0, 1, 2, 3])
    expect(notAttempted).toHaveLength(16)
    expect(notAttempted.every((o) => o.attempts === 0)).toBe(true)
  })

  it('fails unfinished items with DEADLINE_EXCEEDED and never drops one', async () => {
    const clock = new FakeClock()
    const upstream = scriptedUpstream(clock, {}, () => 100)
    const report = await clock.run(
      runBulk(items(10), (item, { call }) => call(() => upstream.send(item)), {
        concurrency: 2,
        maxAttempts: 1,
        classify,
        clock,
        deadlineAt: 250,
      })
    )

    expect(report.outcomes).toHaveLength(10)
    // Calls start at 0, 100 and 200; from 300 on the deadline has passed.
    expect(report.outcomes.filter((o) => o.ok)).toHaveLength(6)
    expect(
      report.outcomes
        .slice(6)
        .every(
          (o) =>
            !o.ok &&
            o.failure.code === 'DEADLINE_EXCEEDED' &&
            o.failure.status === 504
        )
    ).toBe(true)
  })

  it('keeps per-item state across retries', async () => {
    const clock = new FakeClock()
    const upstream = scriptedUpstream(clock, { 0: [fail(500), 'ok'] })
    const seenAttempts: number[] = []
    const report = await clock.run(
      runBulk<number, number, { first?: number }>(
        items(1),
        async (item, { call, state, attempt }) => {
          seenAttempts.push(attempt)
          state.first = state.first ?? attempt

          return (await call(() => upstream.send(item))) + (state.first ?? 0)
        },
        { concurrency: 1, maxAttempts: 3, classify, clock }
      )
    )

    expect(seenAttempts).toEqual([1, 2])
    expect(report.outcomes[0]).toEqual({ ok: true, value: 1, attempts: 2 })
  })

  it('reports a programming error in a task as a 500 for that item only', async () => {
    const clock = new FakeClock()
    const report = await clock.run(
      runBulk(
        items(3),
        async (item) => {
          if (item === 1) throw new TypeError('boom')

          return item
        },
        { concurrency: 2, maxAttempts: 3, classify, clock }
      )
    )

    expect(report.outcomes.map((o) => o.ok)).toEqual([true, false, true])
    expect(report.outcomes[1]).toMatchObject({
      failure: { status: 500, code: 'INTERNAL_ERROR' },
    })
  })

  it('retries by time, not count: a 10 s outage loses nothing when the deadline allows', async () => {
    const clock = new FakeClock()
    let calls = 0
    const report = await clock.run(
      runBulk(
        items(20),
        (item, { call }) =>
          call(async () => {
            calls += 1
            await clock.sleep(10)
            if (clock.now() < 10_000) throw fail(503)

            return item
          }),
        { concurrency: 4, classify, clock, deadlineAt: 40_000 }
      )
    )

    expect(report.outcomes.every((o) => o.ok)).toBe(true)
    expect(report.outcomes.some((o) => o.attempts > 5)).toBe(true)
    // The budget (10 retries/s plus 20% of first attempts) bounds what an outage sees.
    expect(calls - 20).toBeLessThanOrEqual(10 * 11 + 0.2 * 20 + 10)
  })

  it('gives a job item up when its retry window ends, with the last error', async () => {
    const clock = new FakeClock()
    const starts: number[] = []
    const report = await clock.run(
      runBulk(
        items(1),
        (_item, { call }) =>
          call(async () => {
            starts.push(clock.now())
            await clock.sleep(10)
            throw fail(503)
          }),
        { concurrency: 1, classify, clock, retryWindowMs: 60_000 }
      )
    )

    expect(report.outcomes[0]).toMatchObject({
      ok: false,
      failure: {
        status: 504,
        code: 'DEADLINE_EXCEEDED',
        cause: { status: 503, code: 'E503' },
      },
    })
    expect(report.outcomes[0]).toMatchObject({
      failure: {
        bound: 'retryWindow',
        message: expect.stringMatching(/^The item's retry window of 60s/),
      },
    })
    // The window bounds when an attempt may start; the last one still takes its 10 ms.
    expect(Math.max(...starts)).toBeLessThan(60_000)
    expect(clock.now()).toBeLessThanOrEqual(60_000 + 10)
    expect(clock.now()).toBeGreaterThan(50_000)
  })

  it("tells the batch deadline from the item's retry window, and states the window it is told to", async () => {
    const clock = new FakeClock()
    const report = await clock.run(
      runBulk(
        items(3),
        (_item, { call }) =>
          call(async () => {
            await clock.sleep(10)
            throw fail(503)
          }),
        {
          concurrency: 2,
          classify,
          clock,
          deadlineAt: 30_000,
          retryWindowMs: 5_000,
          retryWindowStatedMs: 60_000,
        }
      )
    )

    const failures = report.outcomes.map((o) => (o.ok ? undefined : o.failure))

    // Every item's 5 s window ends long before the 30 s deadline.
    expect(failures.map((f) => f?.bound)).toEqual([
      'retryWindow',
      'retryWindow',
      'retryWindow',
    ])
    expect(failures[0]?.message).toMatch(/^The item's retry window of 60s/)

    const stopped = await clock.run(
      runBulk(
        items(3),
        (_item, { call }) =>
          call(async () => {
            await clock.sleep(10)
            throw fail(503)
          }),
        {
          concurrency: 1,
          classify,
          clock,
          deadlineAt: clock.now() + 5_000,
          retryWindowMs: 60_000,
        }
      )
    )

    // A 60 s window and a 5 s deadline: the deadline ends every item, which a job's next slice runs again.
    expect(
      stopped.outcomes.map((o) => (o.ok ? undefined : o.failure.bound))
    ).toEqual(['deadline', 'deadline', 'deadline'])
  })

  it("marks an item the flow control held past the batch's deadline as the deadline's, for a job's next slice", async () => {
    const clock = new FakeClock()
    const report = await clock.run(
      runBulk(
        items(2),
        // A 429 pause that outlasts the deadline: the flow control gives the call up before it leaves.
        () => Promise.reject(deadlineHalt(30_000)),
        { concurrency: 2, classify, clock, deadlineAt: 20_000 }
      )
    )

    expect(report.outcomes).toEqual([
      expect.objectContaining({
        ok: false,
        failure: expect.objectContaining({
          code: 'DEADLINE_EXCEEDED',
          bound: 'deadline',
        }),
      }),
      expect.objectContaining({
        ok: false,
        failure: expect.objectContaining({ bound: 'deadline' }),
      }),
    ])
  })

  it('makes failing retries beyond the budget wait their turn instead of failing', async () => {
    const clock = new FakeClock()
    const failedRetryStarts: number[] = []
    const report = await clock.run(
      runBulk(
        items(50),
        (item, { call, attempt }) =>
          call(async () => {
            const down = clock.now() < 5000

            if (attempt > 1 && down) failedRetryStarts.push(clock.now())
            if (down) throw fail(503)

            return item
          }),
        {
          concurrency: 50,
          classify,
          clock,
          random: () => 0.5,
          backoff: { baseMs: 0, maxMs: 0 },
          retryBudget: new RetryBudget({ minPerSec: 10, ratio: 0, max: 10 }),
        }
      )
    )

    expect(report.outcomes.every((o) => o.ok)).toBe(true)
    // During the outage: 10 banked, then 10 a second, however many items wait.
    failedRetryStarts.forEach((at, i) => {
      expect(i + 1).toBeLessThanOrEqual(10 + Math.floor((10 * at) / 1000) + 1)
    })
    expect(failedRetryStarts.length).toBeGreaterThan(40)
  })

  it('gives a retry that got an answer back to the budget, with one more', () => {
    const budget = new RetryBudget({ minPerSec: 1, ratio: 0, max: 10 })

    expect(budget.tryWithdraw(0)).toBe(true)
    expect(budget.tryWithdraw(0)).toBe(false)
    // Given back with one more: the budget doubles back as answers come.
    budget.refund()
    expect(budget.tryWithdraw(0)).toBe(true)
    expect(budget.tryWithdraw(0)).toBe(true)
    expect(budget.tryWithdraw(0)).toBe(false)
    expect(budget.tryWithdraw(1000)).toBe(true)
  })

  it('stops early when nothing ever answered and retried connections fail too', async () => {
    const clock = new FakeClock()
    let calls = 0
    const report = await clock.run(
      runBulk(
        items(500),
        (_item, { call }) =>
          call(async () => {
            calls += 1
            await clock.sleep(1)
            throw fail(502, { code: 'NETWORK_ERROR', unreachable: true })
          }),
        { concurrency: 8, classify, clock, deadlineAt: 45_000 }
      )
    )

    expect(report.stoppedBy).toMatchObject({
      status: 502,
      code: 'UPSTREAM_UNREACHABLE',
    })
    expect(report.outcomes).toHaveLength(500)
    expect(
      report.outcomes.every((o) => !o.ok && o.failure.status === 502)
    ).toBe(true)
    expect(
      report.outcomes.filter((o) => !o.ok && o.failure.code === 'NOT_ATTEMPTED')
        .length
    ).toBeGreaterThan(450)
    expect(calls).toBeLessThan(30)
    expect(clock.now()).toBeLessThan(5_000)
  })

  it('does not stop on connect failures once the Catalog has answered', async () => {
    const clock = new FakeClock()
    const report = await clock.run(
      runBulk(
        items(20),
        (item, { call, attempt }) =>
          call(async () => {
            await clock.sleep(5)
            if (item > 0 && attempt < 3)
              throw fail(502, { code: 'NETWORK_ERROR', unreachable: true })

            return item
          }),
        { concurrency: 1, classify, clock, deadlineAt: 45_000 }
      )
    )

    expect(report.stoppedBy).toBeUndefined()
    expect(report.outcomes.every((o) => o.ok)).toBe(true)
  })

  it('walks the items with a fixed set of workers: no task starts before a worker is free', async () => {
    const clock = new FakeClock()
    let started = 0
    let peakStarted = 0
    let finished = 0
    const report = await clock.run(
      runBulk(
        items(1000),
        async (item, { call }) => {
          started += 1
          peakStarted = Math.max(peakStarted, started - finished)
          const value = await call(async () => {
            await clock.sleep(1)

            return item
          })

          finished += 1

          return value
        },
        { concurrency: 7, classify, clock }
      )
    )

    expect(peakStarted).toBe(7)
    expect(report.outcomes).toHaveLength(1000)
    expect(report.outcomes[999]).toEqual({ ok: true, value: 999, attempts: 1 })
  })

  it('does not count a call the flow control refused as an attempt', async () => {
    const clock = new FakeClock()
    const { HaltError } = await import('../../bulk')
    const report = await clock.run(
      runBulk(
        items(2),
        (_item, { call }) =>
          call(async () => {
            throw new HaltError({
              status: 504,
              code: 'DEADLINE_EXCEEDED',
              message: 'held past the deadline',
            })
          }),
        { concurrency: 1, classify, clock }
      )
    )

    expect(report.outcomes[0]).toEqual({
      ok: false,
      failure: {
        status: 504,
        code: 'DEADLINE_EXCEEDED',
        message: 'held past the deadline',
      },
      attempts: 0,
    })
    expect(report.stats.calls).toBe(0)
  })
})
