import { setMaxListeners } from 'events'

import { backoffDelay, BackoffPolicy, DEFAULT_BACKOFF } from './backoff'
import { Clock, systemClock } from './clock'
import {
  CallError,
  CallFailure,
  DEADLINE_EXCEEDED,
  Failure,
  HaltError,
  NOT_ATTEMPTED,
  UPSTREAM_UNREACHABLE,
} from './errors'
import { RetryBudget } from './retryBudget'

export type Outcome<R> =
  | { ok: true; value: R; attempts: number }
  | { ok: false; failure: Failure; attempts: number }

export interface ItemContext<S> {
  /** 1-based attempt number of this run of the task. */
  attempt: number
  /** Per-item memory that survives retries (e.g. the first Score seen). */
  state: S
  /** Every upstream call goes through here: the stop, the attempt count and the classification. */
  call<T>(send: () => Promise<T>): Promise<T>
}

export interface RunBulkOptions {
  /** Workers: items in progress at once, so a ceiling on calls in flight. */
  concurrency: number
  /** Optional cap on attempts per item; by default an item is retried while time allows. */
  maxAttempts?: number
  /** Maps anything a call throws to how the engine should treat it. */
  classify(error: unknown): CallFailure
  /** Absolute time (on `clock`) after which no call starts and no retry is planned. */
  deadlineAt?: number
  /** How long an item's retryable failures are retried, from its first attempt. */
  retryWindowMs?: number
  /** The window a failure's message states, when `retryWindowMs` is only what is left of it (a job's later slice). */
  retryWindowStatedMs?: number
  clock?: Clock
  random?: () => number
  backoff?: BackoffPolicy
  /** Pool-wide: retries beyond it wait their turn. */
  retryBudget?: RetryBudget
  /**
   * Aborted when the batch stops (401/403, or a Catalog that cannot be
   * reached); give its signal to the calls so that waiting ones give up.
   */
  stop?: AbortController
  /** Called once per item, as soon as its outcome is final. */
  onOutcome?(index: number, outcome: Outcome<unknown>): void
}

export interface BulkStats {
  calls: number
  retries: number
  rateLimited: number
  durationMs: number
}

export interface BulkReport<R> {
  /** One outcome per input item, in input order. */
  outcomes: Array<Outcome<R>>
  /** Set when a 401/403, or an unreachable Catalog, stopped the batch. */
  stoppedBy?: Failure
  stats: BulkStats
}

/** Connect failures, with no answer at all, after which the batch stops. */
const UNREACHABLE_STOP_AFTER = 5

/**
 * Runs `task` once per item on a fixed set of workers that walk the items by
 * index, and returns every item's outcome in input order. Nothing per item
 * exists before a worker takes it, and nothing after but its outcome. It never
 * throws for an item: whatever happens, each item ends with one outcome.
 */
