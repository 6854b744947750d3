import { createHash } from 'crypto'
import http from 'http'

import type { Credentials } from './auth'
import type { Route } from './http'

/**
 * License Manager and VTEX ID, on the account host as VTEX serves them:
 *
 * - `GET /api/license-manager/resources/{resourceKey}/access` with a
 *   `VtexIdclientAutCookie`: 200 when the token may use the resource, 403
 *   when not, 401 for an unknown token (what `canAccessResource` reads), and
 *   404 for a key License Manager does not know [inferred: VTEX documents
 *   no answer for an unknown key; the builder refuses unknown policy names].
 * - `POST /api/vtexid/apptoken/login` `{ appkey, apptoken }`: a token for an
 *   app key pair, whose user is the app key.
 * - `POST /api/vtexid/credential/validate?an={account}` `{ token }`: 200
 *   `{ authStatus: "Success", id, user, account, audience, tokenType }`, or
 *   401 `{ authStatus: "WrongCredentials" }` (VTEX ID API OpenAPI,
 *   vtex/openapi-schemas; developers.vtex.com "Checking which user is
 *   currently authenticated"). `audience` is `admin` or `webstore`;
 *   `tokenType` is `user` as documented, and `appkey` / `apptoken` for app
 *   credentials [inferred: VTEX documents no value for them].
 *
 * It also counts every direct request whose URL holds a credential it knows
 * (`tokensInUrls`), whatever the path, so tests can show none leaks there.
 *
 * Only a `write` credential holds the Catalog edit resources; `read` and
 * `none` hold none, as a role without Catalog permissions would. An IO app's
 * token holds what its manifest declares [inferred: VTEX says app tokens are
 * "not subject to License Manager permissions", and documents no answer of
 * this endpoint for them].
 */
/** Keys of VTEX's table "Policies from License Manager" for IO that the Catalog's product writes check. */
export const CATALOG_EDIT_RESOURCES = [
  'ManterFormularioProdutoSku',
  'ProdutoForm.aspx',
]
/** Other keys of that table, which no sample credential holds (403, not 404). */
const OTHER_KNOWN_RESOURCES = ['Marca.aspx', 'Sku.aspx']

const APP_TOKEN_PREFIX = 'vtexid-apptoken:'

export interface LicenseManagerStats {
  accessChecks: number
  accessDenied: number
  appTokenLogins: number
  /** credential/validate calls. */
  validations: number
  /** Access checks for a key License Manager does not know. */
  unknownResources: number
  /** Direct requests (any path) whose URL held a user token, an app token or a VTEX ID token. */
  tokensInUrls: number
}

