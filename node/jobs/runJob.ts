import type { CatalogCallOptions, CatalogClient } from '../clients/catalog'
import { runScoreBatch } from '../scores/runScoreBatch'
import type { ScoreTarget } from '../scores/targets'
import type { ScoreSettings } from '../settings'
import type { JobMeta, JobProgress, JobStore } from './jobStore'

export interface JobRun {
  store: JobStore
  catalog: Pick<CatalogClient, 'read' | 'write'>
  target: ScoreTarget
  settings: ScoreSettings
  /** The caller's credentials live here, in memory only, for as long as the run. */
  call: CatalogCallOptions
  heartbeatMs: number
  now?: () => number
}

const zero = (): Omit<JobProgress, 'total'> => ({
  done: 0,
  succeeded: 0,
  failed: 0,
})

/**
 * Runs a stored job from its first unfinished chunk. Each finished chunk's
 * results are checkpointed in VBase; a heartbeat says the worker is alive.
 * A chunk cut short is redone on resume, and its items already written are
 * then found unchanged, so no item is written twice.
 */
export async function runJob(meta: JobMeta, run: JobRun): Promise<JobMeta> {
  const { store } = run
  const stamp = () => new Date(run.now?.() ?? Date.now()).toISOString()
  // Work done after the last checkpoint is redone, so progress restarts from it.
  const stored = { ...meta.checkpoint }
  let live = zero()
  let saving: Promise<void> = Promise.resolve()

  const progress = (): JobProgress => ({
    total: meta.progress.total,
    done: stored.done + live.done,
    succeeded: stored.succeeded + live.succeeded,
    failed: stored.failed + live.failed,
  })

  // Saves are queued so that a heartbeat never overwrites a later checkpoint.
  const save = () => {
    const snapshot: JobMeta = {
      ...meta,
      progress: progress(),
      updatedAt: stamp(),
    }

    saving = saving.then(() => store.saveMeta(snapshot)).catch(() => undefined)

    return saving
  }

  meta.status = 'running'
  meta.startedAt = meta.startedAt ?? stamp()
  meta.heartbeatAt = stamp()
  delete meta.error
  await save()

  const heartbeat = setInterval(() => {
    meta.heartbeatAt = stamp()
    void save()
  }, run.heartbeatMs)

  try {
    for (let chunk = meta.chunksDone; chunk < meta.chunks; chunk++) {
      const items = await store.getItems(meta.id, chunk)

      live = zero()
      const result = await runScoreBatch(run.catalog, {
        target: run.target,
        items,
        settings: run.settings,
        call: run.call,
        dryRun: meta.dryRun,
        deadlineAt: Number.POSITIVE_INFINITY,
        onOutcome: (_index, outcome) => {
          live.done += 1
          if (outcome.ok) live.succeeded += 1
          else live.failed += 1
        },
      })

      if (result.status === 401 || result.status === 403) {
        // The credentials were refused (or expired): stop, and redo this chunk on resume.
        live = zero()
        meta.status = 'failed'
        meta.error = {
          status: result.status,
          code: result.status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN',
          message: `The Catalog refused the credentials (${result.status}). Resume the job with valid credentials.`,
        }
        break
      }

      await store.saveResults(meta.id, chunk, result.envelope)
      stored.done += items.length
      stored.succeeded += result.envelope.successfulResponses.quantity
      stored.failed += result.envelope.failedResponses.quantity
      live = zero()
      meta.chunksDone = chunk + 1
      meta.checkpoint = { ...stored }
      await save()
    }

    if (meta.status === 'running') {
      meta.status = 'done'
      meta.finishedAt = stamp()
    }
  } catch (error) {
    meta.status = 'failed'
    meta.error = {
      status: 500,
      code: 'JOB_FAILED',
      message: `The job stopped: ${
        error instanceof Error ? error.message : String(error)
      }. Resume it to go on.`,
    }
  } finally {
    clearInterval(heartbeat)
    meta.progress = progress()
    await save()
  }

  return meta
}

/** A running job whose heartbeat is older than this has lost its worker. */
export function isStale(meta: JobMeta, staleAfterMs: number, now = Date.now()) {
  return (
    (meta.status === 'running' || meta.status === 'queued') &&
    now - Date.parse(meta.heartbeatAt) > staleAfterMs
  )
}
