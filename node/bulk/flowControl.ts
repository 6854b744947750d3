import type { Clock } from './clock'
import { DEADLINE_EXCEEDED, HaltError } from './errors'
import type { RateHeaders } from './rateHeaders'
import { CutContext, RatePacer } from './ratePacer'
import { SlotCounter } from './slotCounter'

/** What one call saw; the controller decides what it means. */
export interface Answer {
  /** The HTTP status, undefined when no answer came. */
  status?: number
  /** Why no answer came. */
  network?: 'timeout' | 'unreachable' | 'reset'
  headers?: RateHeaders
}

export interface FlowLimits {
  /** Ceiling on calls in flight; the controller stays at or below it. */
  maxInFlight?: number
  /** Optional cap on the rate, for stores that keep room for other integrations. */
  maxRequestsPerMinute?: number | null
}

export interface FlowOptions extends FlowLimits {
  /** In-flight limit before anything is learned (slow start begins here). */
  initialInFlight?: number
  /** Longest pause one 429 may impose; absurd Retry-After values are capped. */
  maxPauseMs?: number
  /** Pause after a 429 that names no wait; doubled while probes meet 429s. */
  defaultPauseMs?: number
  /** Forget what was learned after this long without a call. */
  idleResetMs?: number
}

export interface FlowSnapshot {
  inFlight: number
  queued: number
  limit: number
  /** Requests per second the pacer allows, null while unpaced. */
  ratePerSec: number | null
  pausedUntil: number
  admitted: number
  rateLimited: number
  overloaded: number
  pauses: number
  pausedMs: number
}

/** One admitted call: report what it saw with `done`, or `cancel` if it was never sent. */
export interface Admission {
  done(answer: Answer): void
  cancel(): void
  /**
   * True when a pause began after this call was admitted and still holds:
   * a call not yet on the wire should then go back to the queue (cancel and
   * admit again) rather than leave into a window we know of.
   */
  overtaken(): boolean
}

export interface AdmitOptions {
  /** The endpoint (e.g. 'GET product'): each learns its own rate, since each may have its own bucket. */
  key?: string
  /** Absolute time (on the clock) after which the call may not start. */
  deadlineAt?: number
  signal?: AbortSignal
  /** Goes before every call that is not: it finishes work already begun. */
  urgent?: boolean
}

interface Waiter {
  key: string
  urgent: boolean
  resolve(admission: Admission): void
  reject(error: unknown): void
  deadlineAt: number
  /** Ends the deadline's sleep; none without a deadline (jobs queue many calls). */
  timer: AbortController | undefined
  detach(): void
}

/** The reason a timer is stopped with: a constant, since abort() without one builds an error and its stack each time. */
const DETACHED = 'detached'
const IDLE_RESTART_MS = 1000
/** Retry-After and the reset headers count whole seconds. */
const RETRY_AFTER_GRAIN_MS = 1000
/** A gap this long with nothing in flight ends a run: the bucket refills in it, as in a pause. */
const RUN_GAP_MS = 250
/** Latency may grow by this factor over its long-term average before the limit stops growing. */
const LATENCY_TOLERANCE = 2
/** Time constant of the long-term latency average. */
const LONG_RTT_MS = 60_000
const WARMUP_SAMPLES = 50
/** Consecutive overload answers (503, 5xx, timeouts, resets) that open the client-side breaker. */
const BREAKER_STREAK = 5
/**
 * The wait before each probe while an outage is young: one call per wait
 * costs a Catalog in a breaker phase nothing, and its end is seen within a
 * quarter second and a round trip.
 */
const BREAKER_PROBE_MS = 250
/** Once it has lasted BREAKER_LONG_MS, the wait doubles from there up to this. */
const BREAKER_MAX_MS = 5000
const BREAKER_LONG_MS = 10_000
/** The in-flight limit is cut when at least this share of the last second's answers failed. */
const OVERLOAD_SHARE = 0.25
/** Fewer answers than this in the last second measure no share: 3 of 10 happens by chance at 10% noise (a streak opens the breaker). */
const OVERLOAD_MIN_ANSWERS = 40
/** The last second's answers are counted in 100 ms slots. */
const ANSWER_SLOT_MS = 100
const OVERLOAD_WINDOW_MS = 1000

