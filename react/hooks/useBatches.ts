import { useRef } from 'react'
import { useIntl } from 'react-intl'

import { smallerBatch } from '../components/errors'
import type { Api, BatchAnswer, ItemResult, Kind } from '../utils/api'
import type { ScoreItem } from '../utils/items'
import { elementsOf } from '../utils/items'
import type { Translate } from './useMessages'

/**
 * A synchronous request carries at most this many items: the app's maxItems
 * default. An account whose setting is lower answers 413 BATCH_TOO_LARGE,
 * saying its limit: the page then sends that many at a time.
 */
export const SYNC_LIMIT = 5000

/** The page's synchronous batches, and how many items one may carry. */
export function useBatches({
  api,
  kind,
  notify,
  t,
}: {
  api: Api
  kind: Kind
  notify: (message: string) => void
  t: Translate
}) {
  const intl = useIntl()
  /** Items per synchronous request: SYNC_LIMIT, or the account's lower maxItems once a 413 told it. */
  const limit = useRef(SYNC_LIMIT)

  /** A 413 BATCH_TOO_LARGE for `sent` items: true if the limit is now lower and the items can go again. */
  const learnLimit = (caught: unknown, sent: number) => {
    const lower = smallerBatch(caught, sent)

    if (lower === undefined) return false
    limit.current = lower
    notify(t('toast.smallerBatches', { limit: intl.formatNumber(lower) }))

    return true
  }

  /** Synchronous batches of at most `limit` items, one answer with indexes into `items`. */
  async function sendInPieces(
    items: ScoreItem[],
    dryRun: boolean
  ): Promise<ItemResult[]> {
    const results: ItemResult[] = []
    let from = 0

    while (from < items.length) {
      const piece = items.slice(from, from + limit.current)
      let answer: BatchAnswer

      try {
        answer = await api.batch(kind, piece, dryRun)
      } catch (caught) {
        if (learnLimit(caught, piece.length)) continue
        throw caught
      }

      for (const element of elementsOf(answer))
        results.push({ ...element, index: element.index + from })
      from += piece.length
    }

    return results
  }

  return { limit, learnLimit, sendInPieces }
}

export type Batches = ReturnType<typeof useBatches>
