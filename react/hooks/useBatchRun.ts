import { useRef } from 'react'
import { useIntl } from 'react-intl'

import { describeError } from '../components/errors'
import type { Api, ItemResult, Kind } from '../utils/api'
import type { ScoreItem } from '../utils/items'
import { elementsOf } from '../utils/items'
import type { Run } from '../utils/run'
import { countCode } from '../utils/run'
import type { Batches } from './useBatches'

/**
 * A run of categories (no job on the app for them): synchronous batches
 * sent from the page one after another, with their progress, until all are
 * sent, one fails, or the admin stops them.
 */
export function useBatchRun({
  api,
  kind,
  batches,
  setRun,
}: {
  api: Api
  kind: Kind
  batches: Batches
  setRun: (run: Run) => void
}) {
  const intl = useIntl()
  const stopRequested = useRef(false)

  async function runBatches(items: ScoreItem[], isUndo: boolean) {
    stopRequested.current = false
    const results: ItemResult[] = []
    const counts: Record<string, number> = {}
    const base: Run = {
      mode: 'batches',
      status: 'running',
      total: items.length,
      done: 0,
      counts,
      failed: 0,
      dryRun: false,
      results,
      isUndo,
    }

    setRun({ ...base })
    let from = 0

    while (from < items.length) {
      if (stopRequested.current) break
      const chunk = items.slice(from, from + batches.limit.current)

      try {
        const answer = await api.batch(kind, chunk, false)

        for (const element of elementsOf(answer)) {
          const code = countCode(element)

          results.push({ ...element, index: element.index + from })
          counts[code] = (counts[code] ?? 0) + 1
        }
      } catch (caught) {
        // Nothing of a refused batch was written: it goes again, smaller.
        if (batches.learnLimit(caught, chunk.length)) continue
        setRun({
          ...base,
          status: 'failed',
          done: from,
          failed: items.length - from,
          error: describeError(caught, intl),
        })

        return
      }

      from += chunk.length
      results.sort((a, b) => a.index - b.index)
      setRun({
        ...base,
        done: from,
        failed: results.filter((r) => r.success === 'false').length,
        counts: { ...counts },
        results: [...results],
      })
    }

    const notRun = items.length - from

    if (notRun > 0) counts.NOT_ATTEMPTED = notRun
    setRun({
      ...base,
      status: notRun > 0 ? 'cancelled' : 'done',
      done: from,
      failed: results.filter((r) => r.success === 'false').length,
      counts: { ...counts },
      results: [...results],
    })
  }

  /** The batch on its way ends; no other starts. */
  const stopBatches = () => {
    stopRequested.current = true
  }

  return { runBatches, stopBatches }
}
