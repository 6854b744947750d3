import {
  abortReason,
  AdmissionQueue,
  deadlineHalt,
  DETACHED,
} from './admissionQueue'
import { Breaker } from './breaker'
import type { Clock } from './clock'
import { ConcurrencyLimit } from './concurrencyLimit'
import { FlowMemory, newerMemory, seedOf, seedParts } from './flowMemory'
import { Latency } from './latency'
import type {
  Admission,
  AdmitOptions,
  Answer,
  FlowLimits,
  FlowOptions,
  FlowSnapshot,
} from './flowTypes'
import { RateGate } from './rateGate'

export type {
  Admission,
  AdmitOptions,
  Answer,
  FlowLimits,
  FlowOptions,
  FlowSignal,
  FlowSnapshot,
} from './flowTypes'

/** What the controller learns, and forgets after an idle time by building it afresh. */
interface Learned {
  latency: Latency
  limit: ConcurrencyLimit
  breaker: Breaker
  gate: RateGate
}

const IDLE_RESTART_MS = 1000
/** A gap this long with nothing in flight ends a run: the bucket refills in it, as in a pause. */
const RUN_GAP_MS = 250

/**
 * The Catalog flow controller of one account: decides how many calls are in
 * flight and how fast they leave, from what every answer says. See
 * dev-docs/FLOW_CONTROL.md for the design. It is built of parts, each with
 * its own state, as Netflix's concurrency-limits keeps Limiter, Limit and
 * Measurement apart:
 *
 * - AdmissionQueue: calls wait in order, urgent ones first, up to their deadline.
 * - ConcurrencyLimit (with Latency): slow start, then a Gradient2-like
 *   latency rule; multiplicative decrease on a share of 503s, 5xx, timeouts
 *   and resets.
 * - Breaker: a run of failures pauses every call, then one probe goes.
 * - RateGate: none until a 429. A 429 pauses every call for Retry-After (or
 *   a default), then one probe goes out; the rate is cut below what the
 *   Catalog accepted, and probes upward again (RatePacer). Rate headers,
 *   when present, cut it before the bucket runs dry. The settings' rpm cap.
 *
 * Nothing is permanent: every cut is followed by growth, and after an idle
 * time the learned parts are built afresh, from what was learned before
 * (its own or another replica's, `remember`), aged (flowMemory.ts).
 */
export class FlowController {
  private inFlight = 0
  private lastActivityAt = Number.NEGATIVE_INFINITY
  private ceiling: number
  private rpmCap: number | null
  private learned: Learned
  /** What this or another controller of the account learned last: fresh parts start from it. */
  private memory: FlowMemory | undefined
  private readonly queue: AdmissionQueue<Admission>
  private wake: { at: number; timer: AbortController } | undefined
  private readonly counters = {
    admitted: 0,
    rateLimited: 0,
    overloaded: 0,
    /** Pauses begun so far; an admitted call also tells by it that one began after it. */
    pauses: 0,
    pausedMs: 0,
  }

  private readonly initial: number
  private readonly maxPauseMs: number
  private readonly defaultPauseMs: number
  private readonly idleResetMs: number

  constructor(private readonly clock: Clock, options: FlowOptions = {}) {
    this.ceiling = Math.max(1, options.maxInFlight ?? 128)
    this.rpmCap = positiveOrNull(options.maxRequestsPerMinute)
    this.initial = Math.max(1, options.initialInFlight ?? 10)
    this.maxPauseMs = options.maxPauseMs ?? 30_000
    this.defaultPauseMs = options.defaultPauseMs ?? 1000
    this.idleResetMs = options.idleResetMs ?? 60_000
    this.queue = new AdmissionQueue(clock)
    this.memory = options.memory
    this.learned = this.fresh(clock.now())
  }

  /** Settings may change between batches; the learned state stays. */
  public configure(limits: FlowLimits) {
    if (limits.maxInFlight !== undefined) {
      this.ceiling = Math.max(1, limits.maxInFlight)
      this.learned.limit.setCeiling(this.ceiling)
    }

    if (limits.maxRequestsPerMinute !== undefined) {
      this.rpmCap = positiveOrNull(limits.maxRequestsPerMinute)
      this.learned.gate.setRpmCap(this.rpmCap)
    }

    this.pump()
  }

