import { jobCallerOf } from '../access/authorize'
import { creationLimitFor, JobCreationLimiter } from '../jobs/creationLimit'
import { RequestError } from '../input/requestError'

const LIMITER = new JobCreationLimiter(() => Date.now(), creationLimitFor())

/**
 * A route step before a job is created (`?async=true`, an undo): over the
 * account's limit it answers 429 with Retry-After, and nothing is stored.
 * A job created counts once it is (an Idempotency-Key replay does not,
 * `ctx.state.jobCreated`); only a caller allowed to manage jobs gets this
 * far (the check is the cached one the job route makes anyway).
 */
export function limitJobCreation(
  creates: (ctx: Context) => boolean = () => true,
  limiter: JobCreationLimiter = LIMITER
) {
  return async function limitJobCreationFor(
    ctx: Context,
    next: () => Promise<void>
  ) {
    if (!creates(ctx)) {
      await next()

      return
    }

    await jobCallerOf(ctx)
    const { account } = ctx.vtex
    const waitSec = limiter.waitFor(account)

    if (waitSec !== undefined)
      throw new RequestError(
        429,
        'TOO_MANY_JOBS',
        `This account is creating jobs faster than the app accepts; try again in ${waitSec} s. A large batch is one job of up to 100,000 items.`,
        waitSec
      )

    await next()
    if (ctx.status === 202 && ctx.state.jobCreated !== false)
      limiter.take(account)
  }
}
