import type { Clock } from '../bulk/clock'
import { RequestError } from '../input/requestError'
import type { GuardedItem } from '../scores/undoConflict'
import { createJob, Created, JobLimits, SendEvent } from './create'
import type { JobFiles } from './files'
import { journalledBefore } from './journal'
import type { JobDefinition, JobOwner } from './model'
import { chunkRows } from './results'
import { JobStatus, summaryOf } from './summary'

/**
 * An item of an undo job: restore `score` only while the Score is still
 * `expect` (the task checks it, scores/undoConflict.ts).
 */
export interface UndoItem extends GuardedItem {
  expect: number
}

/**
 * The items an undo job restores: every item the job updated (not those
 * unchanged, failed or never run), back to its previousScore, and every item
 * without a success row that a claim journalled before its PUT (a replica
 * killed in a chunk no claim finished, as in a job cancelled then). An item
 * whose previousScore was empty cannot be restored and is left out.
 */
export async function undoItemsOf(files: JobFiles, job: JobDefinition) {
  const items: UndoItem[] = []
  let unrestorable = 0

  for (let chunk = 0; chunk < job.chunks; chunk++) {
    const rows = await chunkRows(files, job, chunk, true)
    // Items with no success row that a claim journalled (a replica killed after its PUT, in a chunk nobody ran again).
    const journalled = rows.some((row) => row.success !== 'true')
      ? await journalledBefore(files, job.id, chunk, Number.MAX_SAFE_INTEGER)
      : new Map<number, number | null>()

    for (const row of rows) {
      if (row.success !== 'true' && journalled.has(row.id)) {
        const previousScore = journalled.get(row.id) ?? null

        if (previousScore === row.score) continue
        if (previousScore === null) {
          unrestorable += 1
          continue
        }

        // Restored only while the Score is still the job's: a PUT that never landed reads UNCHANGED.
        items.push({
          index: items.length,
          id: row.id,
          score: previousScore,
          expect: row.score,
        })
        continue
      }

      if (row.success !== 'true' || row.unchanged || row.dryRun) continue
      if (typeof row.previousScore !== 'number') {
        unrestorable += 1
        continue
      }

      items.push({
        index: items.length,
        id: row.id,
        score: row.previousScore,
        expect: row.score,
      })
    }
  }

  return { items, unrestorable }
}

/**
 * The undo job a creation answers: the new one, or the one an earlier undo
 * of the same job created. An undo whose items differ from that earlier
 * one's, or one still being stored, is a 409, never another job's id.
 */
export function undoJobIdOf(created: Created, undoOf: string): string {
  if (created.outcome === 'created') return created.job.id
  if (created.outcome === 'replayed') return created.jobId
  if (created.outcome === 'inProgress')
    throw new RequestError(
      409,
      'UNDO_IN_PROGRESS',
      `An undo of job ${undoOf} is being stored as job ${created.jobId}; try again in a few seconds.`
    )

  throw new RequestError(
    409,
    'UNDO_CONFLICT',
    `Job ${undoOf} was already undone by job ${created.jobId}, with other items.`
  )
}

/** Undos of one job that may be started again after each was cancelled or failed. */
export const MAX_UNDO_ATTEMPTS = 20

/** The undo job a POST undo answers, as it is now. */
export interface UndoStarted {
  jobId: string
  status: JobStatus
  created: boolean
}

/**
 * Starts the undo of a finished job, or answers the undo already started.
 * Each undo is claimed under the job's id in the `undo` namespace, so
 * concurrent undos make one job; when the undo found there was cancelled
 * or failed, the next claim (`{jobId}:{n}`) starts one again: a cancelled
 * or failed undo never blocks later ones. An undo started again restores
 * what is still at the job's Score (items the earlier undo restored read
 * UNCHANGED). A failed undo an outage stopped may also be resumed.
 */
export async function startUndo(
  files: JobFiles,
  sendEvent: SendEvent,
  clock: Clock,
  input: {
    job: JobDefinition
    items: UndoItem[]
    startedBy: JobOwner
    newId: () => string
  },
  limits: JobLimits
): Promise<UndoStarted> {
  const { job } = input

  for (let n = 0; n < MAX_UNDO_ATTEMPTS; n++) {
    const created = await createJob(
      files,
      sendEvent,
      clock,
      {
        id: input.newId(),
        kind: job.kind,
        account: job.account,
        dryRun: false,
        // The undo writes the same objects back: the same drift the job accepted.
        allowFieldDrift: job.allowFieldDrift,
        items: input.items,
        startedBy: input.startedBy,
        // Its own namespace: no caller's Idempotency-Key can name an undo.
        idempotencyKey: n === 0 ? job.id : `${job.id}:${n}`,
        idempotencyNamespace: 'undo',
        undoOf: job.id,
      },
      limits
    )

    if (created.outcome === 'created')
      return { jobId: created.job.id, status: 'queued', created: true }
    const jobId = undoJobIdOf(created, job.id)
    const status = (await summaryOf(files, jobId, clock.now()))?.status

    if (status !== 'cancelled' && status !== 'failed')
      return { jobId, status: status ?? 'queued', created: false }
  }

  throw new RequestError(
    409,
    'TOO_MANY_UNDOS',
    `Job ${job.id} was undone ${MAX_UNDO_ATTEMPTS} times, each cancelled or failed; upload its report's previousScore column as a new job.`
  )
}
