import http from 'http'
import type { AddressInfo } from 'net'

/** How the meter rewrites the Catalog's rate-limit headers, to play the header profiles. */
export type HeaderMode =
  /** As the emulator sends them (`Ratelimit-*` on every answer). */
  | 'as-is'
  /** No `Ratelimit-*` at all, as VTEX's Catalog OpenAPI documents; `Retry-After` stays. */
  | 'none'
  /** `Ratelimit-*` only on 429 answers. */
  | 'on-429'
  /** The older `X-RateLimit-*` spelling. */
  | 'x-ratelimit'

export interface CallRecord {
  startedAt: number
  endedAt: number
  status: number
}

export interface Meter {
  url: string
  calls: CallRecord[]
  setHeaderMode(mode: HeaderMode): void
  reset(): void
  close(): Promise<void>
}

const RATE_HEADERS = [
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
]

function rewrite(
  headers: http.IncomingHttpHeaders,
  status: number,
  mode: HeaderMode
) {
  const out: http.OutgoingHttpHeaders = { ...headers }

  if (mode === 'as-is') return out
  for (const name of RATE_HEADERS) {
    const value = out[name]

    if (value === undefined) continue
    if (mode === 'none' || (mode === 'on-429' && status !== 429)) {
      delete out[name]
    } else if (mode === 'x-ratelimit') {
      delete out[name]
      out[`x-${name}`] = value
    }
  }

  return out
}

/**
 * A pass-through proxy in front of the emulator's Catalog: it times every
 * call as the service sees it (for p50/p99 and the time series) and plays the
 * header profiles by rewriting the rate-limit headers. It adds no behaviour
 * of its own.
 */
export async function startMeter(target: string): Promise<Meter> {
  const upstream = new URL(target)
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 })
  let mode: HeaderMode = 'as-is'
  let calls: CallRecord[] = []

  const server = http.createServer((req, res) => {
    const startedAt = performance.now()
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        const status = answer.statusCode ?? 502

        res.writeHead(status, rewrite(answer.headers, status, mode))
        answer.pipe(res)
        answer.on('end', () =>
          calls.push({ startedAt, endedAt: performance.now(), status })
        )
      }
    )

    forward.on('error', () => {
      calls.push({ startedAt, endedAt: performance.now(), status: 0 })
      res.destroy()
    })
    req.pipe(forward)
  })

  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    get calls() {
      return calls
    },
    setHeaderMode: (next) => (mode = next),
    reset: () => (calls = []),
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      agent.destroy()
    },
  }
}

/** The p-th percentile (0-100) of call latencies, in ms. */
export function latencyPercentile(calls: CallRecord[], p: number) {
  if (calls.length === 0) return Number.NaN
  const sorted = calls.map((c) => c.endedAt - c.startedAt).sort((a, b) => a - b)

  return sorted[
    Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))
  ]
}

export interface SeriesPoint {
  t: number
  requestsPerSec: number
  inFlight: number
  rateLimitedPerSec: number
}

/**
 * Request rate, 429 rate and calls in flight, in steps of `stepMs` from the
 * first call. A step's in flight is the time-weighted mean number of calls
 * open during it (the milliseconds of calls inside the step over its
 * length), so it never exceeds what was ever in flight at once; counting
 * every call that touched the step would count 100 calls of 2.5 ms made
 * one after another as 100 in flight.
 */
export function timeSeries(calls: CallRecord[], stepMs = 250): SeriesPoint[] {
  if (calls.length === 0) return []
  let t0 = Number.POSITIVE_INFINITY
  let end = 0

  for (const call of calls) {
    t0 = Math.min(t0, call.startedAt)
    end = Math.max(end, call.endedAt)
  }

  const steps = Math.ceil((end - t0) / stepMs)
  const started = new Array<number>(steps + 1).fill(0)
  const limited = new Array<number>(steps + 1).fill(0)
  /** Milliseconds of calls in flight inside each step, at its ends. */
  const partial = new Array<number>(steps + 1).fill(0)
  /** Calls spanning whole steps, by a running sum. */
  const whole = new Array<number>(steps + 2).fill(0)

  for (const call of calls) {
    const from = (call.startedAt - t0) / stepMs
    const to = Math.max(from, (call.endedAt - t0) / stepMs)
    const first = Math.floor(from)
    const last = Math.min(steps, Math.floor(to))

    started[first] += 1
    if (call.status === 429) limited[first] += 1
    if (first === last) {
      partial[first] += (to - from) * stepMs
      continue
    }

    partial[first] += (first + 1 - from) * stepMs
    partial[last] += (to - last) * stepMs
    whole[first + 1] += 1
    whole[last] -= 1
  }

  const points: SeriesPoint[] = []
  let spanning = 0

  for (let i = 0; i <= steps; i++) {
    spanning += whole[i]
    points.push({
      t: Number(((i * stepMs) / 1000).toFixed(2)),
      requestsPerSec: (started[i] * 1000) / stepMs,
      inFlight: Number((spanning + partial[i] / stepMs).toFixed(2)),
      rateLimitedPerSec: (limited[i] * 1000) / stepMs,
    })
  }

  return points
}
