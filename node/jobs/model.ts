import type { CatalogKind } from '../clients/catalog'

/** Who started a job: a user's login or an app key's name, never a secret. */
export interface JobOwner {
  /** `app`: another VTEX IO app, by its app token; `login` is what VTEX ID calls it. */
  kind: 'user' | 'appKey' | 'app'
  login: string
}

/** `job.json`: written once, when the job is created, never changed. */
export interface JobDefinition {
  id: string
  kind: CatalogKind
  account: string
  dryRun: boolean
  /** `?allowFieldDrift=true` when the job was created: write even when the Catalog will change other fields. */
  allowFieldDrift?: boolean
  total: number
  chunkSize: number
  chunks: number
  createdAt: string
  /** The job and all its files are gone after this (VBase TTL). */
  expiresAt: string
  startedBy: JobOwner
  /** sha256 of the validated items, kind and dryRun: what an Idempotency-Key replay must match. */
  bodyHash: string
  /** Set on an undo job: the job it undoes. */
  undoOf?: string
}

/**
 * `failed`: the Catalog was down for the whole chunk (an outage); its
 * results are kept, the job is failed, and a resume claims the chunk again.
 */
export type ChunkPhase = 'pending' | 'running' | 'done' | 'failed'

/** What stopped a job: the Catalog's status, a code and a message. */
export interface JobFailure {
  status: number
  /** UNAUTHORIZED or FORBIDDEN (the app's credentials), or CATALOG_UNAVAILABLE (an outage). */
  code: string
  message: string
}

/** Counts of a chunk's outcomes: UPDATED, UNCHANGED, DRY_RUN, or a failure code. */
export type OutcomeCounts = Record<string, number>

/** `chunks/{n}/state.json`: the chunk's lease and result, only ever replaced with If-Match. */
export interface ChunkState {
  chunk: number
  phase: ChunkPhase
  /** Claims so far; results of claim n are in `results-{n}.json`. */
  attempt: number
  /** The replica holding the lease while running. */
  owner?: string
  /** Epoch ms: after this a running chunk's lease may be taken over. */
  leaseUntil?: number
  startedAt?: string
  heartbeatAt?: string
  finishedAt?: string
  /** Once done: the outcome of every item of the chunk. */
  counts?: OutcomeCounts
  /** Once done or failed: what stopped the chunk (a 401/403, or an outage), when something did. */
  failure?: JobFailure
  /** Stored before typed failures: the 401/403 that stopped the chunk. Read only. */
  stoppedBy?: number
  /**
   * Set while a chunk runs over several events (slices): the items whose
   * outcome is final so far are in `results-{attempt}.json` of this
   * checkpoint's attempt; the next slice runs the others.
   */
  checkpoint?: SliceCheckpoint
}

/** What the slices of a chunk have done so far. */
export interface SliceCheckpoint {
  /** The claim whose results file holds the items done so far. */
  attempt: number
  /** Items of the chunk with a final outcome. */
  done: number
  counts: OutcomeCounts
  /** Epoch ms since which slices made no item succeed (an outage): the item retry window runs from it. */
  stuckSince?: number
  at: string
}

/** `cancel.json`: chunks not started after it are not run. */
export interface CancelMark {
  at: string
  by: JobOwner
}

/** `final.json`: written by whoever finishes the job; a resume of a resumable failure removes it. */
export interface JobFinal {
  status: 'done' | 'failed'
  finishedAt: string
  error?: JobFailure
  /** A failure a resume may take up again (an outage, not a credential refusal). */
  resumable?: boolean
}

/** The body of a chunk event. */
export interface ChunkEvent {
  jobId: string
  chunk: number
}

export const CHUNK_EVENT_KEY = 'score-job-chunk'

/**
 * A job past its retention is gone, whether or not VBase has dropped its
 * files yet: its writes carry X-VTEX-TTL, which VTEX documents only for
 * files @vtex/api saves as content (`saveFile`), on the same file route.
 */
export const isExpired = (job: Pick<JobDefinition, 'expiresAt'>, now: number) =>
  Date.parse(job.expiresAt) <= now
