import { RequestError } from '../input/requestError'

/**
 * Turns a RequestError into its precise 4xx, and anything else into a 500
 * that says nothing about the request (it may hold credentials).
 */
export async function handleErrors(ctx: Context, next: () => Promise<void>) {
  try {
    await next()
  } catch (error) {
    const requestError =
      error instanceof RequestError
        ? error
        : new RequestError(
            500,
            'INTERNAL_ERROR',
            'The score update failed unexpectedly; no further item was sent.'
          )

    if (!(error instanceof RequestError)) {
      ctx.vtex.logger.error({
        message: 'Unhandled error in score route',
        error: error instanceof Error ? error.message : String(error),
      })
    }

    ctx.status = requestError.status
    ctx.set('Cache-Control', 'no-store')
    if (requestError.retryAfterSec !== undefined)
      ctx.set('Retry-After', String(requestError.retryAfterSec))
    ctx.body = requestError.toBody()
  }
}

/** Answers 405 naming the one method the route takes. */
export function methodNotAllowed(allowed: string) {
  return async function notAllowed(ctx: Context) {
    ctx.set('Allow', allowed)
    throw new RequestError(
      405,
      'METHOD_NOT_ALLOWED',
      `${ctx.method} is not allowed here; use ${allowed}.`
    )
  }
}
