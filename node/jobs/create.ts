import { createHash } from 'crypto'
import pLimit from 'p-limit'

import type { Clock } from '../bulk/clock'
import type { CatalogKind } from '../clients/catalog'
import type { ScoreItem } from '../scores/validate'
import { JobFiles, jobPaths } from './files'
import { claimKey, commitKey, keyHashOf } from './idempotency'
import {
  CHUNK_EVENT_KEY,
  ChunkEvent,
  ChunkState,
  JobDefinition,
  JobOwner,
} from './model'

/** Sends an IO event (ctx.clients.events.sendEvent in the service). */
export type SendEvent = (key: string, body: ChunkEvent) => Promise<unknown>

export interface JobLimits {
  chunkSize: number
  /** How long a job is kept, in seconds (the TTL of every file). */
  retentionSec: number
  /** VBase writes in flight at once while storing the chunks. */
  writeConcurrency: number
  /** An Idempotency-Key claim not committed after this long is taken over (its creator died). */
  creationGraceMs?: number
}

/** Attempts at a job's first event, and the wait before the second (doubling after). */
export const FIRST_EVENT_ATTEMPTS = 4
export const FIRST_EVENT_BACKOFF_MS = 250

/**
 * Sends a job's first event, again on a failure (up to FIRST_EVENT_ATTEMPTS,
 * 250, 500, 1000 ms apart). Sending it twice is harmless (the handler is
 * idempotent). A job stored whose first event never left is still started:
 * the first read of it (its summary, the job list) finds it stalled and
 * sends the event again (jobs/heal.ts).
 */
export async function sendFirstEvent(
  sendEvent: SendEvent,
  clock: Clock,
  event: ChunkEvent
) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await sendEvent(CHUNK_EVENT_KEY, event)
    } catch (error) {
      if (attempt >= FIRST_EVENT_ATTEMPTS) throw error
      await clock.sleep(FIRST_EVENT_BACKOFF_MS * 2 ** (attempt - 1))
    }
  }
}

/** Longer than storing any job takes (200 chunks at bounded parallelism): a live creation is never taken over. */
export const DEFAULT_CREATION_GRACE_MS = 120_000

export const DEFAULT_JOB_LIMITS: JobLimits = {
  chunkSize: 500,
  retentionSec: 30 * 24 * 3600,
  writeConcurrency: 8,
}

export interface NewJob {
  id: string
  kind: CatalogKind
  account: string
  dryRun: boolean
  allowFieldDrift?: boolean
  items: ScoreItem[]
  startedBy: JobOwner
  idempotencyKey?: string
  /** Where the key lives: a caller's Idempotency-Key (`job`, the default) or the job an undo undoes (`undo`). */
  idempotencyNamespace?: 'job' | 'undo'
  undoOf?: string
}

export type Created =
  /** `eventPending`: the first event did not leave; the first read of the job sends it. */
  | { outcome: 'created'; job: JobDefinition; eventPending?: true }
  | { outcome: 'replayed'; jobId: string }
  | { outcome: 'conflict'; jobId: string }
  /** Another creation with this key and body is storing its job now. */
  | { outcome: 'inProgress'; jobId: string }

export const bodyHashOf = (
  kind: CatalogKind,
  dryRun: boolean,
  items: ScoreItem[],
  allowFieldDrift = false
) =>
  createHash('sha256')
    .update(
      JSON.stringify([
        kind,
        dryRun,
        allowFieldDrift,
        items.map((i) => [i.id, i.score]),
      ])
    )
    .digest('hex')

/**
 * Stores a job (its chunks with bounded parallelism, each chunk's pending
 * state, then its definition and an index entry) and emits the event of its
 * first chunk. With an Idempotency-Key, the key is claimed first with
 * If-Match (of concurrent creations one claim lands; the others answer
 * replayed, or inProgress while it stores its job) and committed once the
 * job is stored, before its first event (retried: sendFirstEvent); a claim whose creator died
 * uncommitted is taken over after a grace period, so the job is re-created.
 */
export async function createJob(
  files: JobFiles,
  sendEvent: SendEvent,
  clock: Clock,
  input: NewJob,
  limits: JobLimits = DEFAULT_JOB_LIMITS
): Promise<Created> {
  const bodyHash = bodyHashOf(
    input.kind,
    input.dryRun,
    input.items,
    input.allowFieldDrift
  )
  const ttlSec = limits.retentionSec

  const keyHash = input.idempotencyKey
    ? keyHashOf(
        input.account,
        input.idempotencyNamespace ?? 'job',
        input.idempotencyKey
      )
    : undefined
  const keyOptions = {
    graceMs: limits.creationGraceMs ?? DEFAULT_CREATION_GRACE_MS,
    retentionMs: ttlSec * 1000,
  }

  if (keyHash) {
    const claim = await claimKey(
      files,
      keyHash,
      { jobId: input.id, bodyHash, at: clock.now() },
      keyOptions
    )

    if (claim.outcome === 'replayed') {
      // The first creation may have died before its first event: send it again (idempotent).
      await sendFirstEvent(sendEvent, clock, {
        jobId: claim.jobId,
        chunk: 0,
      }).catch(() => undefined)

      return claim
    }

    if (claim.outcome !== 'claimed') return claim
  }

  const now = clock.now()
  const chunks = Math.ceil(input.items.length / limits.chunkSize)
  const job: JobDefinition = {
    id: input.id,
    kind: input.kind,
    account: input.account,
    dryRun: input.dryRun,
    ...(input.allowFieldDrift ? { allowFieldDrift: true } : {}),
    total: input.items.length,
    chunkSize: limits.chunkSize,
    chunks,
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + ttlSec * 1000).toISOString(),
    startedBy: input.startedBy,
    bodyHash,
    ...(input.undoOf ? { undoOf: input.undoOf } : {}),
  }

  const limit = pLimit(limits.writeConcurrency)

  await Promise.all(
    Array.from({ length: chunks }, (_, chunk) =>
      limit(async () => {
        const items = input.items.slice(
          chunk * limits.chunkSize,
          (chunk + 1) * limits.chunkSize
        )
        const state: ChunkState = { chunk, phase: 'pending', attempt: 0 }

        await files.write(jobPaths.items(job.id, chunk), items, { ttlSec })
        await files.write(jobPaths.state(job.id, chunk), state, { ttlSec })
      })
    )
  )

  // The definition last: a job is visible only once all of it is stored.
  await files.write(jobPaths.job(job.id), job, { ttlSec })

  if (keyHash) {
    const holder = await commitKey(files, keyHash, job.id, {
      now: clock.now(),
      retentionMs: keyOptions.retentionMs,
    })

    // Another creation took the key over (this one was too slow): its job is the one; this one never starts.
    if (holder !== job.id) return { outcome: 'replayed', jobId: holder }
  }

  await files.write(
    jobPaths.index(now, job.id),
    { jobId: job.id, createdAt: job.createdAt },
    { ttlSec }
  )
  // Not sent after every attempt: the job is stored, and the first read of it sends the event again.
  const started = await sendFirstEvent(sendEvent, clock, {
    jobId: job.id,
    chunk: 0,
  }).then(
    () => true,
    () => false
  )

  return { outcome: 'created', job, ...(started ? {} : { eventPending: true }) }
}
