/**
 * The profile matrix: for each profile a fresh emulator, meter and service,
 * warmed up; then this app's batches, the peers' batches of the cold size,
 * the rows at the maximum ceiling and the async job rows.
 */
import { SAMPLE_CREDENTIALS } from '../catalogEmulator/auth'
import { spawnCatalogEmulator } from '../catalogEmulator/spawn'
import { spawnService } from '../spawnService'
import { asyncJob, syncBatch } from './drivers/app'
import {
  readFlowMemory,
  removeFlowMemory,
  StoredMemory,
  writeAgedFlowMemory,
} from './drivers/flowMemory'
import { makeItems } from './drivers/items'
import { Peer, PEERS } from './drivers/peers'
import { progressLine } from './format'
import { Measured, measure, Row, Setup } from './measure'
import { startMeter, SeriesPoint } from './meter'
import { BenchOptions, DEFAULT_CEILING, MAX_CEILING, selected } from './options'
import { JOB_PROFILE, Profile } from './profiles'

interface JobRun {
  items: number
  /** The service runs under NODE_OPTIONS=--max-old-space-size=<this>. */
  heapCapMb?: number
}

/** Batches on a fresh replica (a second process that never met the Catalog), after idle. */
interface ColdReplicaRun {
  items: number
  /** The first replica's memory is aged to this before the fresh replica starts. */
  memoryAgeMs: number
  /** Also a fresh replica with no memory at all: the app before warm start. */
  withoutMemory: boolean
  gapMs: number
}

