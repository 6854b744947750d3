import type { ItemResult, JobSummary } from './api'
import type { ScoreItem } from './items'

/** A run: a product job on the app, or category batches sent from the page. */
export interface Run {
  mode: 'job' | 'batches'
  jobId?: string
  undoOf?: string
  status: JobSummary['status']
  total: number
  done: number
  counts: Record<string, number>
  failed: number
  dryRun: boolean
  /** Batches: every answer, for the failed rows and the undo. */
  results?: ItemResult[]
  /** Batches that put back the previous Scores of a category run. */
  isUndo?: boolean
  error?: string
}

/** A job's summary, as the run the page follows. */
export const runOfJob = (jobId: string, summary: JobSummary): Run => ({
  mode: 'job',
  jobId,
  undoOf: summary.undoOf,
  status: summary.status,
  total: summary.progress.total,
  done: summary.progress.done,
  counts: summary.counts,
  failed: summary.failed,
  dryRun: summary.dryRun,
})

/** The count a written item adds to, as a job's counts name it. */
export const countCode = (element: ItemResult) =>
  element.success === 'true'
    ? element.unchanged
      ? 'UNCHANGED'
      : 'UPDATED'
    : element.code ?? 'FAILED'

/**
 * What undoing a category run writes: each written row's previous Score,
 * only where the Score is still the one written (a dry run of it answers
 * "unchanged"), so a later change is not overwritten.
 */
export async function undoItems(
  results: ItemResult[],
  dryRun: (items: ScoreItem[]) => Promise<ItemResult[]>
): Promise<ScoreItem[]> {
  const written = results.filter(
    (r) =>
      r.success === 'true' &&
      !r.unchanged &&
      r.previousScore !== null &&
      r.previousScore !== undefined
  )
  const still: ScoreItem[] = []
  const now = await dryRun(
    written.map((r) => ({ id: String(r.id), score: String(r.score) }))
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

  return still
}
