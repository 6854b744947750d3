import { randomUUID } from 'crypto'

import { systemClock } from '../../bulk/clock'
import { sendEventOf } from '../../events/replica'
import { assertKnownQuery } from '../../input/query'
import { RequestError } from '../../input/requestError'
import { jobLimits } from '../../jobs/config'
import { cancelJob, resumeJob as resume } from '../../jobs/control'
import { linksOf, summarise } from '../../jobs/summary'
import { startUndo, undoItemsOf } from '../../jobs/undo'
import {
  assertJobsCanRun,
  DONE_CHUNKS,
  finishedSummary,
  noStore,
} from './common'

/* The routes that act on a job: cancel, resume, undo. */

/** POST cancel: chunks not started are not run; the summary says what was written. */
export async function cancelJobRoute(ctx: Context) {
  const { job, caller } = ctx.state

  assertKnownQuery(ctx.query, [])
  const before = await summarise(
    ctx.clients.jobFiles,
    job,
    systemClock.now(),
    DONE_CHUNKS
  )

  if (before.status === 'done' || before.status === 'failed')
    throw new RequestError(
      409,
      'JOB_FINISHED',
      `The job is already ${before.status}.`
    )

  await cancelJob(
    ctx.clients.jobFiles,
    systemClock,
    job,
    caller,
    jobLimits().retentionSec
  )
  noStore(ctx)
  ctx.status = 202
  ctx.body = await summarise(
    ctx.clients.jobFiles,
    job,
    systemClock.now(),
    DONE_CHUNKS
  )
}

/** POST resume: sends the event of the first chunk not done again (harmless: the handler is idempotent). */
export async function resumeJob(ctx: Context) {
  const { job } = ctx.state

  assertKnownQuery(ctx.query, [])
  assertJobsCanRun()
  const before = await summarise(
    ctx.clients.jobFiles,
    job,
    systemClock.now(),
    DONE_CHUNKS
  )

  await resume(ctx.clients.jobFiles, sendEventOf(ctx.clients), job, before)
  noStore(ctx)
  ctx.status = 202
  ctx.body = before
}

/**
 * POST undo: a new job that restores previousScore for every item the job
 * updated, only where the Score is still what the job wrote; any other item
 * is reported CONFLICT and left alone. Undoing a job twice answers the same undo job,
 * as it is now; one that was cancelled or failed is started again.
 */
export async function undoJobRoute(ctx: Context) {
  const { job, caller } = ctx.state

  assertKnownQuery(ctx.query, [])
  assertJobsCanRun()
  await finishedSummary(ctx, job, 'Only a finished job can be undone.')
  if (job.dryRun)
    throw new RequestError(409, 'NOTHING_TO_UNDO', 'A dry run wrote nothing.')

  const { items, unrestorable } = await undoItemsOf(ctx.clients.jobFiles, job)

  if (items.length === 0)
    throw new RequestError(
      409,
      'NOTHING_TO_UNDO',
      'The job updated no Score that can be restored.'
    )

  // A cancelled or failed undo is started again; any other answers as it is now.
  const { jobId, status } = await startUndo(
    ctx.clients.jobFiles,
    sendEventOf(ctx.clients),
    systemClock,
    { job, items, startedBy: caller, newId: randomUUID },
    jobLimits()
  )

  noStore(ctx)
  ctx.status = 202
  ctx.body = {
    jobId,
    undoOf: job.id,
    status,
    items: items.length,
    // Updated items whose Score was empty before: VTEX has no Score to put back.
    unrestorable,
    statusUrl: linksOf(jobId).self,
    links: linksOf(jobId),
  }
}
