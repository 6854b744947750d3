import { useState } from 'react'
import { useIntl } from 'react-intl'

import type { Api } from '../utils/api'
import { FINISHED } from '../utils/api'
import { download } from '../utils/download'
import { failedRowsFile } from '../utils/failedRowsFile'
import { itemsOf } from '../utils/items'
import { runOfJob, undoItems } from '../utils/run'
import { watchJob } from '../utils/watchJob'
import type { Batches } from './useBatches'
import { useBatchRun } from './useBatchRun'
import type { Feedback } from './useFeedback'
import type { Translate } from './useMessages'
import type { PageState } from './usePageState'

/** The run and what follows it: start, follow, cancel, download the failed rows, undo, reopen a job. */
export function useRun({
  api,
  pollMs,
  state,
  feedback,
  batches,
  t,
}: {
  api: Api
  pollMs: number
  state: PageState
  feedback: Feedback
  batches: Batches
  t: Translate
}) {
  const intl = useIntl()
  const { kind, sheet, run, setRun, refreshHistory } = state
  const { notify, showError, jobError } = feedback
  /** A product run is being started (its job not created yet). */
  const [busy, setBusy] = useState(false)
  const { runBatches, stopBatches } = useBatchRun({
    api,
    kind,
    batches,
    setRun,
  })

  async function followJob(jobId: string) {
    try {
      const summary = await watchJob(api, pollMs, jobId, (s) =>
        setRun(runOfJob(jobId, s))
      )

      if (FINISHED.includes(summary.status)) refreshHistory()
    } catch (caught) {
      showError(caught)
    }
  }

  async function start() {
    if (!sheet) return
    feedback.setError(null)
    setBusy(true)
    try {
      if (kind === 'product') {
        const { jobId } = await api.startJob(
          itemsOf(sheet),
          false,
          state.runKey.current
        )

        notify(t('toast.started'))
        setRun({
          mode: 'job',
          jobId,
          status: 'queued',
          total: sheet.items.length,
          done: 0,
          counts: {},
          failed: 0,
          dryRun: false,
        })
        refreshHistory()
        setBusy(false)
        await followJob(jobId)
      } else {
        setBusy(false)
        await runBatches(itemsOf(sheet), false)
      }
    } catch (caught) {
      jobError(caught)
    } finally {
      setBusy(false)
    }
  }

  async function cancel() {
    if (!run) return
    if (run.mode === 'batches') {
      stopBatches()
      setRun({ ...run, status: 'cancelling' })

      return
    }

    try {
      await api.cancel(run.jobId as string)
      notify(t('toast.cancelled'))
    } catch (caught) {
      showError(caught)
    }
  }

  async function downloadFailed() {
    if (!run) return
    try {
      const { name, file } = await failedRowsFile({
        api,
        run,
        sheet,
        fileName: state.fileName,
        locale: intl.locale,
      })

      download(name, file)
    } catch (caught) {
      showError(caught)
    }
  }

  async function undo() {
    if (!run || !window.confirm(t('run.undoConfirm'))) return
    feedback.setError(null)
    try {
      if (run.mode === 'job') {
        const { jobId } = await api.undo(run.jobId as string)

        notify(t('toast.undo'))
        refreshHistory()
        await followJob(jobId)
      } else {
        // Categories: put back previousScore only where the Score is still the one written (read first).
        const still = await undoItems(run.results ?? [], (items) =>
          batches.sendInPieces(items, true)
        )

        notify(t('toast.undo'))
        await runBatches(still, true)
      }
    } catch (caught) {
      jobError(caught)
    }
  }

  /** A job from the history, followed as if it had just been started. */
  async function openJob(jobId: string) {
    state.showJobOnly()
    await followJob(jobId)
  }

  return { busy, start, cancel, downloadFailed, undo, openJob }
}
