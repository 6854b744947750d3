import { AccountHostClient } from './accountHost'
import { statusOf, unavailable } from './upstream'

export type AccessAnswer = 'allowed' | 'forbidden' | 'unauthorized'

/**
 * License Manager on the account host. `@vtex/api` has a LicenseManager
 * client whose `canAccessResource` turns every failure (a 500, a timeout)
 * into `false`: an outage would read as "forbidden". This one tells a
 * refused resource (403, 404 for a key License Manager does not know) from
 * an unknown token (401) and from no answer at all (AccessServiceUnavailable).
 */
export class LicenseManagerClient extends AccountHostClient {
  public async canAccessResource(
    token: string,
    resourceKey: string
  ): Promise<AccessAnswer> {
    try {
      await this.http.get(
        `/api/license-manager/resources/${encodeURIComponent(
          resourceKey
        )}/access`,
        {
          metric: 'lm-resource-access',
          headers: { VtexIdclientAutCookie: token },
          ...this.transform(),
        }
      )

      return 'allowed'
    } catch (error) {
      const status = statusOf(error)

      if (status === 401) return 'unauthorized'
      if (status === 403 || status === 404) return 'forbidden'
      throw unavailable('License Manager', error)
    }
  }
}
