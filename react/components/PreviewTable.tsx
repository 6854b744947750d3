import React, { useEffect, useMemo, useState } from 'react'
import { useIntl } from 'react-intl'
import {
  EXPERIMENTAL_Table as Table,
  EXPERIMENTAL_useTableMeasures as useTableMeasures,
  Pagination,
  Spinner,
} from 'vtex.styleguide'

import type { ItemResult } from '../utils/api'

export interface PreviewRow {
  line: number
  id: string
  previousScore: string
  score: string
  result: 'update' | 'updated' | 'unchanged' | 'fail' | 'pending'
  reason: string
}

/** Rows from the app's answers; `lineOf` turns an item's index into its line in the file. */
export function toRow(
  element: ItemResult,
  lineOf: (index: number) => number,
  written: boolean
): PreviewRow {
  let result: PreviewRow['result'] = 'fail'

  if (element.success === 'pending') result = 'pending'
  else if (element.success === 'true')
    result = element.unchanged ? 'unchanged' : written ? 'updated' : 'update'

  return {
    line: lineOf(element.index),
    id: String(element.id),
    previousScore:
      element.previousScore === null || element.previousScore === undefined
        ? '—'
        : String(element.previousScore),
    score: String(element.score),
    result,
    reason:
      result === 'fail'
        ? `${element.code ?? ''}${
            element.errorMessage ? `: ${element.errorMessage}` : ''
          }`
        : '',
  }
}

/** A page of rows: from memory, or from a job's results on the app. */
export type LoadPage = (
  offset: number,
  limit: number
) => Promise<{ rows: PreviewRow[]; total: number }>

export const memoryPages =
  (rows: PreviewRow[]): LoadPage =>
  async (offset, limit) => ({
    rows: rows.slice(offset, offset + limit),
    total: rows.length,
  })

const ROWS_OPTIONS = [10, 25, 50, 100]

/** Never the whole file: one page at a time, 10 to 100 rows. */
export default function PreviewTable({
  loadPage,
  label,
}: {
  loadPage: LoadPage
  label: string
}) {
  const intl = useIntl()
  const t = (id: string) =>
    intl.formatMessage({ id: `admin/massive-score-update.${id}` })
  const [size, setSize] = useState(10)
  const [offset, setOffset] = useState(0)
  const [page, setPage] = useState<{
    rows: PreviewRow[]
    total: number
  } | null>(null)
  const [loading, setLoading] = useState(true)
  const measures = useTableMeasures({ size })

  useEffect(() => setOffset(0), [loadPage])

  useEffect(() => {
    let live = true

    setLoading(true)
    loadPage(offset, size).then(
      (answer) => {
        if (!live) return
        setPage(answer)
        setLoading(false)
      },
      () => live && setLoading(false)
    )

    return () => {
      live = false
    }
  }, [loadPage, offset, size])

  const columns = useMemo(
    () => [
      { id: 'line', title: t('table.line'), width: '5rem' },
      { id: 'id', title: t('table.id'), width: '7rem' },
      { id: 'previousScore', title: t('table.current'), width: '9rem' },
      { id: 'score', title: t('table.new'), width: '8rem' },
      {
        id: 'result',
        title: t('table.result'),
        width: '9rem',
        cellRenderer: ({ data }: { data: PreviewRow['result'] }) => (
          <span
            className={
              data === 'fail'
                ? 'c-danger b'
                : data === 'unchanged'
                ? 'c-muted-1'
                : 'c-success'
            }
          >
            {t(`result.${data}`)}
          </span>
        ),
      },
      { id: 'reason', title: t('table.reason') },
    ],
    [intl]
  )

  if (!page) {
    return (
      <div role="status" className="flex items-center pa5">
        <Spinner size={20} />
        <span className="ml3">{t('table.loading')}</span>
      </div>
    )
  }

  const total = page.total

  return (
    <section aria-label={label} aria-busy={loading}>
      <Table
        measures={measures}
        items={page.rows}
        columns={columns}
        loading={loading}
        testId="preview-table"
      />
      <Pagination
        rowsOptions={ROWS_OPTIONS}
        currentItemFrom={total === 0 ? 0 : offset + 1}
        currentItemTo={Math.min(offset + size, total)}
        totalItems={total}
        textOf={t('table.of')}
        textShowRows={t('table.rows')}
        testIds={{
          prevBtn: 'preview-prev',
          nextBtn: 'preview-next',
          pageIndicator: 'preview-page',
          rowsOptions: 'preview-rows',
        }}
        onNextClick={() => offset + size < total && setOffset(offset + size)}
        onPrevClick={() => setOffset(Math.max(0, offset - size))}
        onRowsChange={(_event: unknown, value: string) => {
          setSize(Number(value))
          setOffset(0)
        }}
      />
    </section>
  )
}