  public snapshot(): FlowSnapshot {
    return {
      inFlight: this.inFlight,
      queued: this.queue.length,
      limit: this.effectiveLimit(),
      ratePerSec: this.learned.gate.ratePerSec(),
      pausedUntil: this.learned.gate.pausedUntil,
      ...this.counters,
    }
  }

  /**
   * What the controller has learned, to start another from (warm start):
   * the memory it started from while it has sent nothing since.
   */
  public learnedMemory(): FlowMemory | undefined {
    if (!Number.isFinite(this.lastActivityAt)) return this.memory
    const { gate, limit } = this.learned
    const estimate = gate.rateEstimate

    return {
      ratePerSec: estimate?.ratePerSec ?? null,
      probing: estimate?.probing ?? false,
      inFlight: limit.value,
      measuredAt: this.lastActivityAt,
    }
  }

  /**
   * What another controller of the account learned (another replica's,
   * read from VBase). Kept if newer than what this one knows; used at once
   * if nothing was sent since the parts were built, else at the next forget.
   */
  public remember(memory: FlowMemory) {
    this.memory = newerMemory(this.memory, memory)
    if (!Number.isFinite(this.lastActivityAt) && this.inFlight === 0) {
      this.learned = this.fresh(this.clock.now(), this.learned.gate)
    }
  }

  /**
   * Resolves when one call may leave. Rejects with a HaltError when it could
   * not leave before `deadlineAt` (at once when a pause already outlasts it),
   * and when `signal` aborts.
   */
  public admit(options: AdmitOptions = {}): Promise<Admission> {
    const { signal } = options
    const deadlineAt = options.deadlineAt ?? Number.POSITIVE_INFINITY
    const now = this.clock.now()

    if (signal?.aborted) return Promise.reject(abortReason(signal))
    if (now - this.lastActivityAt > this.idleResetMs && this.inFlight === 0) {
      this.forget(now)
    }

    const idleMs =
      this.inFlight === 0 && Number.isFinite(this.lastActivityAt)
        ? now - this.lastActivityAt
        : 0
    const { gate, limit } = this.learned

    // What got through before a gap says nothing of this run's limit: the
    // bucket refilled in the gap, so a rate measured across it is too high.
    if (idleMs > RUN_GAP_MS) gate.newRun(now)
    // Idle for a while: slow start again, from half the limit per idle second.
    if (idleMs > IDLE_RESTART_MS) {
      limit.restartAfterIdle(idleMs / IDLE_RESTART_MS)
      gate.restart()
    }

    this.lastActivityAt = now
    if (now >= deadlineAt) return Promise.reject(deadlineHalt(0))
    if (gate.pausedUntil > deadlineAt) {
      return Promise.reject(
        deadlineHalt(gate.pausedUntil - now, gate.pauseReason)
      )
    }

    if (this.queue.length === 0 && this.canSend(now)) {
      return Promise.resolve(this.grant(now))
    }

    const waiting = this.queue.wait(
      { deadlineAt, signal, urgent: options.urgent === true },
      now
    )

    this.pump()

    return waiting
  }

  /** The parts that learn, as before the first call. */
  private fresh(now: number, previous?: RateGate): Learned {
    // A pause the Catalog named still holds when what was learned is forgotten.
    const held = previous && previous.pausedUntil > now ? previous : undefined

    const learned: Learned = {
      latency: new Latency(),
      limit: new ConcurrencyLimit(this.initial, this.ceiling),
      breaker: new Breaker(),
      gate: new RateGate(
        {
          maxPauseMs: this.maxPauseMs,
          defaultPauseMs: this.defaultPauseMs,
          rpmCap: this.rpmCap,
          onPause: (addedMs, at) => this.onPause(addedMs, at),
          pausedUntil: held?.pausedUntil,
          pauseReason: held?.pauseReason,
        },
        now
      ),
    }
    seedParts(seedOf(this.memory, now), now, learned.limit, learned.gate)

    return learned
  }

  private forget(now: number) {
    this.memory = newerMemory(this.memory, this.learnedMemory())
    this.learned = this.fresh(now, this.learned.gate)
    this.lastActivityAt = Number.NEGATIVE_INFINITY
  }

  private effectiveLimit() {
    return this.learned.gate.probing ? 1 : this.learned.limit.allowed()
  }