export async function runBulk<I, R, S extends object = Record<string, unknown>>(
  items: readonly I[],
  task: (item: I, context: ItemContext<S>) => Promise<R>,
  options: RunBulkOptions
): Promise<BulkReport<R>> {
  const clock = options.clock ?? systemClock
  const random = options.random ?? Math.random
  const backoff = options.backoff ?? DEFAULT_BACKOFF
  const budget = options.retryBudget ?? new RetryBudget()
  const deadlineAt = options.deadlineAt ?? Number.POSITIVE_INFINITY
  const retryWindowMs = options.retryWindowMs ?? Number.POSITIVE_INFINITY
  const retryWindowStatedMs = options.retryWindowStatedMs ?? retryWindowMs
  const maxAttempts = Math.max(1, options.maxAttempts ?? Infinity)
  const stop = options.stop ?? new AbortController()

  // Every sleeping worker listens for the stop; there may be many.
  setMaxListeners(0, stop.signal)
  const startedAt = clock.now()
  const stats = { calls: 0, retries: 0, rateLimited: 0 }
  let stoppedBy: Failure | undefined
  let answered = false
  let unreachable = 0

  const stopBatch = (failure: Failure) => {
    if (stoppedBy) return
    stoppedBy = strip(failure)
    stop.abort()
  }

  const deadlineFailure = (detail: string): Failure => ({
    status: 504,
    code: DEADLINE_EXCEEDED,
    message: `The batch deadline was reached ${detail}.`,
    bound: 'deadline',
  })

  const halt = () => {
    if (stoppedBy) {
      return new HaltError({
        status: stoppedBy.status,
        code: NOT_ATTEMPTED,
        message: `Not attempted: the batch stopped because ${
          stoppedBy.code === UPSTREAM_UNREACHABLE
            ? 'the Catalog could not be reached'
            : `the Catalog answered ${stoppedBy.status}`
        } (${stoppedBy.message}).`,
      })
    }

    if (clock.now() >= deadlineAt) {
      return new HaltError(deadlineFailure('before this item could be sent'))
    }

    return undefined
  }

  const onCallError = (error: unknown): CallFailure => {
    const failure =
      error instanceof CallError ? error.failure : options.classify(error)

    if (failure.status === 429) stats.rateLimited += 1
    if (failure.stopsBatch) stopBatch(failure)
    if (!failure.unreachable) {
      answered = true
    } else {
      unreachable += 1
      // Nothing ever answered and every connection is refused: stop, as on a 401.
      if (!answered && unreachable >= UNREACHABLE_STOP_AFTER) {
        stopBatch({
          status: 502,
          code: UPSTREAM_UNREACHABLE,
          message: failure.message,
        })
      }
    }

    return failure
  }

  const runItem = async (item: I): Promise<Outcome<R>> => {
    const state = {} as S
    const firstAt = clock.now()
    let attempts = 0
    let lastFailure: CallFailure | undefined

    let retrying = false

    for (let attempt = 1; ; attempt++) {
      let counted = false
      const call = async <T>(send: () => Promise<T>): Promise<T> => {
        const halted = halt()

        if (halted) throw halted
        stats.calls += 1
        if (attempt === 1 && !counted) budget.deposit()
        try {
          const value = await send()

          answered = true
          if (!counted) {
            attempts += 1
            if (retrying) budget.refund()
          }

          counted = true

          return value
        } catch (error) {
          // The flow control refused to send it (deadline, stop): not an attempt.
          if (error instanceof HaltError) {
            stats.calls -= 1
            throw halt() ?? error
          }

          const failure = onCallError(error)

          // An answer, even an error, is not the wasted load the budget bounds.
          if (!counted && retrying && failure.refundsRetry) budget.refund()
          if (!counted) attempts += 1
          counted = true

          throw error instanceof CallError
            ? error
            : new CallError(failure, error)
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
        if (!failure.retryable || attempts >= maxAttempts) {
          return { ok: false, failure: strip(failure), attempts }
        }

        const halted = halt()

        if (halted) {
          return {
            ok: false,
            failure: withSuffix(failure, halted.failure),
            attempts,
          }
        }

        const until = Math.min(deadlineAt, firstAt + retryWindowMs)
        const outOfTime = (): Outcome<R> => ({
          ok: false,
          failure: withSuffix(
            failure,
            until === deadlineAt
              ? deadlineFailure('before a retry')
              : {
                  status: 504,
                  code: DEADLINE_EXCEEDED,
                  message: `The item's retry window of ${Math.round(
                    retryWindowStatedMs / 1000
                  )}s ended before a retry.`,
                  bound: 'retryWindow',
                }
          ),
          attempts,
        })
        const delay = backoffDelay(attempt, backoff, random)

        if (clock.now() + delay >= until) return outOfTime()
        await clock.sleep(delay, stop.signal)

        // Beyond the budget, a retry waits its turn (the budget refills with time and answers).
        while (!budget.tryWithdraw(clock.now())) {
          const wait = budget.pollMs * (0.5 + random())

          if (stop.signal.aborted) break
          if (clock.now() + wait >= until) return outOfTime()
          await clock.sleep(wait, stop.signal)
        }

        stats.retries += 1
        retrying = true
      }
    }
  }

  const outcomes = new Array<Outcome<R>>(items.length)
  let next = 0

  const worker = async () => {
    while (next < items.length) {
      const index = next++
      const outcome = await runItem(items[index])

      outcomes[index] = outcome
      options.onOutcome?.(index, outcome)
    }
  }

  const workers = Math.max(1, Math.min(options.concurrency, items.length))

  await Promise.all(Array.from({ length: workers }, worker))

  return {
    outcomes,
    stoppedBy,
    stats: { ...stats, durationMs: clock.now() - startedAt },
  }
}

function strip({ status, code, message }: Failure): Failure {
  return { status, code, message }
}

/** A retryable failure that ran out of time or was stopped keeps its cause. */
function withSuffix(last: Failure, halted: Failure): Failure {
  if (halted.code === NOT_ATTEMPTED) {
    return {
      status: last.status,
      code: last.code,
      message: `${last.message} Not retried: the batch stopped.`,
    }
  }

  return {
    status: halted.status,
    code: halted.code,
    message: `${halted.message} Last error: ${last.status} ${last.message}`,
    cause: strip(last),
    ...(halted.bound ? { bound: halted.bound } : {}),
  }
}
