import { AccountHostClient } from './accountHost'
import { statusOf, unavailable } from './upstream'

/**
 * What VTEX ID says of a token (`POST /api/vtexid/credential/validate`,
 * VTEX ID API OpenAPI in vtex/openapi-schemas: `authStatus`, `id`, `user`,
 * `account`, `audience`, `tokenType`).
 */
export interface TokenIdentity {
  user: string
  account: string
  /** `admin` for admins and apps; `webstore` for shoppers. */
  audience?: string
  tokenType?: string
}

/** VTEX ID on the account host: who is behind a token, and the token of an app key pair. */
export class VtexIdClient extends AccountHostClient {
  /**
   * The identity behind a token, or undefined when VTEX ID says it is not
   * valid (401, or any answer without `authStatus: "Success"`). The token
   * travels in the body, never the URL, which ends up in traces and logs.
   * `an` names the account, as vtex-apps/store-sitemap 2.18.7 does.
   */
  public async validate(token: string): Promise<TokenIdentity | undefined> {
    try {
      const answer = await this.http.post<
        Partial<TokenIdentity> & { authStatus?: string }
      >(
        '/api/vtexid/credential/validate',
        { token },
        {
          metric: 'vtexid-credential-validate',
          params: { an: this.context.account },
          ...this.transform(),
        }
      )

      if (
        answer?.authStatus !== 'Success' ||
        typeof answer.user !== 'string' ||
        typeof answer.account !== 'string'
      )
        return undefined

      return {
        user: answer.user,
        account: answer.account,
        audience: answer.audience,
        tokenType: answer.tokenType,
      }
    } catch (error) {
      const status = statusOf(error)

      if (status === 400 || status === 401 || status === 403) return undefined
      throw unavailable('VTEX ID', error)
    }
  }

  /** The VTEX ID token of an app key pair, or undefined when the pair is wrong. */
  public async appTokenLogin(appKey: string, appToken: string) {
    try {
      const answer = await this.http.post<{ token?: string }>(
        '/api/vtexid/apptoken/login',
        { appkey: appKey, apptoken: appToken },
        { metric: 'vtexid-apptoken-login', ...this.transform() }
      )

      return answer?.token || undefined
    } catch (error) {
      const status = statusOf(error)

      if (status === 400 || status === 401 || status === 403) return undefined
      throw unavailable('VTEX ID', error)
    }
  }
}
