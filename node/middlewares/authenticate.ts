import { CallerCredentials } from '../clients/credentials'
import { RequestError } from '../input/requestError'

const USER_TOKEN = 'VtexIdclientAutCookie'

const MISSING =
  'Credentials are required: send a VtexIdclientAutCookie header, X-VTEX-API-AppKey and X-VTEX-API-AppToken, or (from another VTEX IO app) Authorization: Bearer with the app token.'

/** `Authorization: Bearer <token>`, as `@vtex/api`'s `AppClient` sends it (`AuthType.bearer`). */
function bearerOf(authorization: string) {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization)

  if (!match)
    throw new RequestError(
      401,
      'UNAUTHORIZED',
      'The Authorization header must be "Bearer <token>", the VTEX IO app token the calling app holds.'
    )

  return match[1]
}

/**
 * Reads the caller's credentials; no credentials means 401 before any
 * upstream call. Headers win over the admin cookie: a script that sends a
 * token means that token, whatever the browser holds.
 */
export function credentialsOf(
  ctx: Pick<Context, 'get'> & {
    vtex: Pick<Context['vtex'], 'adminUserAuthToken'>
  }
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

  const authorization = ctx.get('Authorization')

  if (authorization)
    return CallerCredentials.token(bearerOf(authorization), 'bearer')

  const headerToken = ctx.get(USER_TOKEN)

  if (headerToken) return CallerCredentials.token(headerToken, 'userHeader')

  // The admin's cookie, as the IO runtime reads it (@vtex/api authTokens middleware).
  const cookieToken = ctx.vtex.adminUserAuthToken

  if (cookieToken) return CallerCredentials.token(cookieToken, 'adminCookie')

  throw new RequestError(401, 'UNAUTHORIZED', MISSING)
}

export async function authenticate(ctx: Context, next: () => Promise<void>) {
  ctx.state.credentials = credentialsOf(ctx)
  await next()
}
