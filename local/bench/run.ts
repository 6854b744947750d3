/**
 * `npm run bench [-- --quick]`: the service against the Catalog emulator, each
 * in its own process, beside two baselines that drive the emulator directly.
 * Prints a table; the full run also writes docs/BENCHMARKS.md and its charts.
 */
import fs from 'fs'
import os from 'os'
import path from 'path'
import { performance } from 'perf_hooks'

import { SAMPLE_CREDENTIALS } from '../catalogEmulator/auth'
import { spawnCatalogEmulator, SpawnedEmulator } from '../catalogEmulator/spawn'
import type { LatencyProfile } from '../catalogEmulator/server'
import type { RateLimitProfile } from '../catalogEmulator/rateLimit'
import { spawnService, SpawnedService } from '../spawnService'
import {
  BaselineResult,
  CatalogTarget,
  runSequential,
  runUnbounded,
  ScoreJob,
} from './baselines'
import { renderThroughputChart } from './chart'
import { cpuSeconds, peakRssMb, resetPeakRss } from './procStats'

const CREDENTIAL = { VtexIdclientAutCookie: 'local-admin-token' }
const CONCURRENCY = 8
const OURS = 'massive-score-update'
const ROUTES = [
  { kind: 'product', path: '/_v/massive/product/score/update' },
  { kind: 'category', path: '/_v/massive/catalog/score/update' },
] as const

interface Profile {
  name: string
  latency: LatencyProfile
  rateLimit: RateLimitProfile | null
}

interface Row {
  profile: string
  route: string
  runner: string
  items: number
  seconds: number
  itemsPerSec: number
  limit: number
  succeeded: number
  failed: number
  lost: number
  callsPerItem: number
  rateLimited: number
  inWindow: number
  peakInFlight: number
  rssMb?: number
  cpuMsPerItem?: number
}

const quick = process.argv.includes('--quick')
const SIZES = quick ? [20, 100] : [100, 1000, 5000]
// One large async job, in the profile without a rate limit (at the limit it would take minutes).
const ASYNC_SIZE = quick ? 300 : 50_000
const ASYNC_PROFILE = 'unlimited'
const PROFILES: Profile[] = quick
  ? [
      {
        name: 'rate-limited',
        latency: { meanMs: 2, jitterMs: 1 },
        rateLimit: { ratePerSec: 400, burst: 50 },
      },
      {
        name: 'unlimited',
        latency: { meanMs: 2, jitterMs: 1 },
        rateLimit: null,
      },
    ]
  : [
      {
        name: 'rate-limited',
        latency: { meanMs: 8, jitterMs: 3 },
        rateLimit: { ratePerSec: 400, burst: 50 },
      },
      {
        name: 'unlimited',
        latency: { meanMs: 8, jitterMs: 3 },
        rateLimit: null,
      },
    ]

/** R/2 items/s under a rate limit of R (GET + PUT per item), else concurrency / (2 x latency). */
const physicalLimit = (profile: Profile) =>
  profile.rateLimit
    ? profile.rateLimit.ratePerSec / 2
    : CONCURRENCY / (2 * (profile.latency.meanMs / 1000))

// The origin retries rate-limited items forever; the bench gives up after this many rounds.
const UNBOUNDED_MAX_ROUNDS = quick ? 3 : 10

let scoreBase = 1000

/** Fresh scores every run, so every item really needs its PUT. */
function makeJobs(count: number): ScoreJob[] {
  scoreBase += 10_000

  return Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    score: scoreBase + (i % 997),
  }))
}

interface Envelope {
  successfulResponses: { elements: Array<{ index: number }> }
  failedResponses: { elements: Array<{ index: number }> }
}

const JSON_HEADERS = { 'Content-Type': 'application/json', ...CREDENTIAL }

/** One synchronous batch: the envelope is the answer. */
const syncBatch =
  (service: SpawnedService, path: string, jobs: ScoreJob[]) => async () =>
    (await (
      await fetch(`${service.url}${path}`, {
        method: 'PUT',
        headers: JSON_HEADERS,
        body: JSON.stringify(jobs),
      })
    ).json()) as Envelope

