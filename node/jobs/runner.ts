import type { Clock } from '../bulk/clock'
import type { CatalogClient } from '../clients/catalog'
import type { CallerCredentials } from '../clients/credentials'
import type { ScoreSettings } from '../settings'
import type { SendEvent } from './create'
import type { JobFiles } from './files'

/** What every part of a chunk's run (claim, lease, slice, chain) works with on this replica. */
export interface ChunkRunner {
  files: JobFiles
  sendEvent: SendEvent
  catalog: Pick<CatalogClient, 'read' | 'write'>
  /** The app's own credentials: a job never holds a caller's. */
  credentials: CallerCredentials
  settings: ScoreSettings
  clock: Clock
  /** This replica (worker process), as written in a lease. */
  owner: string
  /** How long a claim holds without a heartbeat; renewed every third of it. */
  leaseMs: number
  /**
   * How far replicas' clocks may disagree: a lease is taken over only this
   * long after its `leaseUntil`, so a holder whose clock runs behind has
   * stopped calling the Catalog by then (0 when absent).
   */
  clockSkewMs?: number
  ttlSec: number
  /** How long an item's retryable failures are retried (default: JOB_ITEM_RETRY_WINDOW_MS). */
  itemRetryWindowMs?: number
  /** How long one event runs a chunk before it checkpoints and sends the chunk's event again (default 20 s). */
  sliceMs?: number
  /** Chunks this process runs now (`jobId:chunk`), so a duplicate delivery here returns at once. */
  runningHere: Set<string>
}

export type ChunkOutcome =
  /** The chunk ran here, and its results are stored. */
  | 'ran'
  /** A slice of the chunk ran here: checkpointed, and the chunk's event sent again for the rest. */
  | 'sliced'
  /** Already done (a redelivery): only the next event was sent again. */
  | 'skipped'
  /** Another replica holds a live lease on it and is running it. */
  | 'held'
  /** The job was cancelled before the chunk started. */
  | 'cancelled'
  /** The job failed on this chunk (an outage) and was not resumed: nothing ran. */
  | 'failed'
  /** No such job or chunk (expired, or never stored). */
  | 'gone'
