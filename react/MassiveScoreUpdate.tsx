import React, {
  useCallback,
  useContext,
  useMemo,
  useRef,
  useState,
} from 'react'
import { useIntl } from 'react-intl'
import {
  Alert,
  Button,
  Checkbox,
  EmptyState,
  Layout,
  PageBlock,
  PageHeader,
  RadioGroup,
  Spinner,
  ToastContext,
  ToastProvider,
} from 'vtex.styleguide'

import History from './components/History'
import ProgressBar from './components/ProgressBar'
import PreviewTable, {
  LoadPage,
  memoryPages,
  PreviewRow,
  toRow,
} from './components/PreviewTable'
import { describeError, retryAfterOf, smallerBatch } from './components/errors'
import type {
  Api,
  BatchAnswer,
  ItemResult,
  JobSummary,
  Kind,
} from './utils/api'
import { ApiError, createApi, FINISHED } from './utils/api'
import {
  DELIMITER_NAMES,
  failedCsv,
  failedSheet,
  reportCells,
  writeXlsx,
} from './utils/failedRows'
import { download } from './utils/download'
import { itemsOf, newIdempotencyKey } from './utils/items'
import type { Preview } from './utils/previewRows'
import { countsOf, invalidRows } from './utils/previewRows'
import { blobBytes, readSpreadsheet } from './utils/readFile'
import type { Run } from './utils/run'
import type { ParsedSheet } from './utils/spreadsheet'
import { localeDelimiter, SheetError } from './utils/spreadsheet'

/**
 * A synchronous request carries at most this many items: the app's maxItems
 * default. An account whose setting is lower answers 413 BATCH_TOO_LARGE,
 * saying its limit: the page then sends that many at a time.
 */
export const SYNC_LIMIT = 5000

export interface MassiveScoreUpdateProps {
  /** The API client; the store uses the admin cookie, the local demo adds its sample token. */
  api?: Api
  /** How often a running job is read (ms). */
  pollMs?: number
}

