import type { IntlShape } from 'react-intl'

import { ApiError } from '../utils/api'

const KNOWN = [
  'UNAUTHORIZED',
  'FORBIDDEN',
  'CROSS_SITE_REQUEST',
  'BATCH_TOO_LARGE',
  'NETWORK',
]

/** How long a 429 asks to wait: Retry-After, else the "try again in N s" of the app's message. */
export function retryAfterOf(error: ApiError): number | undefined {
  if (error.retryAfterSec !== undefined) return error.retryAfterSec
  const said = /try again in (\d+) s/i.exec(error.message)

  return said ? Number(said[1]) : undefined
}

/**
 * The batch size a 413 BATCH_TOO_LARGE allows (the account's maxItems
 * setting may be below the 5,000 default): the "at most N" of the app's
 * message, else half of what was sent; undefined when it cannot be smaller.
 */
export function smallerBatch(error: unknown, sent: number): number | undefined {
  if (
    !(error instanceof ApiError) ||
    error.status !== 413 ||
    error.code !== 'BATCH_TOO_LARGE'
  )
    return undefined
  const said = /at most ([\d,.]+)/.exec(error.message)
  const limit = said ? Number(said[1].replace(/[,.]/g, '')) : NaN

  if (Number.isInteger(limit) && limit >= 1 && limit < sent) return limit

  return sent > 1 ? Math.floor(sent / 2) : undefined
}

/** What an admin reads for a failed call: our words for the common cases, the app's message otherwise. */
export function describeError(error: unknown, intl: IntlShape): string {
  if (error instanceof ApiError) {
    const code = error.code === 'WRONG_ACCOUNT' ? 'UNAUTHORIZED' : error.code
    const wait = retryAfterOf(error)

    if (code === 'TOO_MANY_JOBS' && wait !== undefined)
      return intl.formatMessage(
        { id: 'admin/massive-score-update.error.TOO_MANY_JOBS' },
        { seconds: wait }
      )

    if (KNOWN.includes(code))
      return intl.formatMessage(
        { id: `admin/massive-score-update.error.${code}` },
        { message: error.message }
      )

    return `${error.message} (${error.code})`
  }

  return error instanceof Error ? error.message : String(error)
}