/**
 * The Catalog flow controller of one account: decides how many calls are in
 * flight and how fast they leave, from what every answer says. See
 * dev-docs/FLOW_CONTROL.md for the design.
 *
 * - Concurrency: slow start, then a Gradient2-like latency rule (grow while
 *   latency stays near its long-term average, shrink as it inflates);
 *   multiplicative decrease on 503s, 5xx, timeouts and resets.
 * - Pacing: none until a 429. A 429 pauses every call for Retry-After (or a
 *   default), then one probe goes out; the rate is cut below what the
 *   Catalog accepted, and probes upward again, fast back to the last known
 *   good rate, then slowly past it. Rate headers, when present, cut it before
 *   the bucket runs dry.
 * - Nothing is permanent: every cut is followed by growth, and idle state is
 *   forgotten.
 */
export class FlowController {
  private inFlight = 0
  private limit: number
  private ssthresh = Number.POSITIVE_INFINITY
  private ceiling: number
  private rpmCap: number | null
  private probing = false
  private pausedUntil = 0
  /** Pauses begun so far, so that an admitted call can tell one began after it. */
  private pauses = 0
  private pauseStreak = 0
  private pauseReason: 'rateLimit' | 'breaker' = 'rateLimit'
  private breakerStreak = 0
  private breakerAt = Number.NEGATIVE_INFINITY
  /** When the current run of failures began (NaN: no run). */
  private outageSince = Number.NaN
  /** The breaker opened during the current run of cuts. */
  private breakerOpened = false
  private failStreak = 0
  private windowSeenAt = Number.NEGATIVE_INFINITY
  private lastCutAt = Number.NEGATIVE_INFINITY
  /** Where the current run of calls began: the last pause's end, or the first call after a gap. */
  private runStartAt = Number.NEGATIVE_INFINITY
  /** The first call after the last gap: history before it is another run's. */
  private gapEndAt = Number.NEGATIVE_INFINITY
  private lastActivityAt = Number.NEGATIVE_INFINITY
  private firstSendAt = Number.NEGATIVE_INFINITY
  private shortRtt: number | undefined
  private longRtt: number | undefined
  private longRttAt = 0
  private rttSamples = 0
  private readonly queue: Waiter[] = []
  private readonly answers = new SlotCounter(ANSWER_SLOT_MS, OVERLOAD_WINDOW_MS)
  private readonly overloads = new SlotCounter(
    ANSWER_SLOT_MS,
    OVERLOAD_WINDOW_MS
  )
  private cutting = false
  private limitBeforeCuts = 0
  /** Where slow start was heading when the cuts began (an outage during slow start ends it there). */
  private ssthreshBeforeCuts = 0
  private readonly pacers = new Map<string, RatePacer>()
  /** The settings' cap is the account's, across endpoints. */
  private nextCapAt = 0
  private wake: { at: number; timer: AbortController } | undefined
  private readonly counters = {
    admitted: 0,
    rateLimited: 0,
    overloaded: 0,
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
    this.limit = Math.min(this.initial, this.ceiling)
    this.maxPauseMs = options.maxPauseMs ?? 30_000
    this.defaultPauseMs = options.defaultPauseMs ?? 1000
    this.idleResetMs = options.idleResetMs ?? 60_000
  }

  /** Settings may change between batches; the learned state stays. */
  public configure(limits: FlowLimits) {
    if (limits.maxInFlight !== undefined) {
      this.ceiling = Math.max(1, limits.maxInFlight)
      this.limit = Math.min(this.limit, this.ceiling)
    }

    if (limits.maxRequestsPerMinute !== undefined) {
      this.rpmCap = positiveOrNull(limits.maxRequestsPerMinute)
    }

    this.pump()
  }

