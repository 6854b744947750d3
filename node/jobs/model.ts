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

export type ChunkPhase = 'pending' | 'running' | 'done'

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
  /** Once done: the status that stopped the batch (401/403), when it stopped. */
  stoppedBy?: number
}

/** `cancel.json`: chunks not started after it are not run. */
export interface CancelMark {
  at: string
  by: JobOwner
}

/** `final.json`: written by whoever finishes the job. */
export interface JobFinal {
  status: 'done' | 'failed'
  finishedAt: string
  error?: { status: number; code: string; message: string }
}

/** The body of a chunk event. */
export interface ChunkEvent {
  jobId: string
  chunk: number
}

export const CHUNK_EVENT_KEY = 'score-job-chunk'
