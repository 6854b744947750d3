import type { IntlShape } from 'react-intl'

import { ApiError } from '../utils/api'

const KNOWN = [
  'UNAUTHORIZED',
  'FORBIDDEN',
  'CROSS_SITE_REQUEST',
  'BATCH_TOO_LARGE',
  'NETWORK',
]

/** What an admin reads for a failed call: our words for the common cases, the app's message otherwise. */
export function describeError(error: unknown, intl: IntlShape): string {
  if (error instanceof ApiError) {
    const code = error.code === 'WRONG_ACCOUNT' ? 'UNAUTHORIZED' : error.code

    if (KNOWN.includes(code))
      return intl.formatMessage(
        { id: `admin/massive-score-update.error.${code}` },
        { message: error.message }
      )

    return `${error.message} (${error.code})`
  }

  return error instanceof Error ? error.message : String(error)
}
