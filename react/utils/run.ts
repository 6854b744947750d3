import type { ItemResult, JobSummary } from './api'

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
