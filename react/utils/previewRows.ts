import type { LoadPage, PreviewRow } from '../components/PreviewTable'
import type { ApiError, ItemResult } from './api'
import type { ParsedSheet } from './spreadsheet'

export type Counts = { update: number; unchanged: number; failed: number }

/** A dry run's answer, as the preview shows it. */
export interface Preview {
  loadPage: LoadPage
  failedPage?: LoadPage
  counts: Counts
  /** Rows the app refused (INVALID_ITEMS): nothing can run until the file is fixed. */
  invalid?: PreviewRow[]
}

export function countsOf(rows: PreviewRow[]): Counts {
  return {
    update: rows.filter(
      (row) => row.result === 'update' || row.result === 'updated'
    ).length,
    unchanged: rows.filter((row) => row.result === 'unchanged').length,
    failed: rows.filter((row) => row.result === 'fail').length,
  }
}

/** The app's invalid items (400 INVALID_ITEMS), one row each, at their line. */
export function invalidRows(
  error: ApiError,
  sheet: ParsedSheet,
  offset: number
): PreviewRow[] | undefined {
  if (error.code !== 'INVALID_ITEMS') return undefined
  const body = error.body as { failedResponses?: { elements?: ItemResult[][] } }

  return (body.failedResponses?.elements ?? []).map((problems) => {
    const first = problems[0]
    const item = sheet.items[offset + first.index]

    return {
      line: item?.line ?? first.index + 2,
      id: item?.id ?? String(first.id),
      previousScore: '—',
      score: item?.score ?? String(first.score),
      result: 'fail' as const,
      reason: problems.map((p) => `${p.code}: ${p.errorMessage}`).join(' · '),
    }
  })
}