  public snapshot(): FlowSnapshot {
    const learned = [...this.pacers.values()]
      .map((pacer) => pacer.rate)
      .filter((rate): rate is number => rate !== null)
    const total = learned.length
      ? learned.reduce((sum, rate) => sum + rate, 0)
      : null
    const cap = this.rpmCap === null ? null : this.rpmCap / 60

    return {
      inFlight: this.inFlight,
      queued: this.queue.length,
      limit: this.effectiveLimit(),
      ratePerSec:
        total === null ? cap : cap === null ? total : Math.min(total, cap),
      pausedUntil: this.pausedUntil,
      ...this.counters,
    }
  }

  /**
   * Resolves when one call may leave. Rejects with a HaltError when it could
   * not leave before `deadlineAt` (at once when a pause already outlasts it),
   * and when `signal` aborts.
   */
  public admit(options: AdmitOptions = {}): Promise<Admission> {
    const { signal } = options
    const key = options.key ?? ''
    const deadlineAt = options.deadlineAt ?? Number.POSITIVE_INFINITY
    const now = this.clock.now()

    if (signal?.aborted) return Promise.reject(abortReason(signal))
    if (now - this.lastActivityAt > this.idleResetMs && this.inFlight === 0) {
      this.forget()
    }

    const idleMs =
      this.inFlight === 0 && Number.isFinite(this.lastActivityAt)
        ? now - this.lastActivityAt
        : 0

    // What got through before a gap says nothing of this run's limit: the
    // bucket refilled in the gap, so a rate measured across it is too high.
    if (idleMs > RUN_GAP_MS) {
      this.runStartAt = now
      this.gapEndAt = now
    }
    // Idle for a while: what the limit was may no longer hold, so slow start
    // again up to it (TCP's restart after idle), from half of it for every
    // second idle (RFC 2861), not from the first 10 calls.
    if (idleMs > IDLE_RESTART_MS) {
      this.ssthresh = Math.max(this.limit, this.initial)
      this.limit = Math.min(
        this.limit,
        Math.max(this.initial, this.limit / 2 ** (idleMs / IDLE_RESTART_MS))
      )
      this.firstSendAt = Number.NEGATIVE_INFINITY
    }

    this.lastActivityAt = now
    if (now >= deadlineAt) return Promise.reject(deadlineHalt(0))
    if (this.pausedUntil > deadlineAt) {
      return Promise.reject(
        deadlineHalt(this.pausedUntil - now, this.pauseReason)
      )
    }

    if (this.queue.length === 0 && this.canSend(key, now)) {
      return Promise.resolve(this.grant(key, now))
    }

    return new Promise<Admission>((resolve, reject) => {
      const onAbort = () => {
        if (this.remove(waiter)) reject(abortReason(signal as AbortSignal))
      }

      const waiter: Waiter = {
        key,
        urgent: options.urgent === true,
        resolve,
        reject,
        deadlineAt,
        timer: Number.isFinite(deadlineAt) ? new AbortController() : undefined,
        detach: () => {
          waiter.timer?.abort(DETACHED)
          signal?.removeEventListener('abort', onAbort)
        },
      }

      this.enqueue(waiter)
      signal?.addEventListener('abort', onAbort, { once: true })
      const { timer } = waiter

      if (timer) {
        void this.clock.sleep(deadlineAt - now, timer.signal).then(() => {
          if (timer.signal.aborted) return
          if (this.remove(waiter)) reject(deadlineHalt(0))
        })
      }

      this.pump()
    })
  }

  /** In order of arrival, urgent calls first. */
  private enqueue(waiter: Waiter) {
    if (!waiter.urgent) {
      this.queue.push(waiter)

      return
    }

    let at = this.queue.length

    while (at > 0 && !this.queue[at - 1].urgent) at -= 1
    this.queue.splice(at, 0, waiter)
  }

  private remove(waiter: Waiter) {
    const at = this.queue.indexOf(waiter)

    if (at < 0) return false
    this.queue.splice(at, 1)
    waiter.detach()

    return true
  }