interface ProfileRun {
  ceiling: number
  sizes: number[]
  coldReplicas?: ColdReplicaRun
  job?: JobRun
  /** The peers run after this app's batches, on this many items each. */
  peers?: { drivers: Peer[]; items: number; gapMs: number }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The memory the service wrote of what it learned up to `since` (its last
 * batch's end): written once it is idle, 5 to 30 s after its last write.
 */
async function memoryAfter(
  emulatorUrl: string,
  since: number
): Promise<StoredMemory> {
  for (let waited = 0; waited < 40_000; waited += 250) {
    const memory = await readFlowMemory(emulatorUrl)

    if (memory && memory.measuredAt >= since) return memory
    await sleep(250)
  }

  throw new Error('the service wrote no flow memory after its last batch')
}

const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`

async function measured(
  results: Measured[],
  pending: Promise<Measured>
): Promise<void> {
  const result = await pending

  results.push(result)
  process.stdout.write(progressLine(result.row))
}

/** One profile at one ceiling: a fresh emulator, meter and service, warmed up, then each batch. */
async function runProfile(
  profile: Profile,
  run: ProfileRun,
  options: BenchOptions
): Promise<Measured[]> {
  const { ceiling, sizes, job, peers } = run
  const maxSize = Math.max(
    ...sizes,
    job?.items ?? 0,
    peers?.items ?? 0,
    run.coldReplicas?.items ?? 0,
    options.warmupItems
  )
  const emulator = await spawnCatalogEmulator({
    seed: { products: maxSize, categories: 5 },
    latency: profile.latency,
  })
  const meter = await startMeter(emulator.url)
  const [appKey, { token: appToken }] = Object.entries(
    SAMPLE_CREDENTIALS.appKeys
  )[0]
  const serviceEnv = {
    CATALOG_URL: meter.url,
    VBASE_PROXY_URL: emulator.url,
    CONCURRENCY: String(ceiling),
    // Job chunks run with the app's credentials, as events deliver them.
    VTEX_APP_KEY: appKey,
    VTEX_APP_TOKEN: appToken,
    ...(job?.heapCapMb
      ? { NODE_OPTIONS: `--max-old-space-size=${job.heapCapMb}` }
      : {}),
  }
  const service = await spawnService(serviceEnv)

  // The emulator's events bus delivers the job's chunk events to this replica.
  await fetch(`${emulator.url}/_emulator/subscribers`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ urls: [service.runtimeUrl] }),
  })
  const setup: Setup = { emulator, service, meter }
  const results: Measured[] = []

  try {
    // Warm the JIT on an unlimited Catalog: the controller learns its
    // latency, nothing about the profile's limit.
    await emulator.configure({ rateLimit: null, faults: null, profile: null })
    await syncBatch(service, makeItems(options.warmupItems))
    // Without an idle time the controller would still measure the warm-up's
    // rate, and the first batch would meet a limit that appears under a
    // running pool rather than a cold one.
    await sleep(options.warmupIdleMs)

    let lastBatchEnd = Date.now()

    for (const size of sizes) {
      const items = makeItems(size)

      await measured(
        results,
        measure(profile, ceiling, 'sync', items, setup, () =>
          syncBatch(service, items)
        )
      )
      lastBatchEnd = Date.now()
    }

    if (run.coldReplicas) {
      const {
        items: size,
        memoryAgeMs,
        withoutMemory,
        gapMs,
      } = run.coldReplicas
      const learned = await memoryAfter(emulator.url, lastBatchEnd - 1000)

      process.stdout.write(
        `${profile.name}: the first replica's flow memory: ${JSON.stringify(
          learned
        )}\n`
      )
      const onFreshReplica = async (runner: string) => {
        const replica = await spawnService(serviceEnv)
        const items = makeItems(size)

        try {
          // The bucket refills and any penalty window closes.
          await sleep(gapMs)
          await measured(
            results,
            measure(
              profile,
              ceiling,
              runner,
              items,
              { ...setup, service: replica },
              () => syncBatch(replica, items)
            )
          )
        } finally {
          await replica.close()
        }
      }

      await writeAgedFlowMemory(emulator.url, learned, memoryAgeMs)
      await onFreshReplica(
        `${COLD_REPLICA}, memory ${minutes(memoryAgeMs)} old`
      )
      if (withoutMemory) {
        await removeFlowMemory(emulator.url)
        await onFreshReplica(`${COLD_REPLICA}, no memory`)
      }
    }

    for (const peer of peers?.drivers ?? []) {
      const items = makeItems(peers?.items ?? 0)

      // The bucket refills and any penalty window closes, as between two scripts.
      await sleep(peers?.gapMs ?? 0)
      await measured(
        results,
        measure(
          profile,
          ceiling,
          peer.label,
          items,
          setup,
          () => peer.run(meter.url, items),
          peer.name
        )
      )
    }

    if (job) {
      const items = makeItems(job.items)

      await measured(
        results,
        measure(
          profile,
          ceiling,
          job.heapCapMb
            ? `async job, --max-old-space-size=${job.heapCapMb}`
            : 'async job',
          items,
          setup,
          () => asyncJob(service, items)
        )
      )
    }
  } finally {
    await service.close()
    await meter.close()
    await emulator.close()
  }

  return results
}

/** The runner of a batch on a fresh replica: the label the report finds its rows by. */
export const COLD_REPLICA = 'sync, fresh replica after idle'

export interface MatrixResults {
  rows: Row[]
  /** Per profile, the time series of this app's largest batch. */
  series: Record<string, SeriesPoint[]>
}

/**
 * Every selected profile in turn; `checkpoint` is called after each one,
 * so that a run cut short still leaves its figures.
 */
export async function runMatrix(
  options: BenchOptions,
  checkpoint: (partial: MatrixResults) => void
): Promise<MatrixResults> {
  const rows: Row[] = []
  const series: Record<string, SeriesPoint[]> = {}

  for (const profile of options.profiles.filter((p) =>
    selected(options, p.name)
  )) {
    const measuredRows = await runProfile(
      profile,
      {
        ceiling: DEFAULT_CEILING,
        sizes: options.sizes,
        ...(options.coldReplicaProfiles.includes(profile.name)
          ? { coldReplicas: options.coldReplicas }
          : {}),
        peers: {
          drivers: PEERS,
          items: options.peerItems,
          gapMs: options.peerGapMs,
        },
      },
      options
    )

    rows.push(...measuredRows.map((m) => m.row))
    const largest = measuredRows.filter((m) => m.row.runner === 'sync')

    series[profile.name] = largest[largest.length - 1].series
    if (options.atMaxCeiling.includes(profile.name)) {
      rows.push(
        ...(
          await runProfile(
            profile,
            { ceiling: MAX_CEILING, sizes: [Math.max(...options.sizes)] },
            options
          )
        ).map((m) => m.row)
      )
    }

    checkpoint({ rows, series })
  }

  if (selected(options, JOB_PROFILE.name)) {
    for (const heapCapMb of [undefined, ...options.jobHeapCapsMb]) {
      rows.push(
        ...(
          await runProfile(
            JOB_PROFILE,
            {
              ceiling: DEFAULT_CEILING,
              sizes: [],
              job: { items: options.asyncSize, heapCapMb },
            },
            options
          )
        ).map((m) => m.row)
      )
    }
  }

  return { rows, series }
}