function Page({ api, pollMs }: { api: Api; pollMs: number }) {
  const intl = useIntl()
  const { showToast } = useContext(ToastContext)
  const t = useCallback(
    (id: string, values?: Record<string, string | number>) =>
      intl.formatMessage({ id: `admin/massive-score-update.${id}` }, values),
    [intl]
  )

  const [kind, setKind] = useState<Kind>('product')
  const [fileName, setFileName] = useState('')
  const [reading, setReading] = useState(false)
  const [sheet, setSheet] = useState<ParsedSheet | null>(null)
  const [fileError, setFileError] = useState<string | null>(null)
  const [preview, setPreview] = useState<Preview | null>(null)
  const [previewing, setPreviewing] = useState<{
    done: number
    total: number
  } | null>(null)
  const [onlyFailed, setOnlyFailed] = useState(false)
  const [run, setRun] = useState<Run | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [historyKey, setHistoryKey] = useState(0)
  /** The last toast's words, for screen readers (the styleguide's toasts are no live region). */
  const [announcement, setAnnouncement] = useState('')
  /** Until when the app asked not to start another job (429 TOO_MANY_JOBS). */
  const [jobsBlocked, setJobsBlocked] = useState(false)
  const stopBatches = useRef(false)
  /** Items per synchronous request: SYNC_LIMIT, or the account's lower maxItems once a 413 told it. */
  const batchLimit = useRef(SYNC_LIMIT)
  const runKey = useRef(newIdempotencyKey())

  const notify = (message: string) => {
    showToast({ message, duration: 4000 })
    setAnnouncement(message)
  }

  /** A 413 BATCH_TOO_LARGE for `sent` items: true if the limit is now lower and the items can go again. */
  const learnLimit = (caught: unknown, sent: number) => {
    const limit = smallerBatch(caught, sent)

    if (limit === undefined) return false
    batchLimit.current = limit
    notify(t('toast.smallerBatches', { limit: intl.formatNumber(limit) }))

    return true
  }

  /** Errors of a call that creates a job: a 429 holds the buttons that create one for the wait it gives. */
  const jobError = (caught: unknown) => {
    if (caught instanceof ApiError && caught.code === 'TOO_MANY_JOBS') {
      const wait = retryAfterOf(caught) ?? 5

      setJobsBlocked(true)
      setTimeout(() => setJobsBlocked(false), wait * 1000)
    }

    setError(describeError(caught, intl))
  }

  /** Synchronous batches of at most batchLimit items, one answer with indexes into `items`. */
  async function batchInPieces(
    items: Array<{ id: string; score: string }>,
    dryRun: boolean
  ): Promise<ItemResult[]> {
    const results: ItemResult[] = []
    let from = 0

    while (from < items.length) {
      const piece = items.slice(from, from + batchLimit.current)
      let answer: BatchAnswer

      try {
        answer = await api.batch(kind, piece, dryRun)
      } catch (caught) {
        if (learnLimit(caught, piece.length)) continue
        throw caught
      }

      for (const element of [
        ...answer.successfulResponses.elements,
        ...answer.failedResponses.elements,
      ])
        results.push({ ...element, index: element.index + from })
      from += piece.length
    }

    return results
  }

  const reset = () => {
    setPreview(null)
    setRun(null)
    setError(null)
    setOnlyFailed(false)
    runKey.current = newIdempotencyKey()
  }

  async function onFile(event: React.ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0]

    reset()
    setSheet(null)
    setFileError(null)
    if (!file) return
    setFileName(file.name)
    setReading(true)
    try {
      setSheet(await readSpreadsheet(file, localeDelimiter(intl.locale)))
    } catch (caught) {
      setFileError(
        caught instanceof SheetError
          ? t(`file.error.${caught.code}`, caught.values)
          : t('file.error.NOT_A_SPREADSHEET')
      )
    }

    setReading(false)
  }

  const lineOf = useCallback(
    (offset: number) => (index: number) =>
      sheet?.items[offset + index]?.line ?? offset + index + 2,
    [sheet]
  )

  /** Polls a job until it ends; returns its last summary. */
  const watch = useCallback(
    async (jobId: string, onSummary: (summary: JobSummary) => void) => {
      for (;;) {
        const summary = await api.job(jobId)

        onSummary(summary)
        if (FINISHED.includes(summary.status)) return summary
        await new Promise((resolve) => setTimeout(resolve, pollMs))
      }
    },
    [api, pollMs]
  )

  async function onPreview() {
    if (!sheet) return
    reset()
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
        const summary = await watch(jobId, (s) =>
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
        setHistoryKey((k) => k + 1)
      } else {
        // Categories (and small product files): synchronous dry runs, 5,000 rows (or the account's maxItems) at a time.
        const rows: PreviewRow[] = []

        for (let from = 0; from < total; ) {
          const size = Math.min(batchLimit.current, total - from)
          let answer: BatchAnswer

          try {
            answer = await api.batch(
              kind,
              itemsOf(sheet, from, from + size),
              true
            )
          } catch (caught) {
            if (learnLimit(caught, size)) continue
            const invalid =
              caught instanceof ApiError
                ? invalidRows(caught, sheet, from)
                : undefined

            if (!invalid) throw caught
            setPreview({
              loadPage: memoryPages(invalid),
              counts: countsOf(invalid),
              invalid,
            })

            return
          }

          const elements = [
            ...answer.successfulResponses.elements,
            ...answer.failedResponses.elements,
          ]

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

      if (invalid)
        setPreview({
          loadPage: memoryPages(invalid),
          counts: countsOf(invalid),
          invalid,
        })
      else jobError(caught)
    } finally {
      setPreviewing(null)
    }
  }

  const followJob = useCallback(
    async (jobId: string) => {
      try {
        const summary = await watch(jobId, (s) =>
          setRun({
            mode: 'job',
            jobId,
            undoOf: s.undoOf,
            status: s.status,
            total: s.progress.total,
            done: s.progress.done,
            counts: s.counts,
            failed: s.failed,
            dryRun: s.dryRun,
          })
        )

        if (FINISHED.includes(summary.status)) setHistoryKey((k) => k + 1)
      } catch (caught) {
        setError(describeError(caught, intl))
      }
    },
    [watch, intl]
  )

  async function runBatches(
    items: Array<{ id: string; score: string }>,
    isUndo: boolean
  ) {
    stopBatches.current = false
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
      if (stopBatches.current) break
      const chunk = items.slice(from, from + batchLimit.current)

      try {
        const answer = await api.batch(kind, chunk, false)

        for (const element of [
          ...answer.successfulResponses.elements,
          ...answer.failedResponses.elements,
        ]) {
          const shifted = { ...element, index: element.index + from }
          const code =
            element.success === 'true'
              ? element.unchanged
                ? 'UNCHANGED'
                : 'UPDATED'
              : element.code ?? 'FAILED'

          results.push(shifted)
          counts[code] = (counts[code] ?? 0) + 1
        }
      } catch (caught) {
        // Nothing of a refused batch was written: it goes again, smaller.
        if (learnLimit(caught, chunk.length)) continue
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

  async function onRun() {
    if (!sheet) return
    setError(null)
    setBusy(true)
    try {
      if (kind === 'product') {
        const { jobId } = await api.startJob(
          itemsOf(sheet),
          false,
          runKey.current
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
        setHistoryKey((k) => k + 1)
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

  async function onCancel() {
    if (!run) return
    if (run.mode === 'batches') {
      stopBatches.current = true
      setRun({ ...run, status: 'cancelling' })

      return
    }

    try {
      await api.cancel(run.jobId as string)
      notify(t('toast.cancelled'))
    } catch (caught) {
      setError(describeError(caught, intl))
    }
  }

  const stem =
    (sheet?.format ? fileName.replace(/\.(csv|txt|tsv|xlsx)$/i, '') : '') ||
    'scores'

  /** The failed rows in the file's own format: an .xlsx for an .xlsx, else a CSV in its delimiter. */
  async function onDownload() {
    if (!run) return
    const delimiter = sheet?.delimiter ?? localeDelimiter(intl.locale)
    const extension =
      /\.(csv|tsv|txt)$/i.exec(fileName)?.[1].toLowerCase() ??
      (delimiter === '\t' ? 'tsv' : 'csv')
    const failed = (run.results ?? []).filter((r) => r.success === 'false')

    try {
      if (sheet?.format === 'xlsx') {
        const rows =
          run.mode === 'job'
            ? reportCells(
                new TextDecoder('utf-8').decode(
                  await blobBytes(await api.failedRows(run.jobId as string))
                )
              )
            : failedSheet(failed)

        download(`${stem}-failed.xlsx`, await writeXlsx(rows))
      } else if (run.mode === 'job') {
        // The app's report, in the upload's delimiter, with its BOM, byte for byte.
        download(
          `${stem}-failed.${extension}`,
          await api.failedRows(run.jobId as string, DELIMITER_NAMES[delimiter])
        )
      } else {
        download(
          `${stem}-failed.${extension}`,
          new Blob([failedCsv(failed, delimiter)], {
            type: `${
              delimiter === '\t' ? 'text/tab-separated-values' : 'text/csv'
            };charset=utf-8`,
          })
        )
      }
    } catch (caught) {
      setError(describeError(caught, intl))
    }
  }

  async function onUndo() {
    if (!run || !window.confirm(t('run.undoConfirm'))) return
    setError(null)
    try {
      if (run.mode === 'job') {
        const { jobId } = await api.undo(run.jobId as string)

        notify(t('toast.undo'))
        setHistoryKey((k) => k + 1)
        await followJob(jobId)
      } else {
        // Categories: put back previousScore only where the Score is still the one written (read first).
        const written = (run.results ?? []).filter(
          (r) =>
            r.success === 'true' &&
            !r.unchanged &&
            r.previousScore !== null &&
            r.previousScore !== undefined
        )
        const still: Array<{ id: string; score: string }> = []
        const now = await batchInPieces(
          written.map((r) => ({ id: String(r.id), score: String(r.score) })),
          true
        )

        for (const element of now) {
          if (element.success === 'true' && element.unchanged) {
            const original = written[element.index]

            still.push({
              id: String(original.id),
              score: String(original.previousScore),
            })
          }
        }

        notify(t('toast.undo'))
        await runBatches(still, true)
      }
    } catch (caught) {
      jobError(caught)
    }
  }

  async function openJob(jobId: string) {
    reset()
    setSheet(null)
    setFileName('')
    setKind('product')
    await followJob(jobId)
  }

  const formatLabel = sheet
    ? sheet.format === 'xlsx'
      ? t('format.xlsx')
      : t(
          `format.csv-${
            { ',': 'comma', ';': 'semicolon', '\t': 'tab' }[sheet.delimiter]
          }`
        )
    : ''

  const running = run && !FINISHED.includes(run.status)
  const updated = run ? run.counts.UPDATED ?? 0 : 0
  const canRun = Boolean(
    sheet &&
      preview &&
      !preview.invalid &&
      !running &&
      !(kind === 'product' && jobsBlocked)
  )
  const previewLoader =
    onlyFailed && preview?.failedPage ? preview.failedPage : preview?.loadPage

  const kindOptions = useMemo(
    () => [
      { value: 'product', label: t('kind.product') },
      { value: 'category', label: t('kind.category') },
    ],
    [t]
  )

  return (
    <Layout
      fullWidth
      pageHeader={<PageHeader title={t('title')} subtitle={t('subtitle')} />}
    >
      {/* Alert is a role="alert" region itself: its words are announced when it appears. */}
      {error && (
        <div className="mb5">
          <Alert
            type="error"
            onClose={() => setError(null)}
            closeIconLabel={t('error.close')}
          >
            {error}
          </Alert>
        </div>
      )}
      <div
        className="clip"
        role="status"
        aria-live="polite"
        data-testid="announcer"
      >
        {announcement}
      </div>

      <PageBlock
        title={t('upload.title')}
        subtitle={t('upload.subtitle')}
        variation="full"
      >
        <fieldset className="bn pa0 ma0 mb5">
          <legend className="t-body c-on-base mb3">{t('kind.label')}</legend>
          <RadioGroup
            name="kind"
            hideBorder
            options={kindOptions}
            value={kind}
            onChange={(event: React.ChangeEvent<HTMLInputElement>) => {
              setKind(event.currentTarget.value as Kind)
              reset()
            }}
          />
        </fieldset>
        <label htmlFor="msu-file" className="db t-small mb3 c-on-base">
          {t('file.label')}
        </label>
        <input
          id="msu-file"
          type="file"
          accept=".csv,.tsv,.txt,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
          onChange={onFile}
          className="db mb4"
        />
        {reading && (
          <div role="status" className="flex items-center">
            <Spinner size={20} />
            <span className="ml3">{t('file.reading')}</span>
          </div>
        )}
        {fileError && <Alert type="error">{fileError}</Alert>}
        {sheet && (
          <p
            className="t-body c-on-base"
            role="status"
            data-testid="file-summary"
          >
            {t('file.read', {
              count: sheet.items.length,
              name: fileName,
              format: formatLabel,
              idColumn: sheet.idColumn,
              scoreColumn: sheet.scoreColumn,
            })}
          </p>
        )}
      </PageBlock>

      <PageBlock
        title={t('preview.title')}
        subtitle={t('preview.subtitle')}
        variation="full"
      >
        {!sheet ? (
          <EmptyState title={t('empty.noFile')} />
        ) : (
          <>
            <Button
              onClick={onPreview}
              isLoading={Boolean(previewing)}
              disabled={Boolean(running)}
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
                      onChange={() => setOnlyFailed(!onlyFailed)}
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

      <PageBlock
        title={t('run.title')}
        subtitle={t(`run.subtitle.${kind}`)}
        variation="full"
      >
        {sheet && !run && (
          <div>
            <Button onClick={onRun} disabled={!canRun} isLoading={busy}>
              {t('run.button', { count: sheet.items.length })}
            </Button>
            {(!preview || preview.invalid) && (
              <p className="t-small c-muted-1">{t('run.needsPreview')}</p>
            )}
          </div>
        )}
        {!sheet && !run && <EmptyState title={t('empty.noFile')} />}
        {run && (
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
              valueText={t('run.progress', {
                done: intl.formatNumber(run.done),
                total: intl.formatNumber(run.total),
              })}
            />
            <p className="t-small" data-testid="run-progress">
              {t('run.progress', {
                done: intl.formatNumber(run.done),
                total: intl.formatNumber(run.total),
              })}{' '}
              ·{' '}
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
              {!running &&
                !run.undoOf &&
                !run.isUndo &&
                !run.dryRun &&
                run.status === 'done' &&
                updated > 0 && (
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
        )}
      </PageBlock>

      <History api={api} onOpen={openJob} refreshKey={historyKey} />
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
