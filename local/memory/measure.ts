/**
 * `npm run measure:memory`: what one replica's memory must hold. For each
 * heap (`--heaps=host,256,128`: `host` leaves V8 to size the heap from this
 * machine, a number runs the service under NODE_OPTIONS=--max-old-space-size
 * of that many MB), a fresh emulator and service run a 100,000-item async job
 * on the events path while four readers walk the job's results pages and ask
 * for its report.csv (409 until the job ends); once it ends, each reader
 * downloads the whole report three times, the four at once. The service's
 * peak RSS (VmHWM), heap and GC pauses (from ./probe) and whether it died
 * of an exhausted heap make one row. Results: build/memory-results.json.
 * Options: `--items=`, `--readers=`, `--reads=` (downloads per reader after the job).
 */
import fs from 'fs'
import os from 'os'
import path from 'path'
import { performance } from 'perf_hooks'

import service from '../../node/service.json'
import { CREDENTIAL, makeItems } from '../bench/drivers/items'
import { DEFAULT_CEILING } from '../bench/options'
import { peakRssMb } from '../bench/procStats'
import { JOB_PROFILE } from '../bench/profiles'
import { SAMPLE_CREDENTIALS } from '../catalogEmulator/auth'
import { spawnCatalogEmulator } from '../catalogEmulator/spawn'
import { spawnService, SpawnedService } from '../spawnService'
import type { ProbeReading } from './probe'
import { readReport } from './readReport'

const PRODUCT_PATH = '/_v/massive/product/score/update'
/** A variant that runs longer than this is stopped and reported as such. */
const VARIANT_TIMEOUT_MS = 8 * 60_000

export interface MemoryRow {
  /** `host` (V8 sized from this machine) or the old-space cap in MB. */
  heap: string
  heapLimitMb: number | null
  outcome: string
  jobSeconds: number | null
  /** VmHWM when the job ended (the job and the readers of its pages). */
  peakRssJobMb: number | null
  /** VmHWM over the replica's whole life, the report downloads included. */
  peakRssMb: number | null
  peakHeapUsedMb: number | null
  peakLiveMb: number | null
  peakExternalMb: number | null
  majorGcCount: number | null
  gcPauseMs: number | null
  maxGcPauseMs: number | null
  /** Full report.csv downloads completed, and the report's size. */
  reportReads: number
  reportMb: number | null
  /** Results pages the readers read while the job ran. */
  resultPages: number
  wallSeconds: number
}

interface Options {
  heaps: Array<number | null>
  items: number
  readers: number
  reads: number
}

