import React, { useMemo } from 'react'
import { Alert, Layout, PageHeader, ToastProvider } from 'vtex.styleguide'

import History from './components/History'
import PreviewStep from './components/PreviewStep'
import RunResult from './components/RunResult'
import RunStep from './components/RunStep'
import UploadStep from './components/UploadStep'
import { useBatches } from './hooks/useBatches'
import { useFeedback } from './hooks/useFeedback'
import { useMessages } from './hooks/useMessages'
import { usePageState } from './hooks/usePageState'
import { usePreview } from './hooks/usePreview'
import { useRun } from './hooks/useRun'
import type { Api } from './utils/api'
import { createApi, FINISHED } from './utils/api'

export { SYNC_LIMIT } from './hooks/useBatches'

export interface MassiveScoreUpdateProps {
  /** The API client; the store uses the admin cookie, the local demo adds its sample token. */
  api?: Api
  /** How often a running job is read (ms). */
  pollMs?: number
}

/** The page's steps in order, wired to the state they share. */
function Page({ api, pollMs }: { api: Api; pollMs: number }) {
  const t = useMessages()
  const feedback = useFeedback()
  const state = usePageState(() => feedback.setError(null))
  const { kind, sheet, preview, run } = state
  const batches = useBatches({ api, kind, notify: feedback.notify, t })
  const { previewing, startPreview } = usePreview({
    api,
    pollMs,
    state,
    batches,
    jobError: feedback.jobError,
  })
  const runner = useRun({ api, pollMs, state, feedback, batches, t })

  const running = Boolean(run && !FINISHED.includes(run.status))
  const canRun = Boolean(
    sheet &&
      preview &&
      !preview.invalid &&
      !running &&
      !(kind === 'product' && feedback.jobsBlocked)
  )

  return (
    <Layout
      fullWidth
      pageHeader={<PageHeader title={t('title')} subtitle={t('subtitle')} />}
    >
      {/* Alert is a role="alert" region itself: its words are announced when it appears. */}
      {feedback.error && (
        <div className="mb5">
          <Alert
            type="error"
            onClose={() => feedback.setError(null)}
            closeIconLabel={t('error.close')}
          >
            {feedback.error}
          </Alert>
        </div>
      )}
      <div
        className="clip"
        role="status"
        aria-live="polite"
        data-testid="announcer"
      >
        {feedback.announcement}
      </div>

      <UploadStep
        kind={kind}
        onKindChange={state.chooseKind}
        sheet={sheet}
        fileName={state.fileName}
        onReset={state.reset}
        onFileName={state.setFileName}
        onSheet={state.setSheet}
      />

      <PreviewStep
        hasFile={Boolean(sheet)}
        preview={preview}
        previewing={previewing}
        onPreview={startPreview}
        onlyFailed={state.onlyFailed}
        onOnlyFailedChange={state.setOnlyFailed}
        running={running}
      />

      <RunStep
        kind={kind}
        itemCount={sheet ? sheet.items.length : null}
        canRun={canRun}
        needsPreview={!preview || Boolean(preview.invalid)}
        busy={runner.busy}
        onRun={runner.start}
      >
        {run && (
          <RunResult
            run={run}
            running={running}
            jobsBlocked={feedback.jobsBlocked}
            onCancel={runner.cancel}
            onDownload={runner.downloadFailed}
            onUndo={runner.undo}
          />
        )}
      </RunStep>

      <History
        api={api}
        onOpen={runner.openJob}
        refreshKey={state.historyKey}
      />
    </Layout>
  )
}

/** The admin page (admin/routes.json): upload, preview, run, watch, fix, undo, history. */
export default function MassiveScoreUpdate({
  api,
  pollMs = 1500,
}: MassiveScoreUpdateProps) {
  const client = useMemo(() => api ?? createApi(), [api])

  return (
    <ToastProvider positioning="window">
      <Page api={client} pollMs={pollMs} />
    </ToastProvider>
  )
}