/**
 * One async job, run on the events path: the summary is polled every 500 ms
 * until the job is finished, then its results are read page by page.
 */
const asyncJob =
  (service: SpawnedService, path: string, jobs: ScoreJob[]) => async () => {
    const queued = (await (
      await fetch(`${service.url}${path}?async=true`, {
        method: 'PUT',
        headers: JSON_HEADERS,
        body: JSON.stringify(jobs),
      })
    ).json()) as { statusUrl: string }

    for (;;) {
      const job = (await (
        await fetch(`${service.url}${queued.statusUrl}`, {
          headers: CREDENTIAL,
        })
      ).json()) as { status: string }

      if (['done', 'failed', 'cancelled'].includes(job.status)) break
      await new Promise((resolve) => setTimeout(resolve, 500))
    }

    const envelope: Envelope = {
      successfulResponses: { elements: [] },
      failedResponses: { elements: [] },
    }

    for (let cursor: string | undefined = '0'; cursor !== undefined; ) {
      const page = (await (
        await fetch(
          `${service.url}${queued.statusUrl}/results?cursor=${cursor}&limit=1000`,
          { headers: CREDENTIAL }
        )
      ).json()) as {
        elements: Array<{ index: number; success: string }>
        nextCursor?: string
      }

      for (const element of page.elements)
        (element.success === 'true'
          ? envelope.successfulResponses
          : envelope.failedResponses
        ).elements.push(element)
      cursor = page.nextCursor
    }

    return envelope
  }

/** Times one run of the service, with its CPU and peak RSS around it, and accounts for every item. */
async function measureService(
  profile: Profile,
  route: (typeof ROUTES)[number],
  runner: string,
  jobs: ScoreJob[],
  emulator: SpawnedEmulator,
  service: SpawnedService,
  run: () => Promise<Envelope>
): Promise<Row> {
  await emulator.configure({ rateLimit: profile.rateLimit })
  await emulator.resetStats()
  const rssReset = resetPeakRss(service.pid)
  const cpuBefore = cpuSeconds(service.pid)
  const started = performance.now()
  const envelope = await run()
  const seconds = (performance.now() - started) / 1000
  const cpu = cpuSeconds(service.pid) - cpuBefore
  const stats = await emulator.stats()
  const succeeded = envelope.successfulResponses.elements.length
  const failed = envelope.failedResponses.elements.length
  const answered = new Set(
    [
      ...envelope.successfulResponses.elements,
      ...envelope.failedResponses.elements,
    ].map((e) => e.index)
  )

  return {
    profile: profile.name,
    route: route.kind,
    runner,
    items: jobs.length,
    seconds,
    itemsPerSec: succeeded / seconds,
    limit: physicalLimit(profile),
    succeeded,
    failed,
    lost: jobs.length - answered.size,
    callsPerItem: stats.requests.total / jobs.length,
    rateLimited: stats.rateLimited,
    inWindow: stats.requestsInPenaltyWindow,
    peakInFlight: stats.peakInFlight,
    rssMb: rssReset ? peakRssMb(service.pid) : undefined,
    cpuMsPerItem: (cpu * 1000) / jobs.length,
  }
}

async function measureBaseline(
  profile: Profile,
  runner: 'sequential' | 'unbounded',
  jobs: ScoreJob[],
  emulator: SpawnedEmulator
): Promise<Row> {
  await emulator.configure({ rateLimit: profile.rateLimit })
  await emulator.resetStats()
  const target: CatalogTarget = {
    baseUrl: emulator.url,
    kind: 'product',
    headers: CREDENTIAL,
  }
  const started = performance.now()
  const result: BaselineResult =
    runner === 'sequential'
      ? await runSequential(target, jobs)
      : await runUnbounded(target, jobs, UNBOUNDED_MAX_ROUNDS)
  const seconds = (performance.now() - started) / 1000
  const stats = await emulator.stats()
  const succeededCount = result.succeeded

  return {
    profile: profile.name,
    route: 'product',
    runner,
    items: jobs.length,
    seconds,
    itemsPerSec: succeededCount / seconds,
    limit: physicalLimit(profile),
    succeeded: result.succeeded,
    failed: result.failed,
    lost: jobs.length - result.succeeded - result.failed,
    callsPerItem: stats.requests.total / jobs.length,
    rateLimited: stats.rateLimited,
    inWindow: stats.requestsInPenaltyWindow,
    peakInFlight: stats.peakInFlight,
  }
}

