import http from 'http'

export type Permission = 'write' | 'read' | 'none'

export interface Credentials {
  /** VtexIdclientAutCookie values (header or cookie). */
  userTokens: Record<string, Permission>
  /** X-VTEX-API-AppKey -> its token and permission. */
  appKeys: Record<string, { token: string; permission: Permission }>
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

  return credentials.userTokens[token] ?? 'invalid'
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
