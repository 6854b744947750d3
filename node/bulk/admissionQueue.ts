import type { Clock } from './clock'
import { DEADLINE_EXCEEDED, HaltError } from './errors'
import type { PauseReason } from './rateGate'

export interface WaitOptions {
  /** Absolute time (on the clock) after which the call may not start. */
  deadlineAt: number
  signal?: AbortSignal
  /** Goes before every call that is not: it finishes work already begun. */
  urgent: boolean
}

interface Waiter<T> {
  urgent: boolean
  resolve(value: T): void
  reject(error: unknown): void
  deadlineAt: number
  /** Ends the deadline's sleep; none without a deadline (jobs queue many calls). */
  timer: AbortController | undefined
  detach(): void
}

/** The reason a timer is stopped with: a constant, since abort() without one builds an error and its stack each time. */
export const DETACHED = 'detached'

/**
 * The calls waiting for their turn, in order of arrival, urgent ones first.
 * A call leaves when the controller grants it, or gives up at its deadline
 * or when its signal aborts.
 */
export class AdmissionQueue<T> {
  private readonly waiters: Array<Waiter<T>> = []

  constructor(private readonly clock: Clock) {}

  public get length() {
    return this.waiters.length
  }

  /** Queues a call; resolves when `grantNext` lets it go. */
  public wait(options: WaitOptions, now: number): Promise<T> {
    const { signal, deadlineAt } = options

    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        if (this.remove(waiter)) reject(abortReason(signal as AbortSignal))
      }

      const waiter: Waiter<T> = {
        urgent: options.urgent,
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
    })
  }

  /** The first call in line leaves with `value`. */
  public grantNext(value: T) {
    const waiter = this.waiters.shift()

    if (!waiter) return
    waiter.detach()
    waiter.resolve(value)
  }

  /** A call whose deadline falls inside a pause is told now, not at its deadline. */
  public rejectBefore(until: number, now: number, reason: PauseReason) {
    for (const waiter of [...this.waiters]) {
      if (waiter.deadlineAt < until && this.remove(waiter)) {
        waiter.reject(deadlineHalt(until - now, reason))
      }
    }
  }

  private enqueue(waiter: Waiter<T>) {
    if (!waiter.urgent) {
      this.waiters.push(waiter)

      return
    }

    let at = this.waiters.length

    while (at > 0 && !this.waiters[at - 1].urgent) at -= 1
    this.waiters.splice(at, 0, waiter)
  }

  private remove(waiter: Waiter<T>) {
    const at = this.waiters.indexOf(waiter)

    if (at < 0) return false
    this.waiters.splice(at, 1)
    waiter.detach()

    return true
  }
}

export function deadlineHalt(
  waitMs: number,
  reason: PauseReason = 'rateLimit'
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
    // The batch's deadline, not the item's window: a job's next slice runs the item again.
    bound: 'deadline',
  })
}

export function abortReason(signal: AbortSignal) {
  return signal.reason instanceof HaltError
    ? signal.reason
    : new HaltError({ status: 499, code: 'ABORTED', message: 'Aborted.' })
}