const fixed = (value: number | undefined, digits = 1) =>
  value === undefined ? 'n/a' : value.toFixed(digits)

function ratio(rows: Row[], row: Row, runner: string) {
  if (row.runner !== OURS) return ''
  const other = rows.find(
    (r) =>
      r.profile === row.profile && r.runner === runner && r.items === row.items
  )

  if (!other) return ''

  return other.itemsPerSec > 0
    ? `${(row.itemsPerSec / other.itemsPerSec).toFixed(1)}x`
    : 'baseline updated none'
}

function table(rows: Row[]): string {
  const header = [
    'profile',
    'route',
    'runner',
    'items',
    'wall s',
    'updated/s',
    '% of limit',
    'ok / failed / lost',
    'calls/item',
    '429s',
    'in 429 window',
    'peak in flight',
    'peak RSS MB',
    'CPU ms/item',
    'vs sequential',
    'vs unbounded',
  ]
  const lines = rows.map((r) => [
    r.profile,
    r.route,
    r.runner,
    String(r.items),
    fixed(r.seconds, 2),
    fixed(r.itemsPerSec),
    `${((100 * r.itemsPerSec) / r.limit).toFixed(0)}%`,
    `${r.succeeded} / ${r.failed} / ${r.lost}`,
    fixed(r.callsPerItem, 2),
    String(r.rateLimited),
    String(r.inWindow),
    String(r.peakInFlight),
    fixed(r.rssMb, 0),
    fixed(r.cpuMsPerItem, 3),
    ratio(rows, r, 'sequential'),
    ratio(rows, r, 'unbounded'),
  ])

  return [header, header.map(() => '---'), ...lines]
    .map((cells) => `| ${cells.join(' | ')} |`)
    .join('\n')
}

function machine() {
  const cpus = os.cpus()

  return `${cpus.length} x ${cpus[0]?.model ?? 'unknown CPU'}, ${(
    os.totalmem() /
    2 ** 30
  ).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`
}

const RESULTS_FILE = path.resolve(
  __dirname,
  '../../../build/bench-results.json'
)

