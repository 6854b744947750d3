import { useCallback } from 'react'
import { useIntl } from 'react-intl'

export type Translate = (
  id: string,
  values?: Record<string, string | number>
) => string

/** The page's words: `t('run.button')` reads admin/massive-score-update.run.button (messages/*.json). */
export function useMessages(): Translate {
  const intl = useIntl()

  return useCallback(
    (id, values) =>
      intl.formatMessage({ id: `admin/massive-score-update.${id}` }, values),
    [intl]
  )
}
