/**
 * `npm run bench [-- --quick]`: the service against the Catalog emulator,
 * each in its own process, over a matrix of Catalog profiles. Every Catalog
 * call goes through a meter (a pass-through proxy) that times it and plays
 * the header profiles. Prints a table; the full run also writes
 * dev-docs/BENCHMARKS.md and its charts.
 */
import fs from 'fs'
import os from 'os'
import path from 'path'
import { performance } from 'perf_hooks'

import { SAMPLE_CREDENTIALS } from '../catalogEmulator/auth'
import { spawnCatalogEmulator, SpawnedEmulator } from '../catalogEmulator/spawn'
import { spawnService, SpawnedService } from '../spawnService'
import { renderFlowChart } from './chart'
import {
  latencyPercentile,
  Meter,
  SeriesPoint,
  startMeter,
  timeSeries,
} from './meter'
import { cpuSeconds, peakRssMb, resetPeakRss } from './procStats'
import { FULL_PROFILES, JOB_PROFILE, Profile, QUICK_PROFILES } from './profiles'

const CREDENTIAL = { VtexIdclientAutCookie: 'local-admin-token' }
const PRODUCT_PATH = '/_v/massive/product/score/update'
const DEFAULT_CEILING = 150
const MAX_CEILING = 256

const quick = process.argv.includes('--quick')
const SIZES = quick ? [100] : [1000, 3000]
const WARMUP_ITEMS = quick ? 50 : 400
/** Longer than the controller's restart after idle (1 s): the first batch then meets the limit cold. */
const WARMUP_IDLE_MS = 2000
const PROFILES = quick ? QUICK_PROFILES : FULL_PROFILES
// Rows run again with `concurrency` at its maximum (full run only).
const AT_MAX_CEILING = quick ? [] : ['bucket-no-headers', 'unlimited']
const ASYNC_SIZE = quick ? 300 : 100_000
const SERVICE_MEMORY_MB = 256
/**
 * The job row runs again with the service's V8 old space capped (full run
 * only): what `--max-old-space-size` does to peak RSS, time and CPU.
 * `--heap-caps=128,192` picks the caps (`--heap-caps=` runs none).
 */
const heapCapsArg = process.argv
  .find((a) => a.startsWith('--heap-caps='))
  ?.slice('--heap-caps='.length)
const JOB_HEAP_CAPS_MB =
  heapCapsArg !== undefined
    ? heapCapsArg.split(',').filter(Boolean).map(Number)
    : quick
    ? []
    : [128]

interface Row {
  profile: string
  ceiling: number
  runner: string
  items: number
  seconds: number
  itemsPerSec: number
  limit: number
  pctOfLimit: number
  succeeded: number
  failed: number
  lost: number
  callsPerItem: number
  rateLimited: number
  inWindow: number
  p50Ms: number
  p99Ms: number
  peakInFlight: number
  rssMb?: number
  cpuMsPerItem?: number
  /** CPU used over the batch, in % of one core: tells a machine-bound row from a controller-bound one. */
  cpuPct?: { service: number; emulator: number; bench: number }
}

interface Envelope {
  successfulResponses: { elements: Array<{ index: number }> }
  failedResponses: { elements: Array<{ index: number; code: string }> }
}

let scoreBase = 1000

/** Fresh scores every run, so every item really needs its PUT. */
function makeItems(count: number) {
  scoreBase += 10_000

  return Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    score: scoreBase + (i % 997),
  }))
}

const JSON_HEADERS = { 'Content-Type': 'application/json', ...CREDENTIAL }

async function syncBatch(service: SpawnedService, items: unknown[]) {
  const answer = await fetch(`${service.url}${PRODUCT_PATH}`, {
    method: 'PUT',
    headers: JSON_HEADERS,
    body: JSON.stringify(items),
  })

  return (await answer.json()) as Envelope
}

/**
 * One async job, run on the events path: the summary is polled every 500 ms
 * until the job is finished, then its results are read page by page.
 */
