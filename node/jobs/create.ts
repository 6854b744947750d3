import { createHash } from 'crypto'
import pLimit from 'p-limit'

import type { Clock } from '../bulk/clock'
import type { CatalogKind } from '../clients/catalog'
import type { ScoreItem } from '../scores/validate'
import { JobFiles, jobPaths } from './files'
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
}

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
  undoOf?: string
}

export type Created =
  | { outcome: 'created'; job: JobDefinition }
  | { outcome: 'replayed'; jobId: string }
  | { outcome: 'conflict'; jobId: string }

interface IdempotencyRecord {
  jobId: string
  bodyHash: string
}

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

const keyHashOf = (account: string, key: string) =>
  createHash('sha256').update(`${account}\n${key}`).digest('hex')

/**
 * Stores a job (its chunks with bounded parallelism, each chunk's pending
 * state, then its definition and an index entry) and emits the event of its
 * first chunk. With an Idempotency-Key, the key is claimed first and read
 * back: of two concurrent creations only the one whose claim is read back
 * stores anything, and a replay of the same key answers the same job.
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

  if (input.idempotencyKey) {
    const path = jobPaths.idempotency(
      keyHashOf(input.account, input.idempotencyKey)
    )
    const existing = await files.read<IdempotencyRecord>(path)

    if (existing) {
      if (existing.data.bodyHash !== bodyHash)
        return { outcome: 'conflict', jobId: existing.data.jobId }
      // The first creation may have died before its first event: send it again (idempotent).
      await sendEvent(CHUNK_EVENT_KEY, { jobId: existing.data.jobId, chunk: 0 })

      return { outcome: 'replayed', jobId: existing.data.jobId }
    }

    await files.write<IdempotencyRecord>(
      path,
      { jobId: input.id, bodyHash },
      { ttlSec }
    )
    const claimed = await files.read<IdempotencyRecord>(path)

    if (claimed && claimed.data.jobId !== input.id) {
      return claimed.data.bodyHash === bodyHash
        ? { outcome: 'replayed', jobId: claimed.data.jobId }
        : { outcome: 'conflict', jobId: claimed.data.jobId }
    }
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
  await files.write(
    jobPaths.index(now, job.id),
    { jobId: job.id, createdAt: job.createdAt },
    { ttlSec }
  )
  await sendEvent(CHUNK_EVENT_KEY, { jobId: job.id, chunk: 0 })

  return { outcome: 'created', job }
}
