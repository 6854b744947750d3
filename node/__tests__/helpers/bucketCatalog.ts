/** A token-bucket Catalog on the fake clock, and the loops that drive a FlowController against it. */
import { Answer, FlowController, FlowOptions, HaltError } from '../../bulk'
import { FakeClock } from './fakeClock'

export interface BucketOptions {
  ratePerSec: number
  burst: number
  /** Header style of the answers. */
  headers?: 'none' | 'on429' | 'always'
  /** A 429 opens a window of this long in which every request gets a 429. */
  windowMs?: number
}

/**
 * A Catalog on the fake clock: a token bucket with penalty windows, like the
 * emulator's. It counts what matters: 429 windows, and requests that arrived
 * inside a window after its 429 had already reached the client.
 */
export function bucketCatalog(clock: FakeClock, options: BucketOptions) {
  const windowMs = options.windowMs ?? 1000
  let rate = options.ratePerSec
  let tokens = options.burst
  let updatedAt = 0
  let windowUntil = 0
  let windowSeenAt = Number.POSITIVE_INFINITY
  const counts = { accepted: 0, rateLimited: 0, windows: 0, inWindow: 0 }

  const arrive = (): Answer => {
    const now = clock.now()

    tokens = Math.min(options.burst, tokens + ((now - updatedAt) * rate) / 1000)
    updatedAt = now
    const withHeaders = (remaining: number) =>
      options.headers === 'always' ? { limit: options.burst, remaining } : {}

    if (now < windowUntil) {
      counts.rateLimited += 1
      if (now > windowSeenAt) counts.inWindow += 1

      return {
        signal: 'rateLimited',
        headers:
          options.headers === 'none'
            ? {}
            : {
                retryAfterMs: windowUntil - now,
                remaining: 0,
                limit: options.burst,
              },
      }
    }

    if (tokens >= 1) {
      tokens -= 1
      counts.accepted += 1

      return { signal: 'accepted', headers: withHeaders(Math.floor(tokens)) }
    }

    counts.rateLimited += 1
    counts.windows += 1
    windowUntil = now + windowMs
    windowSeenAt = now + 1

    return {
      signal: 'rateLimited',
      headers:
        options.headers === 'none'
          ? {}
          : { retryAfterMs: windowMs, remaining: 0, limit: options.burst },
    }
  }

  return {
    counts,
    arrive,
    setRate: (value: number) => (rate = value),
  }
}

/** `workers` loops that each admit, send and report, until `until`. */
export async function drive(
  clock: FakeClock,
  flow: FlowController,
  workers: number,
  until: number,
  serve: () => { answer: Answer; latencyMs: number },
  onAnswer?: (answer: Answer, at: number) => void
) {
  const loop = async () => {
    while (clock.now() < until) {
      let admission

      try {
        admission = await flow.admit({ deadlineAt: until })
      } catch (error) {
        if (error instanceof HaltError) return
        throw error
      }

      const { answer, latencyMs } = serve()

      await clock.sleep(latencyMs)
      admission.done(answer)
      onAnswer?.(answer, clock.now())
    }
  }

  await clock.run(Promise.all(Array.from({ length: workers }, loop)))
}

/** Latency with a spread: 50-300 ms from a fixed sequence, so runs repeat. */
export function spreadLatency() {
  let seed = 7

  return () => {
    seed = (seed * 16807) % 2147483647

    return 50 + (seed % 251)
  }
}

/** A controller at the default ceiling and a bucket Catalog at 50-300 ms (a 429 answers at once). */
export function pool150(options: BucketOptions, flowOptions: FlowOptions = {}) {
  const clock = new FakeClock()
  const flow = new FlowController(clock, { maxInFlight: 150, ...flowOptions })
  const catalog = bucketCatalog(clock, options)
  const latency = spreadLatency()
  const serve = () => {
    const answer = catalog.arrive()

    return {
      answer,
      latencyMs: answer.signal === 'rateLimited' ? 1 : latency(),
    }
  }

  return { clock, flow, catalog, serve }
}
