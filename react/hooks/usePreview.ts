import { useState } from 'react'

import type { LoadPage, PreviewRow } from '../components/PreviewTable'
import { memoryPages, toRow } from '../components/PreviewTable'
import type { Api, BatchAnswer } from '../utils/api'
import { ApiError } from '../utils/api'
import { elementsOf, itemsOf, newIdempotencyKey } from '../utils/items'
import type { Preview } from '../utils/previewRows'
import { countsOf, invalidRows } from '../utils/previewRows'
import { watchJob } from '../utils/watchJob'
import type { Batches } from './useBatches'
import { SYNC_LIMIT } from './useBatches'
import type { PageState } from './usePageState'

/** Refused rows: shown, and nothing runs until the file is fixed. */
const invalidPreview = (invalid: PreviewRow[]): Preview => ({
  loadPage: memoryPages(invalid),
  counts: countsOf(invalid),
  invalid,
})

/** The dry run of the file: what would change, what would not, what would fail. */
export function usePreview({
  api,
  pollMs,
  state,
  batches,
  jobError,
}: {
  api: Api
  pollMs: number
  state: PageState
  batches: Batches
  jobError: (caught: unknown) => void
}) {
  const { kind, sheet, setPreview } = state
  /** Rows read so far, while a dry run is on. */
  const [previewing, setPreviewing] = useState<{
    done: number
    total: number
  } | null>(null)

  const lineOf = (offset: number) => (index: number) =>
    sheet?.items[offset + index]?.line ?? offset + index + 2

  async function startPreview() {
    if (!sheet) return
    state.reset()
    const total = sheet.items.length

    setPreviewing({ done: 0, total })
    try {
      if (kind === 'product' && total > SYNC_LIMIT) {
        // A dry-run job reads everything; its results are read a page at a time.
        const { jobId } = await api.startJob(
          itemsOf(sheet),
          true,
          newIdempotencyKey()
        )
        const summary = await watchJob(api, pollMs, jobId, (s) =>
          setPreviewing({ done: s.progress.done, total })
        )
        const loadPage: LoadPage = async (offset, limit) => {
          const page = await api.results(jobId, String(offset), limit)

          return {
            rows: page.elements.map((e) => toRow(e, lineOf(0), false)),
            total: page.total,
          }
        }

        setPreview({
          loadPage,
          counts: {
            update: summary.counts.DRY_RUN ?? 0,
            unchanged: summary.counts.UNCHANGED ?? 0,
            failed: summary.failed,
          },
        })
        state.refreshHistory()
      } else {
        // Categories (and small product files): synchronous dry runs, 5,000 rows (or the account's maxItems) at a time.
        const rows: PreviewRow[] = []

        for (let from = 0; from < total; ) {
          const size = Math.min(batches.limit.current, total - from)
          let answer: BatchAnswer

          try {
            answer = await api.batch(
              kind,
              itemsOf(sheet, from, from + size),
              true
            )
          } catch (caught) {
            if (batches.learnLimit(caught, size)) continue
            const invalid =
              caught instanceof ApiError
                ? invalidRows(caught, sheet, from)
                : undefined

            if (!invalid) throw caught
            setPreview(invalidPreview(invalid))

            return
          }

          const elements = elementsOf(answer)

          elements.sort((a, b) => a.index - b.index)
          rows.push(...elements.map((e) => toRow(e, lineOf(from), false)))
          from += size
          setPreviewing({ done: rows.length, total })
        }

        setPreview({
          loadPage: memoryPages(rows),
          failedPage: memoryPages(rows.filter((row) => row.result === 'fail')),
          counts: countsOf(rows),
        })
      }
    } catch (caught) {
      const invalid =
        caught instanceof ApiError && sheet
          ? invalidRows(caught, sheet, 0)
          : undefined

      if (invalid) setPreview(invalidPreview(invalid))
      else jobError(caught)
    } finally {
      setPreviewing(null)
    }
  }

  return { previewing, startPreview }
}
