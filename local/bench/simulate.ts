/**
 * `npm run simulate`: the real FlowController and runBulk on a fake clock, a
 * GET and a PUT per item, against a Catalog with no rate limit whose calls
 * take 50-300 ms, some of which answer 503 (decided on arrival, answered
 * after that latency, as the emulator's fault rules do). A 10 s batch runs
 * in about a tenth of a second, so a change to the engine can be judged over
 * many seeds, where the bench gives one noisy run. Figures only; the bench
 * stays the measure of record.
 *
 *   npm run simulate -- --items=3000 --seeds=40 --p503=0.1
 *   npm run simulate -- --items=3000 --breaker-ms=5000
 *   npm run simulate -- --items=3000 --p503=0.1 --reuse-read   (if a retried PUT kept its first GET)
 *
 * With `--bucket=200:40` the Catalog is instead a token bucket of 200 req/s,
 * burst 40, without rate headers, whose 429 opens a 1 s window (answered at
 * once); `--memory-age-ms=180000` starts each batch from the flow memory a
 * first 3,000-item batch on the same bucket left, that old (warm start), and
 * the figures then count requests inside 429 windows too.
 */
import {
  CallFailure,
  DEFAULT_BACKOFF,
  FlowController,
  FlowMemory,
  ItemContext,
  runBulk,
} from '../../node/bulk'
import { bucketCatalog } from '../../node/__tests__/helpers/bucketCatalog'
import { FakeClock } from '../../node/__tests__/helpers/fakeClock'
import { seededRandom } from '../catalogEmulator/fields'

export interface SimulationOptions {
  items: number
  ceiling: number
  /** Share of calls answered 503. */
  p503: number
  /** Every call answers 503 for this long from the batch's start. */
  breakerMs: number
  /** A retried item skips its GET: what the round-trip rule forbids, to show its cost. */
  reuseRead: boolean
  maxBackoffMs: number
  seed: number
  /** A token bucket (req/s, burst) instead of the unlimited Catalog. */
  bucket?: { ratePerSec: number; burst: number }
  /** What an earlier controller learned, `measuredAt` on this batch's clock (it starts at 0). */
  memory?: FlowMemory
}

export interface SimulationResult {
  seconds: number
  calls: number
  failed: number
  rateLimited: number
  inWindow: number
  /** What the controller learned by the batch's end. */
  learned: FlowMemory | undefined
}

const MIN_LATENCY_MS = 50
const LATENCY_SPREAD_MS = 250
const MEAN_LATENCY_MS = MIN_LATENCY_MS + LATENCY_SPREAD_MS / 2

class Unavailable extends Error {}
class RateLimited extends Error {}

const classify = (error: unknown): CallFailure =>
  error instanceof RateLimited
    ? {
        status: 429,
        code: 'RATE_LIMITED',
        message: 'Too many requests',
        retryable: true,
      }
    : error instanceof Unavailable
    ? {
        status: 503,
        code: 'UPSTREAM_UNAVAILABLE',
        message: 'Busy',
        retryable: true,
      }
    : {
        status: 500,
        code: 'INTERNAL_ERROR',
        message: String(error),
        retryable: false,
      }

/** One batch, as the app runs it: every call through one flow controller. */
export async function simulateBatch(
  options: SimulationOptions
): Promise<SimulationResult> {
  const clock = new FakeClock()
  const random = seededRandom(options.seed)
  const flow = new FlowController(clock, {
    maxInFlight: options.ceiling,
    memory: options.memory,
  })
  const bucket =
    options.bucket &&
    bucketCatalog(clock, { ...options.bucket, headers: 'none' })
  let calls = 0

  // PUTs and retries go before new GETs, as the client and the task mark them.
  const send = async (urgent: boolean) => {
    const admission = await flow.admit({ urgent })

    calls += 1
    if (bucket) {
      const answer = bucket.arrive()

      // A 429 answers at once; anything else after the Catalog's latency.
      if (answer.signal !== 'rateLimited') {
        await clock.sleep(MIN_LATENCY_MS + random() * LATENCY_SPREAD_MS)
      }

      admission.done(answer)
      if (answer.signal === 'rateLimited') throw new RateLimited()

      return
    }

    // Decided on arrival, answered after the latency, as the emulator's fault rules do.
    const down = clock.now() < options.breakerMs || random() < options.p503

    await clock.sleep(MIN_LATENCY_MS + random() * LATENCY_SPREAD_MS)

    admission.done({ signal: down ? 'overload' : 'accepted' })
    if (down) throw new Unavailable()
  }

  const task = async (
    _item: number,
    { attempt, call, state }: ItemContext<{ read?: boolean }>
  ) => {
    if (!(options.reuseRead && state.read)) {
      await call(() => send(attempt > 1))
      state.read = true
    }

    await call(() => send(true))
  }

  const report = await clock.run(
    runBulk(
      Array.from({ length: options.items }, (_, i) => i),
      task,
      {
        concurrency: options.ceiling,
        classify,
        clock,
        random,
        backoff: { ...DEFAULT_BACKOFF, maxMs: options.maxBackoffMs },
      }
    )
  )

  return {
    seconds: clock.now() / 1000,
    calls,
    failed: report.outcomes.filter((o) => !o.ok).length,
    rateLimited: bucket?.counts.rateLimited ?? 0,
    inWindow: bucket?.counts.inWindow ?? 0,
    learned: flow.learnedMemory(),
  }
}

