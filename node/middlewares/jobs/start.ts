import { randomUUID } from 'crypto'

import { systemClock } from '../../bulk/clock'
import { sendEventOf } from '../../events/replica'
import { RequestError } from '../../input/requestError'
import { jobLimits } from '../../jobs/config'
import { createJob } from '../../jobs/create'
import { linksOf, summaryOf } from '../../jobs/summary'
import type { ScoreTarget } from '../../scores/targets'
import { assertJobsCanRun, jobCaller, noStore } from './common'

/** `?async=true`: check the caller may edit the Catalog, store the job, send its first event, answer 202. */
export function startJob(target: ScoreTarget) {
  return async function startJobFor(ctx: Context) {
    const { items, dryRun, allowFieldDrift } = ctx.state

    assertJobsCanRun()
    const startedBy = await jobCaller(ctx)

    const idempotencyKey = ctx.get('Idempotency-Key') || undefined

    if (idempotencyKey && idempotencyKey.length > 255)
      throw new RequestError(
        400,
        'INVALID_IDEMPOTENCY_KEY',
        'The Idempotency-Key header must be at most 255 characters.'
      )

    const created = await createJob(
      ctx.clients.jobFiles,
      sendEventOf(ctx.clients),
      systemClock,
      {
        id: randomUUID(),
        kind: target.kind,
        account: ctx.vtex.account,
        dryRun,
        allowFieldDrift,
        items,
        startedBy,
        idempotencyKey,
      },
      jobLimits()
    )

    if (created.outcome === 'conflict')
      throw new RequestError(
        409,
        'IDEMPOTENCY_KEY_REUSED',
        `This Idempotency-Key was used for job ${created.jobId} with another body.`
      )

    if (created.outcome === 'inProgress') {
      ctx.set('Retry-After', '5')
      throw new RequestError(
        409,
        'IDEMPOTENCY_KEY_IN_PROGRESS',
        `A request with this Idempotency-Key is still storing job ${created.jobId}; send it again in a few seconds.`
      )
    }

    const jobId = created.outcome === 'created' ? created.job.id : created.jobId
    // A replay answers the job as it is now, not as it was queued.
    const status =
      created.outcome === 'created'
        ? 'queued'
        : (await summaryOf(ctx.clients.jobFiles, jobId, systemClock.now()))
            ?.status ?? 'queued'

    noStore(ctx)
    if (created.outcome === 'replayed') ctx.set('Idempotent-Replayed', 'true')
    ctx.state.jobCreated = created.outcome === 'created'
    ctx.status = 202
    ctx.body = {
      jobId,
      status,
      statusUrl: linksOf(jobId).self,
      links: linksOf(jobId),
    }
  }
}