  /**
   * Unpaced, calls still leave no faster than twice what the limit sustains
   * (limit / latency): a burst of a whole pool at once would reach the
   * Catalog after the 429 it causes. Infinity before any latency is known.
   */
  private smoothRate() {
    const shortRtt = this.learned.latency.short

    return shortRtt === undefined
      ? Number.POSITIVE_INFINITY
      : (2 * this.effectiveLimit() * 1000) / Math.max(1, shortRtt)
  }

  private canSend(now: number) {
    const { gate } = this.learned

    if (now < gate.pausedUntil) return false
    if (this.inFlight >= this.effectiveLimit()) return false
    if (now < gate.readyAt(this.smoothRate())) {
      gate.held(now)

      return false
    }

    return true
  }

  private pump() {
    const now = this.clock.now()
    const { gate } = this.learned
    let wakeAt = Number.POSITIVE_INFINITY

    while (this.queue.length > 0) {
      if (now < gate.pausedUntil || this.inFlight >= this.effectiveLimit()) {
        break
      }

      if (!this.canSend(now)) {
        wakeAt = gate.readyAt(this.smoothRate())
        break
      }

      this.queue.grantNext(this.grant(now))
    }

    if (this.queue.length === 0 || this.inFlight >= this.effectiveLimit()) {
      return
    }

    // Blocked on time (a pause or the pacing), not on a free slot: wake then.
    const at = now < gate.pausedUntil ? gate.pausedUntil : wakeAt

    if (!Number.isFinite(at) || at <= now) return
    if (this.wake && this.wake.at <= at) return
    this.wake?.timer.abort(DETACHED)
    const timer = new AbortController()

    this.wake = { at, timer }
    void this.clock.sleep(at - now, timer.signal).then(() => {
      if (timer.signal.aborted) return
      this.wake = undefined
      this.pump()
    })
  }

  private grant(now: number): Admission {
    const boundByLimit = this.inFlight + 1 >= this.effectiveLimit()

    this.learned.gate.take(now, this.smoothRate())
    this.inFlight += 1
    this.counters.admitted += 1
    const sentAt = now
    const pausesAtGrant = this.counters.pauses
    let settled = false

    return {
      done: (answer) => {
        if (settled) return
        settled = true
        const { gate } = this.learned
        // The limit held calls back if it was full when this one left, or if
        // calls wait now with no learned rate holding them: only the limit
        // and the smoothing, which follows it, do (a pool granted at once
        // fills it last, and the smoothing fills it over a moment).
        const bound =
          boundByLimit ||
          (this.queue.length > 0 &&
            gate.unpaced &&
            this.clock.now() >= gate.pausedUntil)

        this.inFlight -= 1
        this.learn(answer, sentAt, bound)
        this.pump()
      },
      cancel: () => {
        if (settled) return
        settled = true
        this.inFlight -= 1
        this.pump()
      },
      overtaken: () =>
        this.counters.pauses > pausesAtGrant &&
        this.clock.now() < this.learned.gate.pausedUntil,
    }
  }

  private learn(answer: Answer, sentAt: number, boundByLimit: boolean) {
    const now = this.clock.now()
    const { latency, limit, breaker, gate } = this.learned

    this.lastActivityAt = now
    if (answer.signal === 'rateLimited') {
      this.counters.rateLimited += 1
      const limitAtWindow = limit.value
      const verdict = gate.onRateLimited(
        answer.headers ?? {},
        sentAt,
        now,
        latency.short
      )

      if (verdict === 'repeat') return
      if (verdict === 'unmeasured') limit.halve()
      limit.capThreshold(limitAtWindow)
    } else if (answer.signal === 'overload') {
      this.counters.overloaded += 1
      limit.onOverload(sentAt, now)
      const wait = breaker.onOverload(sentAt, now, gate.probing)

      if (wait !== undefined) {
        limit.onOutage()
        gate.pause(wait, now, 'breaker', true)
      }
    } else {
      breaker.onAnswered()
      latency.add(now - sentAt, now)
      limit.onAnswered(now, latency, boundByLimit)
      gate.onAccepted(now, answer.headers, latency.short)
    }
  }

  private onPause(addedMs: number, now: number) {
    const { gate } = this.learned

    this.counters.pauses += 1
    this.counters.pausedMs += addedMs
    this.queue.rejectBefore(gate.pausedUntil, now, gate.pauseReason)
  }
}

function positiveOrNull(value: number | null | undefined) {
  return value && value > 0 ? value : null
}
