import { CallerCredentials } from '../clients/credentials'
import { RequestError } from '../input/requestError'

const USER_TOKEN = 'VtexIdclientAutCookie'

/** Reads the caller's credentials; no credentials means 401 before any upstream call. */
export function credentialsOf(
  ctx: Pick<Context, 'get' | 'cookies'>
): CallerCredentials {
  const appKey = ctx.get('X-VTEX-API-AppKey')
  const appToken = ctx.get('X-VTEX-API-AppToken')

  if (appKey || appToken) {
    if (!appKey || !appToken) {
      throw new RequestError(
        401,
        'UNAUTHORIZED',
        'Send both X-VTEX-API-AppKey and X-VTEX-API-AppToken, or a VtexIdclientAutCookie.'
      )
    }

    return CallerCredentials.appKey(appKey, appToken)
  }

  const userToken = ctx.get(USER_TOKEN) || ctx.cookies.get(USER_TOKEN)

  if (userToken) return CallerCredentials.userToken(userToken)

  throw new RequestError(
    401,
    'UNAUTHORIZED',
    'Credentials are required: send a VtexIdclientAutCookie, or X-VTEX-API-AppKey and X-VTEX-API-AppToken.'
  )
}

export async function authenticate(ctx: Context, next: () => Promise<void>) {
  ctx.state.credentials = credentialsOf(ctx)
  await next()
}