async function main() {
  // `--from-results` renders the report again from the last run's figures, without running anything.
  if (process.argv.includes('--from-results')) {
    const { rows } = JSON.parse(fs.readFileSync(RESULTS_FILE, 'utf8')) as {
      rows: Row[]
    }

    await writeReport(path.resolve(__dirname, '../../..'), rows, table(rows))

    return
  }

  const rows: Row[] = []
  const maxSize = Math.max(...SIZES)

  for (const profile of PROFILES) {
    const emulator = await spawnCatalogEmulator({
      seed: { products: Math.max(maxSize, ASYNC_SIZE), categories: maxSize },
      latency: profile.latency,
      rateLimit: profile.rateLimit,
    })
    const [appKey, { token: appToken }] = Object.entries(
      SAMPLE_CREDENTIALS.appKeys
    )[0]
    const service = await spawnService({
      CATALOG_URL: emulator.url,
      VBASE_PROXY_URL: emulator.url,
      CONCURRENCY: String(CONCURRENCY),
      // Job chunks run with the app's credentials, as events deliver them.
      VTEX_APP_KEY: appKey,
      VTEX_APP_TOKEN: appToken,
    })

    // The emulator's events bus delivers the job's chunk events to this replica.
    await fetch(`${emulator.url}/_emulator/subscribers`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ urls: [service.runtimeUrl] }),
    })

    try {
      for (const route of ROUTES) {
        for (const size of SIZES) {
          const jobs = makeJobs(size)
          const row = await measureService(
            profile,
            route,
            OURS,
            jobs,
            emulator,
            service,
            syncBatch(service, route.path, jobs)
          )

          rows.push(row)
          process.stdout.write(
            `${profile.name} ${route.kind} ours ${size}: ${fixed(
              row.itemsPerSec
            )} items/s\n`
          )
        }
      }

      if (profile.name === ASYNC_PROFILE) {
        const jobs = makeJobs(ASYNC_SIZE)
        const route = ROUTES[0]
        const row = await measureService(
          profile,
          route,
          `${OURS} (async job)`,
          jobs,
          emulator,
          service,
          asyncJob(service, route.path, jobs)
        )

        rows.push(row)
        process.stdout.write(
          `${profile.name} product async job ${ASYNC_SIZE}: ${fixed(
            row.itemsPerSec
          )} items/s\n`
        )
      }

      for (const runner of ['sequential', 'unbounded'] as const) {
        for (const size of SIZES) {
          const row = await measureBaseline(
            profile,
            runner,
            makeJobs(size),
            emulator
          )

          rows.push(row)
          process.stdout.write(
            `${profile.name} product ${runner} ${size}: ${fixed(
              row.itemsPerSec
            )} items/s\n`
          )
        }
      }
    } finally {
      await service.close()
      await emulator.close()
    }
  }

  const output = table(rows)

  process.stdout.write(`\n${output}\n`)
  const root = path.resolve(__dirname, '../../..')

  fs.mkdirSync(path.join(root, 'build'), { recursive: true })
  fs.writeFileSync(
    RESULTS_FILE,
    JSON.stringify({ machine: machine(), rows }, null, 2)
  )

  const lost = rows.reduce((sum, r) => sum + r.lost, 0)
  const ours = rows.filter((r) => r.runner.startsWith(OURS))
  const unaccounted = ours.filter(
    (r) => r.succeeded + r.failed !== r.items || r.failed > 0
  )

  if (lost > 0 || unaccounted.length > 0) {
    process.stderr.write(
      `bench: ${lost} items lost; ${unaccounted.length} service runs with failures or unaccounted items\n`
    )
    process.exitCode = 1
  }

  if (quick) {
    process.stdout.write(
      `bench --quick: ${ours.length} service runs, every item accounted for: ${
        lost === 0
      }\n`
    )

    return
  }

  await writeReport(root, rows, output)
}

/** The issue's targets, checked against this run. */
function targetLines(rows: Row[]): string {
  const ours = rows.filter((r) => r.runner === OURS)
  const large = ours.filter((r) => r.items >= 1000)
  const pct = (r: Row) => (100 * r.itemsPerSec) / r.limit
  const worst = (profile: string) =>
    Math.min(...large.filter((r) => r.profile === profile).map(pct))
  const biggest = ours.filter((r) => r.items === Math.max(...SIZES))
  const maxRss = Math.max(...biggest.map((r) => r.rssMb ?? Number.NaN))
  const maxCpu = Math.max(...biggest.map((r) => r.cpuMsPerItem ?? Number.NaN))
  const inWindow = ours.reduce((sum, r) => sum + r.inWindow, 0)
  const mark = (ok: boolean) => (ok ? 'met' : '**missed**')
  const lines = [
    [
      'With a rate limit, 1,000 and 5,000 items: >= 90% of the limit',
      `${worst('rate-limited').toFixed(0)}% (worst run)`,
      mark(worst('rate-limited') >= 90),
    ],
    [
      'Requests inside 429 windows (service)',
      String(inWindow),
      mark(inWindow === 0),
    ],
    [
      'Without a rate limit, 1,000 and 5,000 items: >= 80% of concurrency / (2 x latency)',
      `${worst('unlimited').toFixed(0)}% (worst run)`,
      mark(worst('unlimited') >= 80),
    ],
    [
      '5,000 items: service peak RSS < 200 MB',
      `${maxRss.toFixed(0)} MB`,
      mark(maxRss < 200),
    ],
    [
      'Service CPU < 0.5 ms per item (5,000 items)',
      `${maxCpu.toFixed(2)} ms (worst run)`,
      mark(maxCpu < 0.5),
    ],
  ]

  return [['target', 'this run', ''], ['---', '---', '---'], ...lines]
    .map((cells) => `| ${cells.join(' | ')} |`)
    .join('\n')
}