/** Items per second the profile allows: half the bucket, or the ceiling over two mean latencies less the share that fails. */
export function limitItemsPerSec(options: SimulationOptions) {
  if (options.bucket) return options.bucket.ratePerSec / 2

  return ((1 - options.p503) * options.ceiling * 1000) / (2 * MEAN_LATENCY_MS)
}

/** What a first 3,000-item batch on the bucket leaves, measured `ageMs` before the next batch's start. */
async function memoryAged(options: SimulationOptions, ageMs: number) {
  const first = await simulateBatch({ ...options, items: 3000, seed: 0 })

  if (!first.learned) throw new Error('the first batch learned nothing')

  return { ...first.learned, measuredAt: -ageMs }
}

/** `--bucket=<req/s>:<burst>`. */
function bucketOf(flag: string | undefined) {
  if (flag === undefined) return undefined
  const [ratePerSec, burst] = flag.split(':').map(Number)

  if (!(ratePerSec > 0 && burst > 0))
    throw new Error('--bucket must be <req/s>:<burst>')

  return { ratePerSec, burst }
}

function parseArgs(argv: string[]) {
  const flags = new Map(
    argv
      .filter((a) => a.startsWith('--'))
      .map((a) => {
        const [key, value] = a.slice(2).split('=')

        return [key, value ?? 'true'] as const
      })
  )
  const number = (key: string, fallback: number) => {
    const value = Number(flags.get(key) ?? fallback)

    if (!Number.isFinite(value)) throw new Error(`--${key} must be a number`)

    return value
  }

  return {
    seeds: number('seeds', 20),
    options: {
      items: number('items', 3000),
      ceiling: number('ceiling', 150),
      p503: number('p503', 0),
      breakerMs: number('breaker-ms', 0),
      reuseRead: flags.get('reuse-read') === 'true',
      maxBackoffMs: number('max-backoff-ms', DEFAULT_BACKOFF.maxMs),
      seed: 1,
      bucket: bucketOf(flags.get('bucket')),
    },
    memoryAgeMs: flags.has('memory-age-ms')
      ? number('memory-age-ms', 0)
      : undefined,
  }
}

async function main() {
  const {
    seeds,
    options: parsed,
    memoryAgeMs,
  } = parseArgs(process.argv.slice(2))
  const options: SimulationOptions = {
    ...parsed,
    memory:
      memoryAgeMs === undefined
        ? undefined
        : await memoryAged(parsed, memoryAgeMs),
  }
  const runs: SimulationResult[] = []

  for (let seed = 1; seed <= seeds; seed++) {
    runs.push(await simulateBatch({ ...options, seed }))
  }

  const mean = (f: (r: SimulationResult) => number) =>
    runs.reduce((sum, r) => sum + f(r), 0) / runs.length
  const seconds = mean((r) => r.seconds)
  const usable = seconds - options.breakerMs / 1000
  const pct = (100 * options.items) / usable / limitItemsPerSec(options)

  console.log(JSON.stringify({ ...parsed, memoryAgeMs, seeds }))
  console.log(
    `mean ${seconds.toFixed(2)} s over ${seeds} seeds: ${pct.toFixed(
      1
    )}% of ${limitItemsPerSec(options).toFixed(0)} items/s` +
      (options.breakerMs ? ' (the breaker phase left out)' : '') +
      `, ${(mean((r) => r.calls) / options.items).toFixed(
        3
      )} calls/item, ${runs.reduce(
        (sum, r) => sum + r.failed,
        0
      )} items failed` +
      (options.bucket
        ? `, ${mean((r) => r.rateLimited).toFixed(1)} 429s and ${mean(
            (r) => r.inWindow
          ).toFixed(1)} requests in 429 windows a batch`
        : '')
  )
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error)
    process.exitCode = 1
  })
}
