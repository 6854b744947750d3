import http from 'http'

export type Permission = 'write' | 'read' | 'none'

/** A VTEX ID token that is not an admin's of this account: a shopper's, or one of another account. */
export interface ForeignToken {
  /** The account VTEX ID says the token belongs to; undefined: the account asked about. */
  account?: string
  audience: 'admin' | 'webstore'
  permission: Permission
}

export interface Credentials {
  /** Admins' VtexIdclientAutCookie values (header or cookie), of whichever account asks. */
  userTokens: Record<string, Permission>
  /** X-VTEX-API-AppKey -> its token and permission. */
  appKeys: Record<string, { token: string; permission: Permission }>
  /**
   * IO apps' tokens (`Authorization: Bearer` to this app, then
   * VtexIdclientAutCookie to the Catalog): the app, and what the policies of
   * its manifest let it do.
   */
  appTokens: Record<string, { app: string; permission: Permission }>
  foreignTokens: Record<string, ForeignToken>
}

export const SAMPLE_CREDENTIALS: Credentials = {
  userTokens: {
    'local-admin-token': 'write',
    'local-readonly-token': 'read',
    'local-forbidden-token': 'none',
  },
  appKeys: {
    'vtexappkey-local-SAMPLE': {
      token: 'local-app-token',
      permission: 'write',
    },
  },
  appTokens: {
    'local-consumer-app-token': {
      app: 'acme.score-consumer@1.0.0',
      permission: 'write',
    },
    'local-idle-app-token': {
      app: 'acme.no-catalog-policy@1.0.0',
      permission: 'none',
    },
  },
  foreignTokens: {
    'local-shopper-token': { audience: 'webstore', permission: 'none' },
    'local-other-account-token': {
      account: 'another-store',
      audience: 'admin',
      permission: 'write',
    },
  },
}

function cookieValue(header: string | undefined, name: string) {
  const match = header
    ?.split(';')
    .map((part) => part.trim().split('='))
    .find(([key]) => key === name)

  return match ? decodeURIComponent(match.slice(1).join('=')) : undefined
}

/** Whose request this is: an app key pair wins over a user token, as at VTEX. */
export function permissionOf(
  req: http.IncomingMessage,
  credentials: Credentials
): Permission | 'anonymous' | 'invalid' {
  const appKey = req.headers['x-vtex-api-appkey'] as string | undefined
  const appToken = req.headers['x-vtex-api-apptoken'] as string | undefined

  if (appKey || appToken) {
    const entry = appKey ? credentials.appKeys[appKey] : undefined

    return entry && appToken === entry.token ? entry.permission : 'invalid'
  }

  const token =
    (req.headers.vtexidclientautcookie as string | undefined) ??
    cookieValue(req.headers.cookie, 'VtexIdclientAutCookie')

  if (!token) return 'anonymous'

  return tokenPermission(token, credentials) ?? 'invalid'
}

/** What the Catalog lets a VTEX ID token do; a token of another account may do nothing here. */
export function tokenPermission(
  token: string,
  credentials: Credentials
): Permission | undefined {
  const foreign = credentials.foreignTokens[token]

  if (foreign) return foreign.account ? 'none' : foreign.permission

  return (
    credentials.userTokens[token] ?? credentials.appTokens[token]?.permission
  )
}

/** The 401 or 403 a Catalog call gets, or undefined when it may go on. */
export function authorize(
  req: http.IncomingMessage,
  method: 'GET' | 'PUT',
  credentials: Credentials
): { status: 401 | 403; message: string } | undefined {
  const permission = permissionOf(req, credentials)

  if (permission === 'anonymous' || permission === 'invalid') {
    return {
      status: 401,
      message: 'Unauthorized: missing or invalid credentials',
    }
  }

  if (permission === 'none' || (permission === 'read' && method === 'PUT')) {
    return {
      status: 403,
      message:
        'Forbidden: the credentials lack the Catalog permission for this action',
    }
  }

  return undefined
}
