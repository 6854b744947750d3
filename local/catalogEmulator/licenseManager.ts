import http from 'http'

import type { Credentials } from './auth'
import type { Route } from './http'

/**
 * License Manager and VTEX ID, on the account host as VTEX serves them:
 *
 * - `GET /api/license-manager/resources/{resourceKey}/access` with a
 *   `VtexIdclientAutCookie`: 200 when the user may use the resource, 403
 *   when not, 401 for an unknown token (what `canAccessResource` reads).
 * - `POST /api/vtexid/apptoken/login` `{ appkey, apptoken }`: a token for an
 *   app key pair, whose user is the app key.
 * - `GET /api/vtexid/pub/authenticated/user?authToken=…`: the token's login.
 *
 * Only a `write` credential holds the Catalog edit resources; `read` and
 * `none` hold none, as a role without Catalog permissions would.
 */
export const CATALOG_EDIT_RESOURCES = ['ProdutoForm.aspx', 'CategoryForm.aspx']

const APP_TOKEN_PREFIX = 'vtexid-apptoken:'

export interface LicenseManagerStats {
  accessChecks: number
  accessDenied: number
  appTokenLogins: number
  userLookups: number
}

const emptyStats = (): LicenseManagerStats => ({
  accessChecks: 0,
  accessDenied: 0,
  appTokenLogins: 0,
  userLookups: 0,
})

/** The login the emulator gives a sample user token. */
export const loginOfUserToken = (token: string) =>
  `${token.replace(/-token$/, '')}@example.com`

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []

    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', () => resolve(''))
  })
}

export function createLicenseManager(credentials: () => Credentials) {
  let stats = emptyStats()

  /** A token's user and permission: a sample user token, or one issued for an app key. */
  const userOf = (token: string | undefined) => {
    if (!token) return undefined
    const { userTokens, appKeys } = credentials()

    if (token.startsWith(APP_TOKEN_PREFIX)) {
      const appKey = token.slice(APP_TOKEN_PREFIX.length)
      const entry = appKeys[appKey]

      return entry
        ? { login: appKey, type: 'appKey', permission: entry.permission }
        : undefined
    }

    const permission = userTokens[token]

    return permission
      ? { login: loginOfUserToken(token), type: 'user', permission }
      : undefined
  }

  const send = (res: http.ServerResponse, status: number, body?: unknown) => {
    const text = body === undefined ? '' : JSON.stringify(body)

    res.writeHead(status, {
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      'Content-Length': Buffer.byteLength(text),
    })
    res.end(text)
  }

  /** Handles License Manager and VTEX ID paths; returns false for any other. */
  const handle = (
    req: http.IncomingMessage,
    res: http.ServerResponse
  ): boolean => {
    const url = new URL(req.url ?? '/', 'http://emulator')
    const access = /^\/api\/license-manager\/resources\/([^/]+)\/access$/.exec(
      url.pathname
    )

    if (access && req.method === 'GET') {
      stats.accessChecks += 1
      const user = userOf(
        req.headers.vtexidclientautcookie as string | undefined
      )
      const resource = decodeURIComponent(access[1])
      const allowed =
        user?.permission === 'write' &&
        CATALOG_EDIT_RESOURCES.includes(resource)

      if (!allowed) stats.accessDenied += 1
      send(res, user ? (allowed ? 200 : 403) : 401, user ? {} : undefined)

      return true
    }

    if (
      url.pathname === '/api/vtexid/apptoken/login' &&
      req.method === 'POST'
    ) {
      stats.appTokenLogins += 1
      void readBody(req).then((text) => {
        let body: { appkey?: string; apptoken?: string } = {}

        try {
          body = JSON.parse(text)
        } catch {
          // An unreadable body is a failed login.
        }

        const entry = body.appkey
          ? credentials().appKeys[body.appkey]
          : undefined

        if (!entry || entry.token !== body.apptoken) {
          send(res, 401, { authStatus: 'WrongCredentials' })

          return
        }

        send(res, 200, {
          authStatus: 'Success',
          token: `${APP_TOKEN_PREFIX}${body.appkey}`,
          expires: Date.now() + 24 * 3600 * 1000,
        })
      })

      return true
    }

    if (
      url.pathname === '/api/vtexid/pub/authenticated/user' &&
      req.method === 'GET'
    ) {
      stats.userLookups += 1
      const user = userOf(url.searchParams.get('authToken') ?? undefined)

      if (!user) send(res, 401, { error: 'invalid token' })
      else
        send(res, 200, {
          userId: user.login,
          user: user.login,
          userType: user.type,
        })

      return true
    }

    return false
  }

  return {
    handle,
    stats: () => ({ ...stats }),
    resetStats: () => {
      stats = emptyStats()
    },
  }
}

/** License Manager and VTEX ID as a route of the emulator (direct calls to the account host). */
export function licenseManagerRoute(
  licenseManager: ReturnType<typeof createLicenseManager>
): Route {
  return {
    name: 'license-manager',
    handle: (req, res) =>
      !req.url?.startsWith('http://') && licenseManager.handle(req, res),
  }
}
