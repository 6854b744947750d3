import { jobCallerOf } from '../access/authorize'
import { JobCreationLimiter } from '../jobs/creationLimit'
import { RequestError } from '../input/requestError'

const LIMITER = new JobCreationLimiter(() => Date.now())

/**
 * A route step before a job is created (`?async=true`, an undo): over the
 * account's limit it answers 429 with Retry-After, and nothing is stored.
 * Only a caller allowed to manage jobs spends the account's budget (the
 * check is the cached one the job route makes anyway).
 */
export function limitJobCreation(
  creates: (ctx: Context) => boolean = () => true,
  limiter: JobCreationLimiter = LIMITER
) {
  return async function limitJobCreationFor(
    ctx: Context,
    next: () => Promise<void>
  ) {
    if (creates(ctx)) {
      await jobCallerOf(ctx)
      const waitSec = limiter.take(ctx.vtex.account)

      if (waitSec !== undefined)
        throw new RequestError(
          429,
          'TOO_MANY_JOBS',
          `This account is creating jobs faster than the app accepts; try again in ${waitSec} s. A large batch is one job of up to 100,000 items.`,
          waitSec
        )
    }

    await next()
  }
}
