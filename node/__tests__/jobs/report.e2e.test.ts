import fs from 'fs'

import {
  CatalogEmulator,
  startCatalogEmulator,
} from '../../../local/catalogEmulator'
import { readReport } from '../../../local/memory/readReport'
import { spawnService, SpawnedService } from '../../../local/spawnService'
import service from '../../service.json'
import {
  APP_KEY,
  APP_KEY_ENTRY,
  PRODUCT_PATH,
  USER_TOKEN,
} from '../helpers/e2e'

const AUTH = { VtexIdclientAutCookie: USER_TOKEN }
const JOBS = '/_v/massive/score/jobs'
const ITEMS = 100_000
const READERS = 4

const rssMb = (pid: number) => {
  const match = /VmRSS:\s+(\d+) kB/.exec(
    fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  )

  return match ? Number(match[1]) / 1024 : NaN
}

let emulator: CatalogEmulator
let replica: SpawnedService

beforeAll(async () => {
  emulator = await startCatalogEmulator({
    seed: { products: 20_000, categories: 1 },
  })
  replica = await spawnService({
    CATALOG_URL: emulator.url,
    VBASE_PROXY_URL: emulator.url,
    VTEX_APP_KEY: APP_KEY,
    VTEX_APP_TOKEN: APP_KEY_ENTRY.token,
    CONCURRENCY: '32',
    JOB_CHUNK_SIZE: '1000',
  })
  emulator.events.setSubscribers([replica.runtimeUrl])
})

afterAll(async () => {
  await replica.close()
  await emulator.close()
})

it(`streams the CSV report of a ${ITEMS.toLocaleString(
  'en'
)}-item job to ${READERS} readers at once in constant memory`, async () => {
  // A dry run reads every item and writes none: 20,000 found, 80,000 answered 404, a row each.
  const batch = Array.from({ length: ITEMS }, (_, i) => ({
    id: i + 1,
    score: 999_999,
  }))
  const queued = await fetch(
    `${replica.url}${PRODUCT_PATH}?async=true&dryRun=true`,
    {
      method: 'PUT',
      headers: { ...AUTH, 'Content-Type': 'application/json' },
      body: JSON.stringify(batch),
    }
  )
  const { jobId } = (await queued.json()) as { jobId: string }

  expect(queued.status).toBe(202)
  for (;;) {
    const summary = (await (
      await fetch(`${replica.url}${JOBS}/${jobId}`, { headers: AUTH })
    ).json()) as any

    if (summary.status === 'done') {
      expect(summary.counts).toEqual({ DRY_RUN: 20_000, NOT_FOUND: 80_000 })
      // The summary stays small however large the job.
      expect(JSON.stringify(summary).length).toBeLessThan(2000)
      break
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
  }

  // Any replica answers reads: measure one that did not run the job, whose heap is the reads' alone.
  const runnerRss = rssMb(replica.pid)
  const reader = await spawnService({
    CATALOG_URL: emulator.url,
    VBASE_PROXY_URL: emulator.url,
    // V8 sized to the container: without a cap, Node lets garbage grow the heap far past 256 MB
    // before a major GC (4 readers reached 290 MB RSS, flat at 190 MB with this cap).
    NODE_OPTIONS: process.env.READER_NODE_OPTIONS ?? '--max-old-space-size=96',
  })

  // Lines: the header and a row per item.
  const read = () =>
    readReport(`${reader.url}${JOBS}/${jobId}/report.csv`, AUTH)

  /** Peak RSS of the service while `readers` clients read the report at once. */
  const round = async (readers: number) => {
    const before = rssMb(reader.pid)
    let peak = before
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, rssMb(reader.pid))
      } catch {
        // The reader is gone: its reads fail below and say why.
      }
    }, 20)
    const reads = await Promise.all(Array.from({ length: readers }, read))
      .catch((error) => {
        throw new Error(
          `${readers} reader(s): ${error}; the reader's last output:\n${reader
            .output()
            .slice(-3000)}`
        )
      })
      .finally(() => clearInterval(sampler))
    for (const result of reads) {
      expect(result.status).toBe(200)
      expect(result.lines).toBe(ITEMS + 1)
    }

    return { readers, before, peak, mb: reads[0].bytes / 1e6 }
  }

  // One reader, then four at once, twice: memory must not grow with readers or reads.
  const rounds = [await round(1), await round(READERS), await round(READERS)]

  await reader.close()

  process.stdout.write(
    `CSV report of ${ITEMS} items (${rounds[0].mb.toFixed(1)} MB): ${rounds
      .map(
        (r) =>
          `${r.readers} reader(s): RSS ${r.before.toFixed(
            0
          )} -> peak ${r.peak.toFixed(0)} MB`
      )
      .join('; ')}; the replica that ran the job: RSS ${runnerRss.toFixed(
      0
    )} MB (service.json memory ${service.memory} MB)\n`
  )
  const peak = Math.max(...rounds.map((r) => r.peak))

  expect(peak).toBeLessThan(service.memory)
  // Reading the whole report again does not raise the peak: nothing accumulates per read.
  expect(rounds[2].peak).toBeLessThan(rounds[1].peak * 1.15)
}, 300_000)
