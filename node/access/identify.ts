import type { CallerCredentials } from '../clients/credentials'
import type { VtexIdClient } from '../clients/vtexId'
import { RequestError } from '../input/requestError'
import type { JobOwner } from '../jobs/model'

export type Identity = Pick<VtexIdClient, 'validate' | 'appTokenLogin'>

/** Who a credential is, and the VTEX ID token to ask License Manager with. */
export interface Identified {
  token: string
  owner: JobOwner
}

const notValid = () =>
  new RequestError(
    401,
    'UNAUTHORIZED',
    'VTEX ID does not accept these credentials.'
  )

/**
 * Identifies the caller as VTEX documents it: VTEX ID's
 * `credential/validate`, after exchanging an app key pair for its token.
 * Refuses a token of another account (as vtex-apps/store-sitemap 2.18.7
 * does) and a shopper's token (`audience: "webstore"`), which may not run
 * jobs with the app's own credentials.
 */
export async function identify(
  vtexId: Identity,
  credentials: CallerCredentials,
  account: string
): Promise<Identified> {
  const headers = credentials.headers()
  const appKey = headers['X-VTEX-API-AppKey']
  const token =
    credentials.kind === 'appKey'
      ? await vtexId.appTokenLogin(appKey, headers['X-VTEX-API-AppToken'])
      : headers.VtexIdclientAutCookie

  if (!token) throw notValid()
  const identity = await vtexId.validate(token)

  if (!identity) throw notValid()
  if (identity.account !== account)
    throw new RequestError(
      401,
      'WRONG_ACCOUNT',
      `These credentials belong to another VTEX account, not '${account}'.`
    )
  if (identity.audience === 'webstore')
    throw new RequestError(
      403,
      'SHOPPER_TOKEN',
      "A shopper's token cannot manage score jobs; use an admin's token, an app key pair or an IO app's token."
    )

  const owner: JobOwner =
    credentials.kind === 'appKey'
      ? { kind: 'appKey', login: appKey }
      : credentials.source === 'bearer'
      ? { kind: 'app', login: identity.user }
      : { kind: 'user', login: identity.user }

  return { token, owner }
}