async function asyncJob(service: SpawnedService, items: unknown[]) {
  const queued = (await (
    await fetch(`${service.url}${PRODUCT_PATH}?async=true`, {
      method: 'PUT',
      headers: JSON_HEADERS,
      body: JSON.stringify(items),
    })
  ).json()) as { statusUrl: string }

  for (;;) {
    const job = (await (
      await fetch(`${service.url}${queued.statusUrl}`, { headers: CREDENTIAL })
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
      elements: Array<{ index: number; success: string; code: string }>
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

/** A well-behaved other client of the same bucket: GETs at a steady rate, quiet while told to wait. */
function otherClient(emulator: SpawnedEmulator, perSec: number) {
  let stopped = false
  let waitUntil = 0
  const timer = setInterval(() => {
    if (stopped || Date.now() < waitUntil) return
    void fetch(`${emulator.url}/api/catalog/pvt/product/1`, {
      headers: CREDENTIAL,
    }).then(
      async (answer) => {
        await answer.arrayBuffer()
        if (answer.status === 429) {
          const seconds = Number(answer.headers.get('retry-after') ?? 1)

          waitUntil =
            Date.now() + 1000 * (Number.isFinite(seconds) ? seconds : 1)
        }
      },
      () => undefined
    )
  }, 1000 / perSec)

  return () => {
    stopped = true
    clearInterval(timer)
  }
}

interface Measured {
  row: Row
  series: SeriesPoint[]
}

async function measure(
  profile: Profile,
  ceiling: number,
  runner: string,
  items: unknown[],
  setup: { emulator: SpawnedEmulator; service: SpawnedService; meter: Meter },
  run: () => Promise<Envelope>
): Promise<Measured> {
  const { emulator, service, meter } = setup

  await emulator.configure({
    rateLimit: profile.rateLimit,
    faults: profile.faults ?? null,
    profile: profile.catalog ?? null,
  })
  meter.setHeaderMode(profile.headers)
  await emulator.resetStats()
  meter.reset()
  const stopOther = profile.otherClientPerSec
    ? otherClient(emulator, profile.otherClientPerSec)
    : () => undefined

  const rssReset = resetPeakRss(service.pid)
  const cpuBefore = cpuSeconds(service.pid)
  const emulatorCpuBefore = cpuSeconds(emulator.pid)
  // The meter, the load driver and the other client all run in this process.
  const benchCpuBefore = process.cpuUsage()
  const started = performance.now()
  const envelope = await run().finally(stopOther)
  const seconds = (performance.now() - started) / 1000
  const cpu = cpuSeconds(service.pid) - cpuBefore
  const emulatorCpu = cpuSeconds(emulator.pid) - emulatorCpuBefore
  const benchUsage = process.cpuUsage(benchCpuBefore)
  const benchCpu = (benchUsage.user + benchUsage.system) / 1e6
  const pctOfCore = (used: number) => (100 * used) / seconds
  const stats = await emulator.stats()
  const calls = meter.calls
  const succeeded = envelope.successfulResponses.elements.length
  const failed = envelope.failedResponses.elements.length
  const answered = new Set(
    [
      ...envelope.successfulResponses.elements,
      ...envelope.failedResponses.elements,
    ].map((e) => e.index)
  )
  const limit = profile.limit(ceiling)
  const usable = Math.max(0.001, seconds - (profile.deadSeconds ?? 0))
  const itemsPerSec = succeeded / seconds

  return {
    row: {
      profile: profile.name,
      ceiling,
      runner,
      items: items.length,
      seconds,
      itemsPerSec,
      limit,
      // A breaker phase's seconds are left out: no client can use them.
      pctOfLimit: (100 * (succeeded / usable)) / limit,
      succeeded,
      failed,
      lost: items.length - answered.size,
      callsPerItem: calls.length / items.length,
      rateLimited: calls.filter((c) => c.status === 429).length,
      inWindow: stats.requestsInPenaltyWindow,
      p50Ms: latencyPercentile(calls, 50),
      p99Ms: latencyPercentile(calls, 99),
      peakInFlight: stats.peakInFlight,
      rssMb: rssReset ? peakRssMb(service.pid) : undefined,
      cpuMsPerItem: (cpu * 1000) / items.length,
      cpuPct: {
        service: pctOfCore(cpu),
        emulator: pctOfCore(emulatorCpu),
        bench: pctOfCore(benchCpu),
      },
    },
    series: timeSeries(calls),
  }
}

interface JobRun {
  items: number
  /** The service runs under NODE_OPTIONS=--max-old-space-size=<this>. */
  heapCapMb?: number
}

/** One profile at one ceiling: a fresh emulator, meter and service, warmed up, then each size. */
async function runProfile(
  profile: Profile,
  ceiling: number,
  sizes: number[],
  job?: JobRun
): Promise<Measured[]> {
  const maxSize = Math.max(...sizes, job?.items ?? 0, WARMUP_ITEMS)
  const emulator = await spawnCatalogEmulator({
    seed: { products: maxSize, categories: 5 },
    latency: profile.latency,
  })
  const meter = await startMeter(emulator.url)
  const [appKey, { token: appToken }] = Object.entries(
    SAMPLE_CREDENTIALS.appKeys
  )[0]
  const service = await spawnService({
    CATALOG_URL: meter.url,
    VBASE_PROXY_URL: emulator.url,
    CONCURRENCY: String(ceiling),
    // Job chunks run with the app's credentials, as events deliver them.
    VTEX_APP_KEY: appKey,
    VTEX_APP_TOKEN: appToken,
    ...(job?.heapCapMb
      ? { NODE_OPTIONS: `--max-old-space-size=${job.heapCapMb}` }
      : {}),
  })

  // The emulator's events bus delivers the job's chunk events to this replica.
  await fetch(`${emulator.url}/_emulator/subscribers`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ urls: [service.runtimeUrl] }),
  })
  const setup = { emulator, service, meter }
  const results: Measured[] = []

  try {
    // Warm the JIT on an unlimited Catalog: the controller learns its
    // latency, nothing about the profile's limit.
    await emulator.configure({ rateLimit: null, faults: null, profile: null })
    await syncBatch(service, makeItems(WARMUP_ITEMS))
    // Without an idle time the controller would still measure the warm-up's
    // rate, and the first batch would meet a limit that appears under a
    // running pool rather than a cold one.
    await new Promise((resolve) => setTimeout(resolve, WARMUP_IDLE_MS))

    for (const size of sizes) {
      const items = makeItems(size)
      const measured = await measure(
        profile,
        ceiling,
        'sync',
        items,
        setup,
        () => syncBatch(service, items)
      )

      results.push(measured)
      report(measured.row)
    }

    if (job) {
      const items = makeItems(job.items)
      const measured = await measure(
        profile,
        ceiling,
        job.heapCapMb
          ? `async job, --max-old-space-size=${job.heapCapMb}`
          : 'async job',
        items,
        setup,
        () => asyncJob(service, items)
      )

      results.push(measured)
      report(measured.row)
    }
  } finally {
    await service.close()
    await meter.close()
    await emulator.close()
  }

  return results
}

const fixed = (value: number | undefined, digits = 1) =>
  value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits)

