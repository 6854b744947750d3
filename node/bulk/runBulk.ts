import { setMaxListeners } from 'events'

import pLimit from 'p-limit'

import { backoffDelay, BackoffPolicy, DEFAULT_BACKOFF } from './backoff'
import { Clock, systemClock } from './clock'
import {
  CallError,
  CallFailure,
  DEADLINE_EXCEEDED,
  Failure,
  HaltError,
  NOT_ATTEMPTED,
} from './errors'
import { GateStats, RateGate } from './gate'

export type Outcome<R> =
  | { ok: true; value: R; attempts: number }
  | { ok: false; failure: Failure; attempts: number }

export interface ItemContext<S> {
  /** 1-based attempt number of this run of the task. */
  attempt: number
  /** Per-item memory that survives retries (e.g. the first Score seen). */
  state: S
  /** Every upstream call goes through here: the gate, the deadline and the stop. */
  call<T>(send: () => Promise<T>): Promise<T>
}

export interface RunBulkOptions {
  concurrency: number
  maxAttempts: number
  /** Maps anything a call throws to how the engine should treat it. */
  classify(error: unknown): CallFailure
  /** Absolute time (on `clock`) after which no call starts. */
  deadlineAt?: number
  clock?: Clock
  random?: () => number
  backoff?: BackoffPolicy
  gate?: RateGate
  /** Called once per item, as soon as its outcome is final. */
  onOutcome?(index: number, outcome: Outcome<unknown>): void
}

export interface BulkStats extends GateStats {
  calls: number
  retries: number
  rateLimited: number
  durationMs: number
}

export interface BulkReport<R> {
  /** One outcome per input item, in input order. */
  outcomes: Array<Outcome<R>>
  /** Set when a 401/403 stopped the batch. */
  stoppedBy?: Failure
  stats: BulkStats
}

/**
 * Runs `task` once per item with bounded concurrency and returns every
 * item's outcome in input order. It never throws for an item: whatever
 * happens, each item ends with exactly one outcome.
 */
export async function runBulk<I, R, S extends object = Record<string, unknown>>(
  items: readonly I[],
  task: (item: I, context: ItemContext<S>) => Promise<R>,
  options: RunBulkOptions
): Promise<BulkReport<R>> {
  const clock = options.clock ?? systemClock
  const random = options.random ?? Math.random
  const backoff = options.backoff ?? DEFAULT_BACKOFF
  const gate = options.gate ?? new RateGate(clock)
  const deadlineAt = options.deadlineAt ?? Number.POSITIVE_INFINITY
  const maxAttempts = Math.max(1, options.maxAttempts)
  const stop = new AbortController()

  // Every sleeping worker listens for the stop; there may be many.
  setMaxListeners(0, stop.signal)
  const startedAt = clock.now()
  const stats = { calls: 0, retries: 0, rateLimited: 0 }
  let stoppedBy: Failure | undefined

  const deadlineFailure = (detail: string): Failure => ({
    status: 504,
    code: DEADLINE_EXCEEDED,
    message: `The batch deadline was reached ${detail}.`,
  })

  const halt = () => {
    if (stoppedBy) {
      return new HaltError({
        status: stoppedBy.status,
        code: NOT_ATTEMPTED,
        message: `Not attempted: the batch stopped because the Catalog answered ${stoppedBy.status} (${stoppedBy.message}).`,
      })
    }

    if (clock.now() >= deadlineAt) {
      return new HaltError(deadlineFailure('before this item could be sent'))
    }

    return undefined
  }

  const runItem = async (item: I): Promise<Outcome<R>> => {
    const state = {} as S
    let attempts = 0
    let lastFailure: CallFailure | undefined

    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let sent = false
      const call = async <T>(send: () => Promise<T>): Promise<T> => {
        const halted = halt()

        if (halted) throw halted
        try {
          await gate.acquire(deadlineAt, stop.signal)
        } catch (error) {
          throw halt() ?? error
        }

        const haltedWhileWaiting = halt()

        if (haltedWhileWaiting) throw haltedWhileWaiting
        if (!sent) {
          sent = true
          attempts += 1
        }

        stats.calls += 1
        try {
          return await send()
        } catch (error) {
          throw new CallError(onCallError(error), error)
        }
      }

      try {
        const value = await task(item, { attempt, state, call })

        return { ok: true, value, attempts }
      } catch (error) {
        if (error instanceof HaltError) {
          // Stopped or out of time: report the last real error if there was one.
          return {
            ok: false,
            failure: lastFailure
              ? withSuffix(lastFailure, error.failure)
              : error.failure,
            attempts,
          }
        }

        const failure =
          error instanceof CallError ? error.failure : options.classify(error)

        lastFailure = failure
        if (!failure.retryable || attempt === maxAttempts) {
          return { ok: false, failure: strip(failure), attempts }
        }

        // After a 429, the jitter starts when the gate opens, so the pool does not resume in one burst.
        const gateWait =
          failure.status === 429
            ? Math.max(0, gate.closedUntil - clock.now())
            : 0
        const delay = gateWait + backoffDelay(attempt, backoff, random)

        if (clock.now() + delay >= deadlineAt) {
          return {
            ok: false,
            failure: withSuffix(failure, deadlineFailure('before a retry')),
            attempts,
          }
        }

        stats.retries += 1
        await clock.sleep(delay, stop.signal)
      }
    }

    // Unreachable: the loop returns on its last attempt.
    throw new Error('runBulk: retry loop ended without an outcome')
  }

  const onCallError = (error: unknown): CallFailure => {
    const failure = options.classify(error)

    if (failure.status === 429) {
      stats.rateLimited += 1
      gate.pause(failure.retryAfterMs ?? backoffDelay(1, backoff, random))
    }

    if (failure.stopsBatch && !stoppedBy) {
      stoppedBy = strip(failure)
      stop.abort()
    }

    return failure
  }

  const limit = pLimit(Math.max(1, options.concurrency))
  const outcomes = await Promise.all(
    items.map((item, index) =>
      limit(async () => {
        const outcome = await runItem(item)

        options.onOutcome?.(index, outcome)

        return outcome
      })
    )
  )

  return {
    outcomes,
    stoppedBy,
    stats: {
      ...stats,
      ...gate.stats(),
      durationMs: clock.now() - startedAt,
    },
  }
}

function strip({ status, code, message }: Failure): Failure {
  return { status, code, message }
}

/** A retryable failure that ran out of time or was stopped keeps its cause in the message. */
function withSuffix(last: Failure, halted: Failure): Failure {
  return {
    status: halted.code === NOT_ATTEMPTED ? last.status : halted.status,
    code: halted.code === NOT_ATTEMPTED ? last.code : halted.code,
    message:
      halted.code === NOT_ATTEMPTED
        ? `${last.message} Not retried: the batch stopped.`
        : `${halted.message} Last error: ${last.status} ${last.message}`,
  }
}