async function writeReport(root: string, rows: Row[], output: string) {
  const charts: string[] = []

  for (const profile of PROFILES) {
    const points = rows
      .filter((r) => r.profile === profile.name && r.route === 'product')
      .map((r) => ({
        runner: r.runner,
        items: r.items,
        itemsPerSec: Number(r.itemsPerSec.toFixed(1)),
      }))
    const file = `bench-${profile.name}.svg`
    const svg = await renderThroughputChart(
      `${profile.name}: items/s (product route)`,
      points,
      physicalLimit(profile)
    )

    fs.writeFileSync(path.join(root, 'docs', file), svg)
    charts.push(`![${profile.name}](${file})`)
  }

  const targets = targetLines(rows)
  const profiles = PROFILES.map(
    (p) =>
      `- **${p.name}**: latency ${p.latency.meanMs} ms ±${
        p.latency.jitterMs
      }, ${
        p.rateLimit
          ? `token bucket ${p.rateLimit.ratePerSec} req/s, burst ${p.rateLimit.burst}`
          : 'no rate limit'
      }; physical limit ${physicalLimit(p).toFixed(0)} items/s`
  ).join('\n')

  const markdown = `# Benchmarks

Generated by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}.

- Machine: ${machine()}
- Command: \`npm run bench\` (the figures below are from that run; \`npm run bench -- --quick\` is the CI smoke variant)
- The Catalog emulator and the service (the same runtime as \`npm start\`) each run in their own process; all traffic is on 127.0.0.1.
- The service runs with its defaults (concurrency ${CONCURRENCY}); the baselines drive the emulator directly on the product path.
- Every run writes new scores, so every item costs one GET and one PUT.
- The async row is one \`?async=true\` job of ${ASYNC_SIZE.toLocaleString(
    'en'
  )} items, timed from the PUT until its status says done (status polled every 500 ms); the job checkpoints to VBase (served by the emulator) every 500 items. Its peak in flight may exceed the concurrency by one: each status poll checks the caller's credentials with one Catalog GET, outside the job's pool.
- The unbounded baseline retries rate-limited items after sleeping \`Ratelimit-Reset\`, as the origin app does, but gives up after ${UNBOUNDED_MAX_ROUNDS} rounds so the bench ends; the items it gave up on are its failures.

## Profiles

${profiles}

The physical limit is R/2 items/s under a rate limit of R requests/s (two calls per changed item), and concurrency / (2 x latency) without one.

## Results

${output}

Columns: \`updated/s\` counts only the items actually updated (a baseline's failures do not count), and \`% of limit\` compares it to the physical limit; \`in 429 window\` counts requests that reached the Catalog while a 429 penalty window was open; \`peak RSS MB\` and \`CPU ms/item\` are the service process's (from /proc), per batch.

## Targets

${targets}

### Why the CPU target is missed

A CPU profile of the service on a 5,000-item batch (\`node --cpu-prof build/local/serviceProcess.js\`, emulator without latency, then summed self time by package) puts about three quarters of the service's CPU in the HTTP stack that every Catalog call goes through: \`@vtex/api\`'s HttpClient middlewares, axios (config merging, proxy detection, header normalization) and Node's http client (socket writes, keep-alive bookkeeping); the app's own code (engine, validation, envelope) is about 3%. Two calls per item put the floor near 0.6-0.7 ms per item on this machine when it is quiet; in the bench the emulator and the load driver share the two cores with the service, and the figures above are higher. Going lower means leaving the typed \`ExternalClient\` the app is required to use.

## Charts

${charts.join('\n\n')}
`

  fs.writeFileSync(path.join(root, 'docs/BENCHMARKS.md'), markdown)
  process.stdout.write('wrote docs/BENCHMARKS.md\n')
}

main().catch((error) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? error.stack : String(error)}\n`
  )
  process.exit(1)
})
