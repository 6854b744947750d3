import { ExternalClient, InstanceOptions, IOContext } from '@vtex/api'

import { defaultCatalogUrl } from './catalog'

export type AccessAnswer = 'allowed' | 'forbidden' | 'unauthorized'

interface AxiosLikeError {
  response?: { status?: number }
}

const statusOf = (error: unknown) => (error as AxiosLikeError)?.response?.status

/** The IO proxy adds the app token as Proxy-Authorization; straight to a host, it must not go. */
function withoutAppToken(data: unknown, headers?: Record<string, unknown>) {
  if (headers) {
    delete headers['proxy-authorization']
    delete headers['Proxy-Authorization']
  }

  return data === undefined ? data : JSON.stringify(data)
}

/**
 * License Manager and VTEX ID on the account host (CATALOG_URL when set):
 * who a credential is, and whether it may use a resource. None of these
 * calls touches the Catalog or its rate budget.
 */
export class LicenseManagerClient extends ExternalClient {
  private readonly direct: boolean

  constructor(context: IOContext, options?: InstanceOptions) {
    const override = process.env.CATALOG_URL

    super(override ?? defaultCatalogUrl(context.account), context, {
      ...options,
      memoizable: false,
      headers: {
        ...options?.headers,
        ...(override ? {} : { 'X-Vtex-Use-Https': 'true' }),
      },
    })
    this.direct = Boolean(override)
  }

  /** `canAccessResource`, telling a refused resource (403) from an unknown token (401). */
  public async canAccessResource(
    userToken: string,
    resourceKey: string
  ): Promise<AccessAnswer> {
    try {
      await this.http.get(
        `/api/license-manager/resources/${encodeURIComponent(
          resourceKey
        )}/access`,
        {
          metric: 'lm-resource-access',
          headers: { VtexIdclientAutCookie: userToken },
          ...this.transform(),
        }
      )

      return 'allowed'
    } catch (error) {
      const status = statusOf(error)

      if (status === 401) return 'unauthorized'
      if (status === 403 || status === 404) return 'forbidden'
      throw error
    }
  }

  /** VTEX ID: a token for an app key pair, or undefined when the pair is wrong. */
  public async appTokenLogin(appKey: string, appToken: string) {
    try {
      const answer = await this.http.post<{
        token?: string
        authStatus?: string
      }>(
        '/api/vtexid/apptoken/login',
        { appkey: appKey, apptoken: appToken },
        { metric: 'vtexid-apptoken-login', ...this.transform() }
      )

      return answer?.token || undefined
    } catch (error) {
      const status = statusOf(error)

      if (status === 401 || status === 403 || status === 400) return undefined
      throw error
    }
  }

  /** VTEX ID: the login behind a user token, or undefined when the token is not valid. */
  public async loginOf(userToken: string) {
    try {
      const answer = await this.http.get<{ user?: string } | null>(
        '/api/vtexid/pub/authenticated/user',
        {
          metric: 'vtexid-authenticated-user',
          params: { authToken: userToken },
          ...this.transform(),
        }
      )

      return answer?.user || undefined
    } catch (error) {
      const status = statusOf(error)

      if (status === 401 || status === 403 || status === 400) return undefined
      throw error
    }
  }

  private transform() {
    return this.direct ? { transformRequest: [withoutAppToken] } : {}
  }
}
