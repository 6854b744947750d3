import React, { useCallback, useEffect, useState } from 'react'
import { useIntl } from 'react-intl'
import { Alert, Button, EmptyState, PageBlock, Spinner } from 'vtex.styleguide'

import type { Api, JobListEntry, JobSummary } from '../utils/api'
import { describeError } from './errors'

interface Entry extends JobListEntry {
  summary?: JobSummary
}

/** The account's recent jobs, with status and counts; each one reopens. */
export default function History({
  api,
  onOpen,
  refreshKey,
}: {
  api: Api
  onOpen: (jobId: string) => void
  /** Changes when a job starts or ends, so the list follows. */
  refreshKey: number
}) {
  const intl = useIntl()
  const t = (id: string, values?: Record<string, string | number>) =>
    intl.formatMessage({ id: `admin/massive-score-update.${id}` }, values)
  const [entries, setEntries] = useState<Entry[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [loading, setLoading] = useState(true)

  const load = useCallback(async () => {
    setLoading(true)
    setError(null)
    try {
      const { jobs } = await api.jobs(20)
      // The list has no status: each summary is one small read, with no Catalog call.
      const summaries = await Promise.all(
        jobs.map((job) => api.job(job.jobId).catch(() => undefined))
      )

      setEntries(jobs.map((job, i) => ({ ...job, summary: summaries[i] })))
    } catch (caught) {
      setError(describeError(caught, intl))
    }

    setLoading(false)
  }, [api, intl])

  useEffect(() => {
    load()
  }, [load, refreshKey])

  let body: React.ReactNode

  if (error) {
    body = (
      <Alert type="error" action={{ label: t('error.retry'), onClick: load }}>
        {error}
      </Alert>
    )
  } else if (!entries) {
    body = (
      <div role="status" className="flex items-center">
        <Spinner size={20} />
        <span className="ml3">{t('history.loading')}</span>
      </div>
    )
  } else if (entries.length === 0) {
    body = <EmptyState title={t('history.empty')} />
  } else {
    body = (
      <table className="w-100 collapse t-small" aria-label={t('history.title')}>
        <thead>
          <tr className="c-muted-1 tl">
            <th scope="col" className="pa3">
              {t('history.created')}
            </th>
            <th scope="col" className="pa3">
              {t('history.by')}
            </th>
            <th scope="col" className="pa3">
              {t('history.items')}
            </th>
            <th scope="col" className="pa3">
              {t('history.status')}
            </th>
            <th scope="col" className="pa3">
              {t('history.results')}
            </th>
            <th scope="col" className="pa3">
              <span className="clip">{t('history.open')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => {
            const summary = entry.summary
            const counts = summary?.counts ?? {}

            return (
              <tr key={entry.jobId} className="bt b--muted-4">
                <td className="pa3">
                  {intl.formatDate(entry.createdAt, {
                    dateStyle: 'medium',
                    timeStyle: 'short',
                  } as Intl.DateTimeFormatOptions)}
                </td>
                <td className="pa3">
                  {entry.startedBy?.login ?? entry.startedBy?.name ?? '—'}
                </td>
                <td className="pa3">
                  {intl.formatNumber(entry.total)}
                  {entry.dryRun ? ` (${t('history.dryRun')})` : ''}
                  {summary?.undoOf
                    ? ` · ${t('run.undoOf', {
                        jobId: summary.undoOf.slice(0, 8),
                      })}`
                    : ''}
                </td>
                <td className="pa3">
                  {summary ? t(`status.${summary.status}`) : '—'}
                </td>
                <td className="pa3">
                  {summary
                    ? t('run.counts', {
                        updated: (counts.UPDATED ?? 0) + (counts.DRY_RUN ?? 0),
                        unchanged: counts.UNCHANGED ?? 0,
                        failed: summary.failed,
                      })
                    : '—'}
                </td>
                <td className="pa3">
                  <Button
                    size="small"
                    variation="tertiary"
                    onClick={() => onOpen(entry.jobId)}
                    testId={`open-${entry.jobId}`}
                  >
                    {/* The styleguide Button takes no aria-label: the name screen readers hear is in a clipped span. */}
                    <span aria-hidden="true">{t('history.open')}</span>
                    <span className="clip">
                      {t('history.openJob', { jobId: entry.jobId })}
                    </span>
                  </Button>
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
    )
  }

  return (
    <PageBlock
      title={t('history.title')}
      subtitle={t('history.subtitle')}
      variation="full"
    >
      <div className="mb4">
        <Button
          size="small"
          variation="secondary"
          onClick={load}
          isLoading={loading}
        >
          {t('history.refresh')}
        </Button>
      </div>
      {body}
    </PageBlock>
  )
}
