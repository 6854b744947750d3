import React, { useEffect, useMemo, useState } from 'react'
import { useIntl } from 'react-intl'
import {
  Button,
  Dropdown,
  EXPERIMENTAL_Table as Table,
  EXPERIMENTAL_useTableMeasures as useTableMeasures,
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
  const t = (id: string, values?: Record<string, string | number>) =>
    intl.formatMessage({ id: `admin/massive-score-update.${id}` }, values)
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
  const from = total === 0 ? 0 : offset + 1
  const to = Math.min(offset + size, total)

  return (
    <section aria-label={label} aria-busy={loading}>
      <Table
        measures={measures}
        items={page.rows}
        columns={columns}
        loading={loading}
        testId="preview-table"
      />
      {/*
        The styleguide Pagination's previous/next buttons are icons with no
        name it lets us give, and its rows dropdown has no label: the same
        controls here, named. The range is announced as pages turn.
      */}
      <div className="flex flex-wrap items-end justify-between pt5">
        <div className="w4">
          <Dropdown
            size="small"
            label={t('table.rows')}
            options={ROWS_OPTIONS.map((n) => ({ value: n, label: String(n) }))}
            value={size}
            selectTestId="preview-rows"
            onChange={(_event: unknown, value: string) => {
              setSize(Number(value))
              setOffset(0)
            }}
          />
        </div>
        <nav className="flex items-center" aria-label={t('table.pagination')}>
          <span
            className="t-small c-muted-1 mr4"
            data-testid="preview-page"
            role="status"
          >
            {t('table.range', {
              from: intl.formatNumber(from),
              to: intl.formatNumber(to),
              total: intl.formatNumber(total),
            })}
          </span>
          <div className="mr2">
            <Button
              size="small"
              variation="secondary"
              disabled={offset === 0}
              onClick={() => setOffset(Math.max(0, offset - size))}
              testId="preview-prev"
            >
              <span aria-hidden="true">‹</span>
              <span className="clip">{t('table.previous')}</span>
            </Button>
          </div>
          <Button
            size="small"
            variation="secondary"
            disabled={offset + size >= total}
            onClick={() => offset + size < total && setOffset(offset + size)}
            testId="preview-next"
          >
            <span aria-hidden="true">›</span>
            <span className="clip">{t('table.next')}</span>
          </Button>
        </nav>
      </div>
    </section>
  )
}