const emptyStats = (): LicenseManagerStats => ({
  accessChecks: 0,
  accessDenied: 0,
  appTokenLogins: 0,
  validations: 0,
  unknownResources: 0,
  tokensInUrls: 0,
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

  /** What VTEX ID knows of a token: an admin's, an app key's, an IO app's, a shopper's, another account's. */
  const userOf = (token: string | undefined) => {
    if (!token) return undefined
    const { userTokens, appKeys, appTokens, foreignTokens } = credentials()

    if (token.startsWith(APP_TOKEN_PREFIX)) {
      const appKey = token.slice(APP_TOKEN_PREFIX.length)
      const entry = appKeys[appKey]

      return entry
        ? {
            login: appKey,
            tokenType: 'appkey',
            audience: 'admin',
            permission: entry.permission,
          }
        : undefined
    }

    const app = appTokens[token]

    if (app)
      return {
        login: app.app,
        tokenType: 'apptoken',
        audience: 'admin',
        permission: app.permission,
      }

    const foreign = foreignTokens[token]

    if (foreign)
      return {
        login: loginOfUserToken(token),
        tokenType: 'user',
        audience: foreign.audience,
        account: foreign.account,
        permission: foreign.permission,
      }

    const permission = userTokens[token]

    return permission
      ? {
          login: loginOfUserToken(token),
          tokenType: 'user',
          audience: 'admin',
          permission,
        }
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

  /** Counts a URL that holds any credential the emulator knows. */
  const observeUrl = (rawUrl: string | undefined) => {
    if (!rawUrl) return
    let url = rawUrl

    try {
      url = decodeURIComponent(rawUrl)
    } catch {
      // A malformed escape: search the URL as it came.
    }

    const { userTokens, appKeys, appTokens, foreignTokens } = credentials()
    const secrets = [
      ...Object.keys(userTokens),
      ...Object.keys(appTokens),
      ...Object.keys(foreignTokens),
      ...Object.entries(appKeys).flatMap(([key, entry]) => [
        entry.token,
        `${APP_TOKEN_PREFIX}${key}`,
      ]),
    ].filter((secret) => secret.length >= 8)

    if (secrets.some((secret) => url.includes(secret))) stats.tokensInUrls += 1
  }

  /** The VTEX ID token of a request: the VtexIdclientAutCookie header, or that cookie. */
  const tokenOf = (req: http.IncomingMessage) => {
    const header = req.headers.vtexidclientautcookie

    if (typeof header === 'string' && header) return header
    const cookie = /(?:^|;\s*)VtexIdclientAutCookie=([^;]+)/.exec(
      req.headers.cookie ?? ''
    )

    return cookie ? decodeURIComponent(cookie[1]) : undefined
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
      const user = userOf(tokenOf(req))
      const resource = decodeURIComponent(access[1])
      const known =
        CATALOG_EDIT_RESOURCES.includes(resource) ||
        OTHER_KNOWN_RESOURCES.includes(resource)
      // Another account's token holds nothing here.
      const allowed =
        user?.permission === 'write' &&
        !('account' in user && user.account) &&
        CATALOG_EDIT_RESOURCES.includes(resource)

      if (!known) stats.unknownResources += 1
      if (!allowed) stats.accessDenied += 1
      if (!user) send(res, 401)
      else if (!known) send(res, 404, { error: 'resource not found' })
      else send(res, allowed ? 200 : 403, {})

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
      url.pathname === '/api/vtexid/credential/validate' &&
      req.method === 'POST'
    ) {
      stats.validations += 1
      void readBody(req).then((text) => {
        let token: unknown

        try {
          token = (JSON.parse(text) as { token?: unknown }).token
        } catch {
          // An unreadable body names no token.
        }

        const user = typeof token === 'string' ? userOf(token) : undefined

        if (!user) {
          send(res, 401, { authStatus: 'WrongCredentials' })

          return
        }

        send(res, 200, {
          authStatus: 'Success',
          id: createHash('sha256')
            .update(user.login)
            .digest('hex')
            .slice(0, 32),
          user: user.login,
          account:
            ('account' in user && user.account) ||
            url.searchParams.get('an') ||
            'local',
          audience: user.audience,
          tokenType: user.tokenType,
        })
      })

      return true
    }

    return false
  }

  return {
    handle,
    observeUrl,
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
    handle: (req, res) => {
      if (req.url?.startsWith('http://')) return false
      licenseManager.observeUrl(req.url)

      return licenseManager.handle(req, res)
    },
  }
}

/**
 * The principal the IO router evaluates a private route's policies for
 * (developers.vtex.com, "Controlling access to app resources": apps are
 * `vrn:apps:…:app/{vendor}.{name}@{version}`, users and API keys
 * `vrn:vtex.vtex-id:…:user/{email or app key}`), or undefined for a token
 * VTEX ID does not know.
 */
export function principalOf(
  token: string,
  credentials: Credentials,
  account: string,
  workspace: string
): string | undefined {
  const app = credentials.appTokens[token]

  if (app)
    return `vrn:apps:aws-us-east-1:${account}:${workspace}:app/${app.app}`
  if (credentials.userTokens[token] || credentials.foreignTokens[token])
    return `vrn:vtex.vtex-id:aws-us-east-1:${account}:${workspace}:user/${loginOfUserToken(
      token
    )}`

  return undefined
}
