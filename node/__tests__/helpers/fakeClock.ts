import type { Clock } from '../../bulk'

interface Timer {
  at: number
  resolve(): void
}

/**
 * Virtual time: `sleep` only resolves when `run` advances the clock, which
 * it does whenever every pending promise is waiting on a timer. A test of a
 * minute-long batch therefore runs in milliseconds.
 */
export class FakeClock implements Clock {
  private time = 0
  private timers: Timer[] = []

  /**
   * `idleTurns`: event-loop turns with nothing settling before time moves.
   * One suits promise chains; work that awaits setImmediate steps (an
   * in-memory store standing in for I/O) needs more, or time moves too soon.
   */
  constructor(private readonly idleTurns = 1) {}

  public now() {
    return this.time
  }

  public sleep(ms: number, signal?: AbortSignal) {
    if (ms <= 0 || signal?.aborted) return Promise.resolve()

    return new Promise<void>((resolve) => {
      const timer: Timer = { at: this.time + ms, resolve }

      this.timers.push(timer)
      signal?.addEventListener(
        'abort',
        () => {
          this.timers = this.timers.filter((t) => t !== timer)
          resolve()
        },
        { once: true }
      )
    })
  }

  /** Drives virtual time until `work` settles. */
  public async run<T>(work: Promise<T>): Promise<T> {
    let settled = false

    work.then(
      () => (settled = true),
      () => (settled = true)
    )

    for (;;) {
      // Let every ready promise chain run before moving time.
      for (let turn = 0; turn < this.idleTurns && !settled; turn++)
        await new Promise((resolve) => setImmediate(resolve))
      if (settled) return work
      if (this.timers.length === 0)
        throw new Error('FakeClock: work is stuck with no timer pending')

      this.timers.sort((a, b) => a.at - b.at)
      const next = this.timers.shift() as Timer

      this.time = Math.max(this.time, next.at)
      next.resolve()
    }
  }
}
