/**
 * What a bench run measures, from its command line: `--quick` (the CI smoke
 * run), `--only=<profile>,...`, `--heap-caps=<MB>,...` and `--from-results`.
 */
import service from '../../node/service.json'
import { FULL_PROFILES, Profile, QUICK_PROFILES } from './profiles'

/** The service's default `concurrency`, the ceiling every profile's limit is taken at. */
export const DEFAULT_CEILING = 150
export const MAX_CEILING = 256
/** service.json's `memory`. */
export const SERVICE_MEMORY_MB: number = service.memory

export interface BenchOptions {
  quick: boolean
  /** Re-render the report from the last run's figures, measuring nothing. */
  fromResults: boolean
  /** `--only=a,b`: the profiles to measure; undefined measures them all. */
  only?: string[]
  profiles: Profile[]
  /** The synchronous batch sizes the service runs, in order, per profile. */
  sizes: number[]
  warmupItems: number
  /** Longer than the controller's restart after idle (1 s): the first batch then meets the limit cold. */
  warmupIdleMs: number
  /** Profiles run again with `concurrency` at its maximum. */
  atMaxCeiling: string[]
  asyncSize: number
  /**
   * The job row runs again with the service's V8 old space capped (full run
   * only): what `--max-old-space-size` does to peak RSS, time and CPU.
   * `--heap-caps=128,192` picks the caps (`--heap-caps=` runs none).
   */
  jobHeapCapsMb: number[]
  /** Items each peer driver updates per profile: the size of the service's cold batch. */
  peerItems: number
  /** Idle time before each peer's batch, so that a bucket refills and no penalty window is left open. */
  peerGapMs: number
  /** Profiles that also run batches on a fresh replica after idle, with and without memory. */
  coldReplicaProfiles: string[]
  coldReplicas: {
    items: number
    memoryAgeMs: number
    withoutMemory: boolean
    gapMs: number
  }
}

export function parseOptions(argv: string[]): BenchOptions {
  const quick = argv.includes('--quick')
  const only = argv.find((a) => a.startsWith('--only='))?.slice(7)
  const heapCaps = argv
    .find((a) => a.startsWith('--heap-caps='))
    ?.slice('--heap-caps='.length)
  // Quick: the second batch meets the bucket, so the fresh replica has a rate to start from.
  const sizes = quick ? [100, 300] : [1000, 3000]

  return {
    quick,
    fromResults: argv.includes('--from-results'),
    only: only ? only.split(',') : undefined,
    profiles: quick ? QUICK_PROFILES : FULL_PROFILES,
    sizes,
    warmupItems: quick ? 50 : 400,
    warmupIdleMs: 2000,
    atMaxCeiling: quick ? [] : ['bucket-no-headers', 'unlimited'],
    asyncSize: quick ? 300 : 100_000,
    jobHeapCapsMb:
      heapCaps !== undefined
        ? heapCaps.split(',').filter(Boolean).map(Number)
        : quick
        ? []
        : [128],
    peerItems: sizes[0],
    peerGapMs: quick ? 500 : 2000,
    // Every rate-limited profile: warm start is what a replica knows of a limit.
    coldReplicaProfiles: (quick ? QUICK_PROFILES : FULL_PROFILES)
      .filter((p) => p.rateLimit || p.catalog?.buckets)
      .map((p) => p.name),
    coldReplicas: {
      items: quick ? 200 : 1500,
      // Minutes old, as between a store's batches; the quick run checks only that it works.
      memoryAgeMs: 3 * 60_000,
      withoutMemory: !quick,
      gapMs: quick ? 500 : 2000,
    },
  }
}

/** Whether `--only` lets this profile run. */
export const selected = (options: BenchOptions, name: string) =>
  !options.only || options.only.includes(name)