function parseOptions(argv: string[]): Options {
  const value = (name: string) =>
    argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)
  const heaps = (value('heaps') ?? 'host,256,128')
    .split(',')
    .filter(Boolean)
    .map((h) => (h === 'host' ? null : Number(h)))

  if (heaps.some((h) => h !== null && !(h > 0)))
    throw new Error('--heaps= takes `host` or MB numbers, comma-separated')

  return {
    heaps,
    items: Number(value('items') ?? 100_000),
    readers: Number(value('readers') ?? 4),
    reads: Number(value('reads') ?? 3),
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const getJson = async (url: string) =>
  (await (await fetch(url, { headers: CREDENTIAL })).json()) as Record<
    string,
    unknown
  >

async function runVariant(
  capMb: number | null,
  options: Options,
  workDir: string
): Promise<MemoryRow> {
  const started = performance.now()
  const probeFile = path.join(workDir, `probe-${capMb ?? 'host'}.json`)
  const emulator = await spawnCatalogEmulator({
    seed: { products: options.items, categories: 5 },
    latency: JOB_PROFILE.latency,
  })
  const [appKey, { token: appToken }] = Object.entries(
    SAMPLE_CREDENTIALS.appKeys
  )[0]
  const nodeOptions = [
    `--require ${JSON.stringify(path.join(__dirname, 'probe.js'))}`,
    ...(capMb ? [`--max-old-space-size=${capMb}`] : []),
  ].join(' ')
  let replica: SpawnedService | undefined
  const row: MemoryRow = {
    heap: capMb ? `--max-old-space-size=${capMb}` : 'host',
    heapLimitMb: null,
    outcome: 'ok',
    jobSeconds: null,
    peakRssJobMb: null,
    peakRssMb: null,
    peakHeapUsedMb: null,
    peakLiveMb: null,
    peakExternalMb: null,
    majorGcCount: null,
    gcPauseMs: null,
    maxGcPauseMs: null,
    reportReads: 0,
    reportMb: null,
    resultPages: 0,
    wallSeconds: 0,
  }
  // Sampled, so that a replica that dies still leaves its last peak.
  let lastPeak: number | null = null
  const sampler = setInterval(() => {
    try {
      if (replica) lastPeak = peakRssMb(replica.pid)
    } catch {
      // The replica is gone; its last reading stands.
    }
  }, 100)

  try {
    replica = await spawnService({
      CATALOG_URL: emulator.url,
      VBASE_PROXY_URL: emulator.url,
      CONCURRENCY: String(DEFAULT_CEILING),
      VTEX_APP_KEY: appKey,
      VTEX_APP_TOKEN: appToken,
      NODE_OPTIONS: nodeOptions,
      MEMORY_PROBE_FILE: probeFile,
    })
    const { url } = replica

    await fetch(`${emulator.url}/_emulator/subscribers`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ urls: [replica.runtimeUrl] }),
    })

    const queued = (await (
      await fetch(`${url}${PRODUCT_PATH}?async=true`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json', ...CREDENTIAL },
        body: JSON.stringify(makeItems(options.items)),
      })
    ).json()) as { statusUrl: string }
    const jobUrl = `${url}${queued.statusUrl}`
    const jobStarted = performance.now()
    let running = true

    // While the job runs: every reader walks the results pages, then asks for the report.
    const whileRunning = async () => {
      while (running) {
        for (let cursor: unknown = '0'; running && cursor !== undefined; ) {
          const page = await getJson(
            `${jobUrl}/results?cursor=${cursor}&limit=1000`
          )

          row.resultPages += 1
          cursor = page.nextCursor
        }
        const early = await fetch(`${jobUrl}/report.csv`, {
          headers: CREDENTIAL,
        })

        await early.arrayBuffer()
        await sleep(100)
      }
    }
    const readers = Array.from({ length: options.readers }, whileRunning)

    for (;;) {
      const { status } = await getJson(jobUrl)

      if (['done', 'failed', 'cancelled'].includes(String(status))) break
      if (performance.now() - started > VARIANT_TIMEOUT_MS)
        throw new Error('timeout')
      await sleep(500)
    }
    row.jobSeconds = (performance.now() - jobStarted) / 1000
    running = false
    await Promise.all(readers)
    row.peakRssJobMb = peakRssMb(replica.pid)

    // Once it ends: every reader downloads the whole report, the readers at once.
    await Promise.all(
      Array.from({ length: options.readers }, async () => {
        for (let i = 0; i < options.reads; i += 1) {
          const read = await readReport(`${jobUrl}/report.csv`, CREDENTIAL)

          if (read.status !== 200 || read.lines !== options.items + 1)
            throw new Error(
              `report answered ${read.status} with ${read.lines} lines`
            )
          row.reportReads += 1
          row.reportMb = read.bytes / 1e6
        }
      })
    )
    row.peakRssMb = peakRssMb(replica.pid)
  } catch (error) {
    const output = replica?.output() ?? ''

    row.outcome = /heap out of memory|Allocation failed/.test(output)
      ? 'OOM (V8 heap)'
      : `failed: ${error instanceof Error ? error.message : String(error)}`
    row.peakRssMb = lastPeak
  } finally {
    clearInterval(sampler)
    await replica?.close()
    await emulator.close()
  }

  if (fs.existsSync(probeFile)) {
    const probe = JSON.parse(fs.readFileSync(probeFile, 'utf8')) as ProbeReading

    row.heapLimitMb = probe.heapLimitMb
    row.peakHeapUsedMb = probe.peakHeapUsedMb
    row.peakLiveMb = probe.peakLiveMb
    row.peakExternalMb = probe.peakExternalMb
    row.majorGcCount = probe.majorGcCount
    row.gcPauseMs = probe.gcPauseMs
    row.maxGcPauseMs = probe.maxGcPauseMs
  }

  row.wallSeconds = (performance.now() - started) / 1000

  return row
}

const mb = (value: number | null) => (value === null ? '-' : value.toFixed(0))

export function markdownTable(rows: MemoryRow[]): string {
  const header =
    '| heap | V8 heap limit MB | outcome | job s | peak RSS MB, job | peak RSS MB, with report reads | peak heap used MB | largest live heap MB | peak external MB | major GCs | GC pauses ms (sum / max) | report reads | wall s |'
  const rule = `|${' --- |'.repeat(13)}`
  const lines = rows.map(
    (r) =>
      `| ${r.heap} | ${mb(r.heapLimitMb)} | ${r.outcome} | ${
        r.jobSeconds === null ? '-' : r.jobSeconds.toFixed(0)
      } | ${mb(r.peakRssJobMb)} | ${mb(r.peakRssMb)} | ${mb(
        r.peakHeapUsedMb
      )} | ${mb(r.peakLiveMb)} | ${mb(r.peakExternalMb)} | ${
        r.majorGcCount ?? '-'
      } | ${mb(r.gcPauseMs)} / ${mb(r.maxGcPauseMs)} | ${
        r.reportReads
      } | ${r.wallSeconds.toFixed(0)} |`
  )

  return [header, rule, ...lines].join('\n')
}

async function main() {
  const options = parseOptions(process.argv.slice(2))
  const buildDir = path.resolve(__dirname, '../..')
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'memory-'))
  const machine = `${os.cpus().length} cores, ${(
    os.totalmem() /
    2 ** 30
  ).toFixed(0)} GB, Node ${process.version}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} at start`

  process.stdout.write(
    `${options.items} items, ${options.readers} readers, ${options.reads} report downloads each after the job; service.json memory ${service.memory} MB; ${machine}\n`
  )
  const rows: MemoryRow[] = []

  for (const capMb of options.heaps) {
    const row = await runVariant(capMb, options, workDir)

    rows.push(row)
    process.stdout.write(
      `${row.heap}: ${row.outcome}, peak RSS ${mb(row.peakRssMb)} MB, ${mb(
        row.jobSeconds
      )} s job\n`
    )
    fs.writeFileSync(
      path.join(buildDir, 'memory-results.json'),
      `${JSON.stringify({ options, machine, rows }, null, 2)}\n`
    )
  }

  fs.rmSync(workDir, { recursive: true, force: true })
  process.stdout.write(`\n${markdownTable(rows)}\n`)
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : error}\n`)
    process.exit(1)
  })
}