function report(row: Row) {
  process.stdout.write(
    `${row.profile} ceiling ${row.ceiling} ${row.runner} ${row.items}: ${fixed(
      row.itemsPerSec
    )} items/s (${fixed(row.pctOfLimit, 0)}% of ${fixed(row.limit, 0)}), 429s ${
      row.rateLimited
    }, in window ${row.inWindow}, failed ${row.failed}, lost ${
      row.lost
    }, CPU % of a core ${cpuShares(row)}\n`
  )
}

/** service / emulator / meter+driver, in % of one core. */
const cpuShares = (row: Row) =>
  row.cpuPct
    ? `${fixed(row.cpuPct.service, 0)} / ${fixed(
        row.cpuPct.emulator,
        0
      )} / ${fixed(row.cpuPct.bench, 0)}`
    : 'n/a'

function table(rows: Row[]): string {
  const header = [
    'profile',
    'ceiling',
    'runner',
    'items',
    'wall s',
    'updated/s',
    'limit items/s',
    '% of limit',
    'ok / failed / lost',
    'calls/item',
    '429s',
    'in 429 window',
    'p50 / p99 ms',
    'peak in flight',
    'peak RSS MB',
    'CPU ms/item',
    'CPU % of a core: service / emulator / meter+driver',
  ]
  const lines = rows.map((r) => [
    r.profile,
    String(r.ceiling),
    r.runner,
    String(r.items),
    fixed(r.seconds, 1),
    fixed(r.itemsPerSec),
    fixed(r.limit, 0),
    `${fixed(r.pctOfLimit, 0)}%`,
    `${r.succeeded} / ${r.failed} / ${r.lost}`,
    fixed(r.callsPerItem, 2),
    String(r.rateLimited),
    String(r.inWindow),
    `${fixed(r.p50Ms, 0)} / ${fixed(r.p99Ms, 0)}`,
    String(r.peakInFlight),
    fixed(r.rssMb, 0),
    fixed(r.cpuMsPerItem, 2),
    cpuShares(r),
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

const ROOT = path.resolve(__dirname, '../../..')
const RESULTS_FILE = path.join(ROOT, 'build/bench-results.json')

interface Results {
  machine: string
  rows: Row[]
  series: Record<string, SeriesPoint[]>
  seconds: number
}

async function main() {
  // `--from-results` renders the report again from the last run's figures.
  if (process.argv.includes('--from-results')) {
    await writeReport(JSON.parse(fs.readFileSync(RESULTS_FILE, 'utf8')))

    return
  }

  const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7)
  const started = performance.now()
  const rows: Row[] = []
  const series: Record<string, SeriesPoint[]> = {}
  const selected = PROFILES.filter(
    (p) => !only || only.split(',').includes(p.name)
  )

  // Written after every profile, so that a run cut short still leaves its figures.
  const checkpoint = () => {
    fs.mkdirSync(path.join(ROOT, 'build'), { recursive: true })
    fs.writeFileSync(
      `${RESULTS_FILE}.partial`,
      JSON.stringify({
        machine: machine(),
        rows,
        series,
        seconds: (performance.now() - started) / 1000,
      })
    )
  }

  for (const profile of selected) {
    const measured = await runProfile(profile, DEFAULT_CEILING, SIZES)

    rows.push(...measured.map((m) => m.row))
    series[profile.name] = measured[measured.length - 1].series
    if (AT_MAX_CEILING.includes(profile.name)) {
      rows.push(
        ...(await runProfile(profile, MAX_CEILING, [Math.max(...SIZES)])).map(
          (m) => m.row
        )
      )
    }

    checkpoint()
  }

  if (!only || only.split(',').includes(JOB_PROFILE.name)) {
    for (const heapCapMb of [undefined, ...JOB_HEAP_CAPS_MB]) {
      rows.push(
        ...(
          await runProfile(JOB_PROFILE, DEFAULT_CEILING, [], {
            items: ASYNC_SIZE,
            heapCapMb,
          })
        ).map((m) => m.row)
      )
    }
  }

  let results: Results = {
    machine: machine(),
    rows,
    series,
    seconds: (performance.now() - started) / 1000,
  }

  // `--only=...` re-measures some profiles and keeps the last run's other rows.
  if (only && !quick && fs.existsSync(RESULTS_FILE)) {
    const last = JSON.parse(fs.readFileSync(RESULTS_FILE, 'utf8')) as Results
    const redone = new Set(rows.map((r) => r.profile))

    results = {
      ...last,
      rows: [...last.rows.filter((r) => !redone.has(r.profile)), ...rows].sort(
        (a, b) =>
          profileOrder(a.profile) - profileOrder(b.profile) ||
          a.ceiling - b.ceiling ||
          a.items - b.items
      ),
      series: { ...last.series, ...series },
      seconds: last.seconds + results.seconds,
    }
  }

  process.stdout.write(`\n${table(results.rows)}\n`)
  fs.mkdirSync(path.join(ROOT, 'build'), { recursive: true })
  fs.writeFileSync(RESULTS_FILE, JSON.stringify(results))

  const lost = rows.reduce((sum, r) => sum + r.lost, 0)
  const unaccounted = rows.filter((r) => r.succeeded + r.failed !== r.items)
  const failed = rows.filter((r) => r.failed > 0)

  if (lost > 0 || unaccounted.length > 0 || failed.length > 0) {
    process.stderr.write(
      `bench: ${lost} items lost; ${unaccounted.length} runs with unaccounted items; ${failed.length} runs with failed items\n`
    )
    process.exitCode = 1
  }

  if (quick) {
    process.stdout.write(
      `bench --quick: ${rows.length} runs, every item accounted for: ${
        lost === 0 && unaccounted.length === 0
      }\n`
    )

    return
  }

  await writeReport(results)
}

const profileOrder = (name: string) => {
  const at = [...FULL_PROFILES, JOB_PROFILE].findIndex((p) => p.name === name)

  return at < 0 ? Number.MAX_SAFE_INTEGER : at
}

function targetLines(rows: Row[]): string {
  const sync = rows.filter((r) => r.runner === 'sync' && r.items >= 1000)
  const worst = Math.min(...sync.map((r) => r.pctOfLimit))
  const worstRow = sync.find((r) => r.pctOfLimit === worst)
  const inWindow = rows.reduce((sum, r) => sum + r.inWindow, 0)
  const lost = rows.reduce((sum, r) => sum + r.lost + r.failed, 0)
  const maxRss = Math.max(...rows.map((r) => r.rssMb ?? Number.NaN))
  const slowest = Math.max(
    ...rows.filter((r) => r.runner === 'sync').map((r) => r.seconds)
  )
  const mark = (ok: boolean) => (ok ? 'met' : '**missed**')

  return [
    ['target', 'this run', ''],
    ['---', '---', '---'],
    [
      '>= 90% of the profile limit, batches >= 1,000 items',
      `${fixed(worst, 0)}% (worst: ${worstRow?.profile}, ${
        worstRow?.items
      } items, ceiling ${worstRow?.ceiling})`,
      mark(worst >= 90),
    ],
    ['Requests inside 429 windows', String(inWindow), mark(inWindow === 0)],
    [
      'Items failed or lost (breaker and 10% 503 rows included)',
      String(lost),
      mark(lost === 0),
    ],
    [
      'Slowest synchronous answer < 60 s route timeout',
      `${fixed(slowest, 1)} s`,
      mark(slowest < 60),
    ],
    [
      `Peak RSS < ${SERVICE_MEMORY_MB} MB (service.json), every row`,
      `${fixed(maxRss, 0)} MB`,
      mark(maxRss < SERVICE_MEMORY_MB),
    ],
  ]
    .map((cells) => `| ${cells.join(' | ')} |`)
    .join('\n')
}

async function writeReport(results: Results) {
  const { rows, series } = results
  const charts: string[] = []

  for (const profile of FULL_PROFILES) {
    const points = series[profile.name]

    if (!points?.length) continue
    const file = `bench-flow-${profile.name}.svg`
    // The Catalog's limit in requests/s (two calls per item), where the Catalog sets one.
    const catalogSetsLimit =
      profile.rateLimit || profile.catalog?.buckets || profile.catalog?.load
    const limit = catalogSetsLimit ? 2 * profile.limit(DEFAULT_CEILING) : null

    fs.writeFileSync(
      path.join(ROOT, 'dev-docs', file),
      await renderFlowChart(
        `${profile.name}: ${profile.description}`,
        points,
        limit
      )
    )
    charts.push(`### ${profile.name}\n\n![${profile.name}](${file})`)
  }

  const profiles = [...FULL_PROFILES, JOB_PROFILE]
    .map(
      (p) =>
        `- **${p.name}**: ${p.description}; limit ${fixed(
          p.limit(DEFAULT_CEILING),
          0
        )} items/s at the default ceiling`
    )
    .join('\n')

  const markdown = `# Benchmarks

Generated by \`npm run bench\` on ${new Date()
    .toISOString()
    .slice(0, 10)}, in ${fixed(results.seconds / 60, 0)} minutes.

- Machine: ${
    results.machine
  }. The emulator, the meter and the service share its cores with the load driver (and, during this run, with other work on the machine).
- Command: \`npm run bench\` (\`npm run bench -- --quick\` is the CI smoke variant; \`npm run bench -- --only=unlimited,breaker-5s\` runs some profiles; \`npm run bench -- --only=job-unlimited-fast --heap-caps=128,256\` runs the job rows, with those old-space caps; \`npm run bench -- --from-results\` re-renders this page from \`build/bench-results.json\`).
- The Catalog emulator and the service (the same runtime as \`npm start\`) each run in their own process. Every Catalog call goes through a meter, a pass-through proxy in the bench process that times it (p50/p99, the charts) and plays the header profiles by removing or renaming the emulator's \`Ratelimit-*\` headers.
- The service runs with its defaults (\`concurrency\` ${DEFAULT_CEILING}, the ceiling; no \`maxAttempts\`); rows with ceiling ${MAX_CEILING} run it at the maximum. Each profile gets a fresh service, warmed up with a ${WARMUP_ITEMS}-item batch on an unlimited Catalog (JIT warm, the controller knowing nothing of the limit); then, after ${
    WARMUP_IDLE_MS / 1000
  } s idle (past the controller's restart after idle), the 1,000-item batch meets the limit cold, and the 3,000-item batch follows with what the controller learned, as the next batch of a store would.
- Every run writes new scores, so every item costs one GET and one PUT.

## Profiles

${profiles}

The limit of a rate-limited profile is half its bucket rate in items/s (a GET and a PUT per item; per-endpoint buckets give the rate itself, less what another client takes; with both at once, the tighter of the two); of an unlimited one, the ceiling over two mean latencies; of a Catalog whose latency grows with load, its capacity (or the ceiling, if lower) over two mean latencies, since past its capacity more calls in flight only take longer. \`% of limit\` leaves out the 5 s a breaker phase makes unusable.

## Results

${table(rows)}

Columns: \`updated/s\` counts the items updated; \`429s\` are the service's calls answered 429 (at the meter); \`in 429 window\` counts requests that reached the emulator while a 429 penalty window was open, after its grace period (a request already sent when the window opened is not counted); \`p50 / p99 ms\` is the latency of the service's Catalog calls at the meter; \`peak RSS MB\` and \`CPU ms/item\` are the service process's (from /proc), per batch; \`CPU % of a core\` is the CPU each process used over the batch's wall time (100 is one core busy; this machine has ${
    results.machine.split(' x ')[0]
  } cores): the service, the emulator, and the bench process (the meter, the load driver and any other client). A row whose processes add up to the machine's cores is bound by the machine, not by the controller.

## Targets

${targetLines(rows)}

## Reading it

- The 1,000-item rows meet the limit cold. With no rate header, the only way to find a token bucket is to cross it: the first 429 opens a penalty window (about a second in which the bucket refills no faster than its burst allows) and the rate found then is an estimate, so a 10-second batch pays one or two windows, about 10-20% of its time. The 3,000-item rows run with what the controller learned, as the next batch of the same store would; that is the figure to compare with the target. The rows at ceiling 256 run on a fresh service too, so their one 3,000-item batch meets the limit cold.
- In a profile without a rate limit, the limit is the ceiling over two mean latencies: the service on this machine cannot always send that fast (it shares two cores with the emulator, the meter and the load driver), so those rows measure the machine as much as the controller.
- The in-window counter is the emulator's: a request that reached it more than 50 ms after a window opened. A request already on its way is not the controller's doing; the controller holds back calls that a 429 overtook before they reached the socket. The smoke run (\`--quick\`: 4 ms calls, a bucket of 400 req/s, a cold pool) often counts a few: logging the service's last check before each request showed that the ones the meter saw inside a window (12 in five runs) had all passed it before the service processed that window's first 429, and reached the meter 26-86 ms later, while the service, the meter and the emulator shared two cores at thousands of calls a second.
- \`account-and-endpoint\` runs the emulator's two buckets at once, as VTEX publishes them: a call needs a token from the account's bucket and from its endpoint's, and either may answer the 429. \`load-latency\` has no bucket at all: only latency tells the controller it sends too much.
- Memory: \`peak RSS MB\` is the service process's VmHWM over the batch. The live heap of a job is small (about 35-40 MB after a full GC, mostly the modules' code); the rest of the peak is garbage not yet collected. With default flags V8 sizes its heap from the machine's memory (see Machine above) and may then let old space grow to four times what survived the last full GC before the next one; on such a heap the service bounds that growth to half of what survived (\`node/heap.ts\`, V8's \`--heap-growing-percent=50\` set at start-up). The job rows \`--max-old-space-size=N\` run the same job with the service's old space capped, which also makes V8 grow it by a smaller factor. Node sizes the heap from a cgroup memory limit when the process has one (\`SetIsolateCreateParamsForNode\` in nodejs/node \`src/api/environment.cc\`); VTEX's documentation of \`memory\` in service.json does not say whether a replica runs in such a limit, nor whether an app may set node flags.

## Charts

Each chart is the largest batch of its profile: Catalog requests/s and 429s/s against the limit (top), calls in flight (bottom), in 250 ms steps.

${charts.join('\n\n')}
`

  fs.writeFileSync(path.join(ROOT, 'dev-docs/BENCHMARKS.md'), markdown)
  process.stdout.write('wrote dev-docs/BENCHMARKS.md\n')
}

main().catch((error) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? error.stack : String(error)}\n`
  )
  process.exit(1)
})
