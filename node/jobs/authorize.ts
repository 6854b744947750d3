import type { CatalogKind } from '../clients/catalog'
import type { CallerCredentials } from '../clients/credentials'
import type {
  AccessAnswer,
  LicenseManagerClient,
} from '../clients/licenseManager'
import { RequestError } from '../input/requestError'
import type { JobOwner } from './model'

/**
 * License Manager resources that allow editing the Catalog objects a job
 * writes. Products: "Product management", key `ProdutoForm.aspx`
 * (developers.vtex.com, "Policies from License Manager"). Categories: that
 * table lists no category resource; `CategoryForm.aspx` is an assumption to
 * check against the account's License Manager before production.
 */
export const CATALOG_EDIT_RESOURCE: Record<CatalogKind, string> = {
  product: 'ProdutoForm.aspx',
  category: 'CategoryForm.aspx',
}

type Access = Pick<
  LicenseManagerClient,
  'canAccessResource' | 'appTokenLogin' | 'loginOf'
>

const refuse = (answer: Exclude<AccessAnswer, 'allowed'>, kind: CatalogKind) =>
  answer === 'unauthorized'
    ? new RequestError(
        401,
        'UNAUTHORIZED',
        'VTEX ID does not accept these credentials.'
      )
    : new RequestError(
        403,
        'FORBIDDEN',
        `These credentials may not edit the Catalog's ${
          kind === 'product' ? 'products' : 'categories'
        } (License Manager resource ${CATALOG_EDIT_RESOURCE[kind]}).`
      )

/**
 * Checks, through VTEX ID and License Manager only (no Catalog call), that
 * the caller may edit this kind of Catalog object, and says who they are.
 * A user token is checked as it is; an app key pair is first exchanged for
 * its VTEX ID token. The secret is only sent to VTEX, never kept.
 */
export async function authorizeCatalogEditor(
  access: Access,
  credentials: CallerCredentials,
  kind: CatalogKind
): Promise<JobOwner> {
  const headers = credentials.headers()
  let token: string | undefined
  let owner: JobOwner | undefined

  if (credentials.kind === 'appKey') {
    const appKey = headers['X-VTEX-API-AppKey']

    token = await access.appTokenLogin(appKey, headers['X-VTEX-API-AppToken'])
    if (token) owner = { kind: 'appKey', login: appKey }
  } else {
    token = headers.VtexIdclientAutCookie
    const login = await access.loginOf(token)

    if (login) owner = { kind: 'user', login }
  }

  if (!token || !owner) throw refuse('unauthorized', kind)
  const answer = await access.canAccessResource(
    token,
    CATALOG_EDIT_RESOURCE[kind]
  )

  if (answer !== 'allowed') throw refuse(answer, kind)

  return owner
}
