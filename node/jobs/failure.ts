import type { ScoreEnvelope } from '../scores/envelope'
import type { ChunkState, JobFailure } from './model'

/** The codes of a job the Catalog stopped by refusing the app's credentials: not resumable. */
export const CREDENTIAL_CODES = new Set(['UNAUTHORIZED', 'FORBIDDEN'])

/** A job the Catalog stopped by being down or out of reach: resumable once it is back. */
export const CATALOG_UNAVAILABLE = 'CATALOG_UNAVAILABLE'

export const isCredentialStatus = (status: number) =>
  status === 401 || status === 403

const credentialFailure = (status: number): JobFailure => ({
  status,
  code: status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN',
  message: `The Catalog refused the app's credentials (${status}); check the app's License Manager policies.`,
})

/**
 * What stopped a chunk, from the status runScoreBatch answered (200: nothing
 * did): a 401/403 is a credential failure; a 502/503 (no item succeeded and
 * every failure was the Catalog down or out of reach, past the item retry
 * window) is an outage, with the Catalog's own answer for its first item.
 */
export function chunkFailureOf(
  status: number,
  envelope: ScoreEnvelope
): JobFailure | undefined {
  if (status === 200) return undefined
  if (isCredentialStatus(status)) return credentialFailure(status)
  const failed = envelope.failedResponses.elements
  const answer =
    failed.find((element) => element.code !== 'NOT_ATTEMPTED') ?? failed[0]

  return {
    status,
    code: CATALOG_UNAVAILABLE,
    message: `The Catalog was unavailable past the item retry window${
      answer ? `: ${answer.errorMessage}` : ''
    }. Resume the job once the Catalog answers again.`,
  }
}

/** A chunk state's failure; states stored before typed failures carry only `stoppedBy` (401/403). */
export function failureOfState(state: ChunkState): JobFailure | undefined {
  if (state.failure) return state.failure
  if (state.stoppedBy) return credentialFailure(state.stoppedBy)

  return undefined
}

/** Whether a failed job may be resumed: an outage may, a credential refusal may not. */
export const isResumable = (failure: JobFailure | undefined) =>
  failure !== undefined && !CREDENTIAL_CODES.has(failure.code)