  private effectiveLimit() {
    if (this.probing) return 1

    return Math.max(1, Math.floor(Math.min(this.limit, this.ceiling)))
  }

  private pacer(key: string) {
    let pacer = this.pacers.get(key)

    if (!pacer) {
      pacer = new RatePacer()
      pacer.holdUntil(this.pausedUntil, this.clock.now())
      this.pacers.set(key, pacer)
    }

    return pacer
  }

  /** The rate an endpoint may send at now (Infinity: unpaced). */
  private rateOf(pacer: RatePacer) {
    // Unpaced, calls still leave no faster than twice what the limit sustains
    // (limit / latency): a burst of a whole pool at once would reach the
    // Catalog after the 429 it causes.
    const smooth =
      this.shortRtt === undefined
        ? Number.POSITIVE_INFINITY
        : (2 * this.effectiveLimit() * 1000) / Math.max(1, this.shortRtt)

    return pacer.rate ?? smooth
  }

  private capRate() {
    return this.rpmCap === null ? Number.POSITIVE_INFINITY : this.rpmCap / 60
  }

  /** When a call to `key` may leave, slots and pause aside. */
  private pacedUntil(key: string) {
    const pacer = this.pacer(key)
    const capAt = Number.isFinite(this.capRate()) ? this.nextCapAt : 0

    return Math.max(pacer.nextAt(this.rateOf(pacer)), capAt)
  }

  private canSend(key: string, now: number) {
    if (now < this.pausedUntil) return false
    if (this.inFlight >= this.effectiveLimit()) return false
    if (now < this.pacedUntil(key)) {
      this.pacer(key).held(now)

      return false
    }

    return true
  }

