import type { CallerCredentials } from '../clients/credentials'
import type { LicenseManagerClient } from '../clients/licenseManager'
import { AccessServiceUnavailable } from '../clients/upstream'
import { RequestError } from '../input/requestError'
import type { JobOwner } from '../jobs/model'
import { AnswerCache } from './answerCache'
import { identify, Identity } from './identify'

/**
 * The License Manager resource a job caller must hold: "Product and SKU
 * Management", what the Catalog checks on the product PUT (Catalog API
 * OpenAPI, vtex/openapi-schemas), whose key VTEX's table of License
 * Manager policies for IO gives as `ManterFormularioProdutoSku`. Jobs
 * write products only: VTEX publishes no key for "Categories Management".
 */
export const JOB_RESOURCE = 'ManterFormularioProdutoSku'

export interface AccessPorts {
  vtexId: Identity
  licenseManager: Pick<LicenseManagerClient, 'canAccessResource'>
}

type Verdict = { owner: JobOwner } | { refusal: RequestError }

/** How long an answer is kept: long enough that polls ask once, short enough that a revoked role soon bites. */
export const ALLOWED_TTL_MS = 60_000
export const REFUSED_TTL_MS = 10_000
const UNAVAILABLE_RETRY_SEC = 5

const CODES = {
  'VTEX ID': 'VTEX_ID_UNAVAILABLE',
  'License Manager': 'LICENSE_MANAGER_UNAVAILABLE',
} as const

/** No answer about the caller: 503 naming the service, and when to try again. */
function unavailableError(error: AccessServiceUnavailable) {
  return new RequestError(
    503,
    CODES[error.service],
    `${error.service} ${
      error.upstreamStatus
        ? `answered ${error.upstreamStatus}`
        : 'did not answer in time'
    }, so the app cannot tell who is calling; nothing was done. Try again shortly.`,
    error.retryAfterSec ?? UNAVAILABLE_RETRY_SEC
  )
}

async function decide(
  ports: AccessPorts,
  credentials: CallerCredentials,
  account: string
): Promise<Verdict> {
  try {
    const { token, owner } = await identify(ports.vtexId, credentials, account)
    const answer = await ports.licenseManager.canAccessResource(
      token,
      JOB_RESOURCE
    )

    if (answer === 'allowed') return { owner }

    return {
      refusal:
        answer === 'unauthorized'
          ? new RequestError(
              401,
              'UNAUTHORIZED',
              'License Manager does not accept these credentials.'
            )
          : new RequestError(
              403,
              'FORBIDDEN',
              `These credentials may not edit the Catalog's products (License Manager resource ${JOB_RESOURCE}, "Product and SKU Management").`
            ),
    }
  } catch (error) {
    if (error instanceof RequestError) return { refusal: error }
    if (error instanceof AccessServiceUnavailable) throw unavailableError(error)
    throw error
  }
}

/** The verdicts of this process, by account and credential fingerprint. */
const VERDICTS = new AnswerCache<Verdict>(() => Date.now())

/**
 * Checks, through VTEX ID and License Manager only (no Catalog call), that
 * the caller may manage this account's score jobs, and says who they are.
 * Each verdict is kept a short time per credential, so a polled summary
 * does not ask again; an unavailable service is never kept.
 */
export async function authorizeJobCaller(
  ports: AccessPorts,
  credentials: CallerCredentials,
  account: string,
  cache: AnswerCache<Verdict> = VERDICTS
): Promise<JobOwner> {
  const key = `${account}\n${credentials.fingerprint}`
  let verdict = cache.get(key)

  if (!verdict) {
    verdict = await decide(ports, credentials, account)
    cache.set(
      key,
      verdict,
      'owner' in verdict ? ALLOWED_TTL_MS : REFUSED_TTL_MS
    )
  }

  if ('refusal' in verdict) throw verdict.refusal

  return verdict.owner
}

/** The caller of a job route, checked with the request's own clients and account. */
export const jobCallerOf = (ctx: Context) =>
  authorizeJobCaller(
    { vtexId: ctx.clients.vtexId, licenseManager: ctx.clients.accessControl },
    ctx.state.credentials,
    ctx.vtex.account
  )
