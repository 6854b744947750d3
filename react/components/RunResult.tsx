import React from 'react'
import { useIntl } from 'react-intl'
import { Alert, Button } from 'vtex.styleguide'

import { useMessages } from '../hooks/useMessages'
import type { Run } from '../utils/run'
import ProgressBar from './ProgressBar'

/** A run as it goes and once it ends: status, progress, counts, and cancel, the failed rows or undo. */
export default function RunResult({
  run,
  running,
  jobsBlocked,
  onCancel,
  onDownload,
  onUndo,
}: {
  run: Run
  running: boolean
  /** A 429 asked to wait before another job (an undo of a job is one). */
  jobsBlocked: boolean
  onCancel: () => void
  onDownload: () => void
  onUndo: () => void
}) {
  const intl = useIntl()
  const t = useMessages()
  const updated = run.counts.UPDATED ?? 0
  const progress = t('run.progress', {
    done: intl.formatNumber(run.done),
    total: intl.formatNumber(run.total),
  })
  const canUndo =
    !running &&
    !run.undoOf &&
    !run.isUndo &&
    !run.dryRun &&
    run.status === 'done' &&
    updated > 0

  return (
    <div data-testid="run">
      {/* A live region: "Running", "Finished", "Cancelled" are read out as they come. */}
      <p
        className="t-heading-5 mt0"
        data-testid="run-status"
        role="status"
        aria-live="polite"
        aria-atomic="true"
      >
        {run.jobId
          ? run.undoOf
            ? t('run.undoOf', { jobId: run.undoOf })
            : t('run.job', { jobId: run.jobId })
          : run.isUndo
          ? t('run.undo')
          : ''}{' '}
        <strong>{t(`status.${run.status}`)}</strong>
      </p>
      <ProgressBar
        label={t('run.progressLabel')}
        done={run.done}
        total={run.total}
        valueText={progress}
      />
      <p className="t-small" data-testid="run-progress">
        {progress} ·{' '}
        {t('run.counts', {
          updated: intl.formatNumber(updated + (run.counts.DRY_RUN ?? 0)),
          unchanged: intl.formatNumber(run.counts.UNCHANGED ?? 0),
          failed: intl.formatNumber(run.failed),
        })}
      </p>
      {run.error && <Alert type="error">{run.error}</Alert>}
      <div className="flex flex-wrap mt4">
        {running && (
          <div className="mr3 mb3">
            <Button
              variation="danger-tertiary"
              onClick={onCancel}
              disabled={run.status === 'cancelling'}
            >
              {t('run.cancel')}
            </Button>
          </div>
        )}
        {!running && run.failed > 0 && (
          <div className="mr3 mb3">
            <Button variation="secondary" onClick={onDownload}>
              {t('run.download')}
            </Button>
          </div>
        )}
        {canUndo && (
          <div className="mr3 mb3">
            <Button
              variation="danger"
              onClick={onUndo}
              disabled={run.mode === 'job' && jobsBlocked}
            >
              {t('run.undo')}
            </Button>
          </div>
        )}
      </div>
    </div>
  )
}