  private pump() {
    const now = this.clock.now()
    let wakeAt = Number.POSITIVE_INFINITY

    const blocked = new Set<string>()

    // In order, but an endpoint waiting for its pacing turn does not hold up another.
    for (let i = 0; i < this.queue.length; ) {
      if (now < this.pausedUntil || this.inFlight >= this.effectiveLimit()) {
        break
      }

      const waiter = this.queue[i]

      if (blocked.has(waiter.key)) {
        i += 1
        if (blocked.size >= this.pacers.size) break
      } else if (this.canSend(waiter.key, now)) {
        this.queue.splice(i, 1)
        waiter.detach()
        waiter.resolve(this.grant(waiter.key, now))
      } else {
        blocked.add(waiter.key)
        wakeAt = Math.min(wakeAt, this.pacedUntil(waiter.key))
        i += 1
      }
    }

    if (this.queue.length === 0 || this.inFlight >= this.effectiveLimit()) {
      return
    }

    // Blocked on time (a pause or the pacing), not on a free slot: wake then.
    const at = now < this.pausedUntil ? this.pausedUntil : wakeAt

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

  private grant(key: string, now: number): Admission {
    const pacer = this.pacer(key)
    const boundByLimit = this.inFlight + 1 >= this.effectiveLimit()
    const cap = this.capRate()

    pacer.take(now, this.rateOf(pacer))
    if (Number.isFinite(cap)) {
      this.nextCapAt = Math.max(this.nextCapAt, now - 25) + 1000 / cap
    }

    this.inFlight += 1
    this.counters.admitted += 1
    if (!Number.isFinite(this.firstSendAt)) this.firstSendAt = now
    const sentAt = now
    const pausesAtGrant = this.pauses
    let settled = false

    return {
      done: (answer) => {
        if (settled) return
        settled = true
        // The limit held calls back if it was full when this one left, or if
        // calls wait now with no learned rate holding them: only the limit
        // and the smoothing, which follows it, do (a pool granted at once
        // fills it last, and the smoothing fills it over a moment).
        const bound =
          boundByLimit ||
          (this.queue.length > 0 &&
            this.pacer(key).rate === null &&
            this.clock.now() >= this.pausedUntil)
        this.inFlight -= 1
        this.learn(key, answer, sentAt, bound)
        this.pump()
      },
      cancel: () => {
        if (settled) return
        settled = true
        this.inFlight -= 1
        this.pump()
      },
      overtaken: () =>
        this.pauses > pausesAtGrant && this.clock.now() < this.pausedUntil,
    }
  }

  private learn(
    key: string,
    answer: Answer,
    sentAt: number,
    boundByLimit: boolean
  ) {
    const now = this.clock.now()

    this.lastActivityAt = now
    if (answer.status === 429) {
      this.onRateLimited(key, answer.headers ?? {}, sentAt, now)
    } else if (isOverload(answer)) {
      this.onOverload(sentAt, now)
    } else {
      this.onAnswered(key, now - sentAt, answer.headers, boundByLimit, now)
    }
  }

  private cutContext(now: number): CutContext {
    const measureFrom = Math.max(this.runStartAt, this.firstSendAt)

    return {
      activeMs: now - measureFrom,
      measureFrom,
      historyFrom: Math.max(this.gapEndAt, this.firstSendAt),
      shortRttMs: this.shortRtt,
    }
  }

  private onAnswered(
    key: string,
    latency: number,
    headers: RateHeaders | undefined,
    boundByLimit: boolean,
    now: number
  ) {
    this.countAnswer(now, false)
    // The first answer after a run of cuts: slow start back up to half of
    // where the pool was (TCP after a timeout), not a crawl from one call.
    if (this.cutting && this.overloadShare() < OVERLOAD_SHARE) {
      this.cutting = false
      if (this.breakerOpened) {
        // Everything failed at once, whatever the load: a breaker phase or an
        // outage, not a pool too large. Back to where it was within a round
        // trip (slow start from half); the latency rule and the cuts still
        // apply if the Catalog comes back weaker.
        this.limit = Math.max(this.limit, this.limitBeforeCuts / 2)
        this.ssthresh = Math.max(
          this.limit,
          this.limitBeforeCuts,
          this.ssthreshBeforeCuts
        )
      } else {
        this.ssthresh = Math.max(this.limit, this.limitBeforeCuts / 2)
      }

      this.breakerOpened = false
    }

    this.outageSince = Number.NaN

    this.failStreak = 0
    this.breakerStreak = 0
    this.pauseStreak = 0
    this.probing = false
    const pacer = this.pacer(key)

    pacer.onAccepted(now)

    this.shortRtt =
      this.shortRtt === undefined
        ? latency
        : this.shortRtt * 0.8 + latency * 0.2
    this.updateLongRtt(latency, now)

    if (boundByLimit) this.growLimit()

    const { limit, remaining } = headers ?? {}

    // The bucket is about to run dry: slow down now instead of meeting the 429.
    if (
      limit !== undefined &&
      remaining !== undefined &&
      remaining <= Math.max(1, 0.1 * limit)
    ) {
      pacer.onNearlyEmpty(now, this.cutContext(now))
    }
  }

  /**
   * The long-term latency, averaged over time rather than samples, so that a
   * pool that grows does not drag it up at once. It follows a fall quickly
   * (Gradient2's drift guard) and a rise slowly.
   */
  private updateLongRtt(latency: number, now: number) {
    this.longRttAt = this.longRttAt || now
    // The first samples make a plain mean: one lucky fast answer is no baseline.
    if (this.longRtt === undefined || this.rttSamples < WARMUP_SAMPLES) {
      this.rttSamples += 1
      this.longRtt =
        this.longRtt === undefined
          ? latency
          : this.longRtt + (latency - this.longRtt) / this.rttSamples
      this.longRttAt = now

      return
    }

    const dt = Math.max(0, now - this.longRttAt)
    // A plain average over time, with two guards. It follows at once a fall
    // that leaves it stale (Gradient2), and it rises slower while latency is
    // inflated, which is what growing the pool does, so that it does not chase
    // the queue we build (a Catalog that really got slower is still followed
    // within minutes).
    const short = this.shortRtt ?? latency
    const tau =
      this.longRtt > 2 * short
        ? 2_000
        : short > LATENCY_TOLERANCE * this.longRtt
        ? 5 * LONG_RTT_MS
        : LONG_RTT_MS
    const alpha = 1 - Math.exp(-dt / tau)

    this.longRtt += (latency - this.longRtt) * alpha
    this.longRttAt = now
  }

  private growLimit() {
    const gradient = Math.max(
      0.5,
      Math.min(
        1,
        (LATENCY_TOLERANCE * (this.longRtt ?? 1)) / (this.shortRtt ?? 1)
      )
    )

    if (this.limit < this.ssthresh && gradient >= 1) {
      this.limit += 1
    } else {
      if (gradient < 1) this.ssthresh = Math.min(this.ssthresh, this.limit)
      const target = this.limit * gradient + Math.sqrt(this.limit)

      this.limit += (target - this.limit) / Math.max(1, this.limit)
    }

    this.limit = Math.max(1, Math.min(this.limit, this.ceiling))
  }

  private onRateLimited(
    key: string,
    headers: RateHeaders,
    sentAt: number,
    now: number
  ) {
    this.counters.rateLimited += 1

    // Sent before we knew of this window: the same 429 again, counted once.
    if (sentAt <= this.windowSeenAt) {
      // Retry-After counts whole seconds, rounded up: a later 429 of the same
      // window says it ends after now + Retry-After - 1 s. Only an end past
      // the pause (a longer window, another bucket's) extends it.
      const retryAfterMs = headers.retryAfterMs

      if (
        retryAfterMs !== undefined &&
        now + retryAfterMs - RETRY_AFTER_GRAIN_MS > this.pausedUntil
      ) {
        this.pause(retryAfterMs, now, 'rateLimit', false)
      }

      return
    }

    this.windowSeenAt = now
    const limitAtWindow = this.limit

    if (this.probing) {
      // The probe after a pause met the window still open: wait longer.
      this.pauseStreak += 1
    } else {
      // Which bucket it was (the endpoint's or the account's) is unknown:
      // the endpoint that met it is cut, and every other one with traffic
      // to measure is cut to below what it got accepted.
      const context = this.cutContext(now)
      let measured = true

      for (const [other, pacer] of this.pacers) {
        const cutFromMeasure = pacer.cut(now, context, other !== key)

        if (other === key) measured = cutFromMeasure
      }

      this.pauseStreak = 0
      // An unpaced pool sent its whole limit into the bucket's burst at once,
      // so nothing measured the rate: halve it, as TCP does on a loss, so the
      // next run starts within the burst and ramps where a 429 measures it
      // (slow start back to where it was).
      if (!measured) this.limit = Math.max(this.initial, this.limit / 2)
    }

    this.ssthresh = Math.min(this.ssthresh, limitAtWindow)
    // A pause the Catalog named is trusted; a guessed one ends with one probe.
    const told = headers.retryAfterMs

    this.pause(
      told ?? this.defaultPauseMs * 2 ** Math.min(this.pauseStreak, 3),
      now,
      'rateLimit',
      told === undefined || told > this.maxPauseMs
    )
  }

  private onOverload(sentAt: number, now: number) {
    this.counters.overloaded += 1
    this.failStreak += 1
    if (Number.isNaN(this.outageSince)) this.outageSince = now

    this.countAnswer(now, true)
    // A share of failures, not one: 10% random 503s are the Catalog's noise,
    // not our load, and cutting on each would starve the pool (random loss
    // is what breaks TCP Reno). One cut per round trip: answers to calls
    // sent before the last cut say nothing new.
    if (sentAt >= this.lastCutAt && this.overloadShare() >= OVERLOAD_SHARE) {
      if (!this.cutting) this.beginCuts()
      this.cutting = true
      this.limit = Math.max(1, this.limit * 0.7)
      this.ssthresh = Math.max(2, this.limit)
      this.lastCutAt = now
    }

    // Answers to calls sent before the breaker last paused say nothing new.
    if (
      (this.failStreak >= BREAKER_STREAK || this.probing) &&
      sentAt >= this.breakerAt
    ) {
      this.breakerAt = now
      if (!this.cutting) this.beginCuts()
      this.cutting = true
      this.breakerOpened = true
      // Everything fails: a client-side breaker. Pause, then one probe.
      const longOutage = now - this.outageSince >= BREAKER_LONG_MS
      const wait = longOutage
        ? Math.min(BREAKER_MAX_MS, BREAKER_PROBE_MS * 2 ** this.breakerStreak)
        : BREAKER_PROBE_MS

      this.breakerStreak += 1
      this.failStreak = 0
      this.pause(wait, now, 'breaker', true)
    }
  }

  private beginCuts() {
    this.limitBeforeCuts = this.limit
    this.ssthreshBeforeCuts = this.ssthresh
  }

  private countAnswer(now: number, overload: boolean) {
    this.answers.add(now)
    if (overload) this.overloads.add(now)
  }

  /** Share of the last second's answers that were 503s, 5xx, timeouts or resets. */
  private overloadShare() {
    const now = this.clock.now()
    // The last second's slots, this one included.
    const from = now - (OVERLOAD_WINDOW_MS - ANSWER_SLOT_MS)
    const answers = this.answers.countBetween(from, now)
    const overloads = this.overloads.countBetween(from, now)

    return answers < OVERLOAD_MIN_ANSWERS ? 0 : overloads / answers
  }

  private pause(
    ms: number,
    now: number,
    reason: 'rateLimit' | 'breaker',
    probe: boolean
  ) {
    const until = now + Math.min(Math.max(ms, 0), this.maxPauseMs)

    if (probe) this.probing = true
    if (until <= this.pausedUntil) return
    this.pauseReason = reason
    this.pauses += 1
    this.counters.pauses += 1
    this.counters.pausedMs += until - Math.max(now, this.pausedUntil)
    this.pausedUntil = until
    this.runStartAt = until
    for (const pacer of this.pacers.values()) pacer.holdUntil(until, now)
    this.rejectPastDeadline(now)
  }

  /** A waiter whose deadline falls inside the pause is told now, not at its deadline. */
  private rejectPastDeadline(now: number) {
    for (const waiter of [...this.queue]) {
      if (waiter.deadlineAt < this.pausedUntil && this.remove(waiter)) {
        waiter.reject(deadlineHalt(this.pausedUntil - now, this.pauseReason))
      }
    }
  }

  private forget() {
    this.limit = Math.min(this.initial, this.ceiling)
    this.ssthresh = Number.POSITIVE_INFINITY
    this.pacers.clear()
    this.shortRtt = undefined
    this.longRtt = undefined
    this.rttSamples = 0
    this.longRttAt = 0
    this.probing = false
    this.failStreak = 0
    this.breakerStreak = 0
    this.breakerOpened = false
    this.outageSince = Number.NaN
    this.pauseStreak = 0
    this.firstSendAt = Number.NEGATIVE_INFINITY
    this.runStartAt = Number.NEGATIVE_INFINITY
    this.gapEndAt = Number.NEGATIVE_INFINITY
    this.lastActivityAt = Number.NEGATIVE_INFINITY
  }
}

function isOverload({ status, network }: Answer) {
  if (network) return true

  return status !== undefined && (status === 408 || status >= 500)
}

function positiveOrNull(value: number | null | undefined) {
  return value && value > 0 ? value : null
}

function deadlineHalt(
  waitMs: number,
  reason: 'rateLimit' | 'breaker' = 'rateLimit'
) {
  const why =
    reason === 'rateLimit'
      ? 'The Catalog rate limit (429) holds calls'
      : 'The Catalog is failing (503s, timeouts): calls are held'

  return new HaltError({
    status: 504,
    code: DEADLINE_EXCEEDED,
    message:
      waitMs > 0
        ? `${why} for ${Math.ceil(waitMs / 1000)}s, past the batch deadline.`
        : 'The batch deadline was reached before this call could be sent.',
  })
}

function abortReason(signal: AbortSignal) {
  return signal.reason instanceof HaltError
    ? signal.reason
    : new HaltError({ status: 499, code: 'ABORTED', message: 'Aborted.' })
}
