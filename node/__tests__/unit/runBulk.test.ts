import { CallFailure, RateGate, runBulk } from '../../bulk'
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

  it('pauses the whole pool on a 429: no call starts inside the Retry-After window', async () => {
    const clock = new FakeClock()
    const upstream = scriptedUpstream(clock, {
      3: [fail(429, { retryAfterMs: 1000 }), 'ok'],
    })
    const report = await clock.run(
      runBulk(items(40), (item, { call }) => call(() => upstream.send(item)), {
        concurrency: 4,
        maxAttempts: 5,
        classify,
        clock,
        random: () => 0,
      })
    )

    const limited = upstream.starts.find((s) => s.item === 3) as { at: number }
    // The 429 arrives one latency (10 ms) after the call started.
    const windowStart = limited.at + 10
    const inWindow = upstream.starts.filter(
      (s) => s.at > windowStart && s.at < windowStart + 1000
    )

    expect(inWindow).toEqual([])
    expect(report.outcomes.every((o) => o.ok)).toBe(true)
    expect(report.outcomes[3].attempts).toBe(2)
    expect(report.stats).toMatchObject({
      rateLimited: 1,
      pauses: 1,
      pausedMs: 1000,
    })
  })

  it('falls back to backoff when a 429 carries no usable retry hint', async () => {
    const clock = new FakeClock()
    const upstream = scriptedUpstream(clock, { 0: [fail(429), 'ok'] }, () => 0)
    const report = await clock.run(
      runBulk(items(1), (item, { call }) => call(() => upstream.send(item)), {
        concurrency: 1,
        maxAttempts: 3,
        classify,
        clock,
        random: () => 1,
        backoff: { baseMs: 40, maxMs: 1000 },
      })
    )

    expect(report.outcomes[0].ok).toBe(true)
    // gate pause (40) then the retry's own backoff (40)
    expect(upstream.starts[1].at - upstream.starts[0].at).toBe(80)
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

  it('does not sleep into the deadline when the Catalog asks for an absurd pause', async () => {
    const clock = new FakeClock()
    const upstream = scriptedUpstream(clock, {
      0: [fail(429, { retryAfterMs: 3_600_000 })],
    })
    const gate = new RateGate(clock, { maxPauseMs: 3_600_000 })
    const report = await clock.run(
      runBulk(items(5), (item, { call }) => call(() => upstream.send(item)), {
        concurrency: 1,
        maxAttempts: 5,
        classify,
        clock,
        gate,
        deadlineAt: 30_000,
      })
    )

    expect(clock.now()).toBeLessThan(30_000)
    expect(report.outcomes[0]).toMatchObject({
      ok: false,
      failure: { code: 'DEADLINE_EXCEEDED' },
    })
    expect(report.outcomes[0].ok || report.outcomes[0].failure.message).toMatch(
      /Last error: 429/
    )
    expect(report.outcomes.every((o) => !o.ok)).toBe(true)
  })

  it('caps a pause at maxPauseMs', async () => {
    const clock = new FakeClock()
    const gate = new RateGate(clock, { maxPauseMs: 5000 })

    gate.pause(3_600_000)
    expect(gate.closedUntil).toBe(5000)
    gate.pause(-20)
    expect(gate.closedUntil).toBe(5000)
  })

  it('paces requests when the gate has a rate', async () => {
    const clock = new FakeClock()
    const upstream = scriptedUpstream(clock, {}, () => 0)

    await clock.run(
      runBulk(items(5), (item, { call }) => call(() => upstream.send(item)), {
        concurrency: 5,
        maxAttempts: 1,
        classify,
        clock,
        gate: new RateGate(clock, { ratePerSec: 10 }),
      })
    )
    expect(upstream.starts.map((s) => s.at)).toEqual([0, 100, 200, 300, 400])
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
})
