import React from 'react'
import { useIntl } from 'react-intl'
import { Alert, Button, Checkbox, EmptyState, PageBlock } from 'vtex.styleguide'

import { useMessages } from '../hooks/useMessages'
import type { Preview } from '../utils/previewRows'
import PreviewTable from './PreviewTable'
import ProgressBar from './ProgressBar'

/** Step 2: the dry run, its progress, its counts and its rows (all, or only those that would fail). */
export default function PreviewStep({
  hasFile,
  preview,
  previewing,
  onPreview,
  onlyFailed,
  onOnlyFailedChange,
  running,
}: {
  hasFile: boolean
  preview: Preview | null
  /** Rows read so far, while the dry run is on. */
  previewing: { done: number; total: number } | null
  onPreview: () => void
  onlyFailed: boolean
  onOnlyFailedChange: (onlyFailed: boolean) => void
  /** A run is on: no preview meanwhile. */
  running: boolean
}) {
  const intl = useIntl()
  const t = useMessages()
  const previewLoader =
    onlyFailed && preview?.failedPage ? preview.failedPage : preview?.loadPage

  return (
    <PageBlock
      title={t('preview.title')}
      subtitle={t('preview.subtitle')}
      variation="full"
    >
      {!hasFile ? (
        <EmptyState title={t('empty.noFile')} />
      ) : (
        <>
          <Button
            onClick={onPreview}
            isLoading={Boolean(previewing)}
            disabled={running}
          >
            {t('preview.button')}
          </Button>
          {previewing && (
            <div className="mt4">
              <p role="status" className="mt0">
                <span>{t('preview.loading')}</span>{' '}
                <span>
                  {t('run.progress', {
                    done: intl.formatNumber(previewing.done),
                    total: intl.formatNumber(previewing.total),
                  })}
                </span>
              </p>
              <ProgressBar
                label={t('preview.progressLabel')}
                done={previewing.done}
                total={previewing.total}
                valueText={t('run.progress', {
                  done: intl.formatNumber(previewing.done),
                  total: intl.formatNumber(previewing.total),
                })}
              />
            </div>
          )}
          {preview && (
            <div className="mt5">
              {preview.invalid ? (
                <Alert type="error">
                  {t('preview.invalid', { count: preview.invalid.length })}
                </Alert>
              ) : (
                <p
                  className="t-body"
                  role="status"
                  data-testid="preview-summary"
                >
                  {t('preview.summary', {
                    update: intl.formatNumber(preview.counts.update),
                    unchanged: intl.formatNumber(preview.counts.unchanged),
                    failed: intl.formatNumber(preview.counts.failed),
                  })}
                </p>
              )}
              {preview.failedPage && preview.counts.failed > 0 && (
                <div className="mb4">
                  <Checkbox
                    id="msu-only-failed"
                    name="only-failed"
                    label={t('preview.onlyFailed')}
                    checked={onlyFailed}
                    onChange={() => onOnlyFailedChange(!onlyFailed)}
                  />
                </div>
              )}
              {previewLoader && (
                <PreviewTable
                  loadPage={previewLoader}
                  label={t('table.label')}
                />
              )}
            </div>
          )}
        </>
      )}
    </PageBlock>
  )
}
