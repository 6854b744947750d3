/** Time source for the bulk engine; injected so tests run on a fake clock. */
export interface Clock {
  now(): number
  /** Resolves after `ms`, or early when `signal` aborts. Never rejects. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || signal?.aborted) {
        resolve()

        return
      }

      const done = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        resolve()
      }

      const timer = setTimeout(done, ms)

      signal?.addEventListener('abort', done, { once: true })
    }),
}
