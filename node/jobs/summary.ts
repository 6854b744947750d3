import pLimit from 'p-limit'

import { JobFiles, jobPaths } from './files'
import type {
  CancelMark,
  ChunkState,
  JobDefinition,
  JobFinal,
  OutcomeCounts,
} from './model'

export const JOBS_PATH = '/_v/massive/score/jobs'

export type JobStatus =
  | 'queued'
  | 'running'
  | 'cancelling'
  | 'cancelled'
  | 'done'
  | 'failed'

export interface JobSummary {
  jobId: string
  kind: JobDefinition['kind']
  status: JobStatus
  dryRun: boolean
  startedBy: JobDefinition['startedBy']
  progress: {
    total: number
    done: number
    chunks: number
    chunksDone: number
    /** Items of a cancelled job that were never run. */
    notRun: number
  }
  /** How many items ended with each outcome: UPDATED, UNCHANGED, DRY_RUN, or a failure code. */
  counts: OutcomeCounts
  succeeded: number
  failed: number
  createdAt: string
  startedAt?: string
  updatedAt: string
  finishedAt?: string
  expiresAt: string
  cancelledAt?: string
  undoOf?: string
  error?: JobFinal['error']
  links: Record<string, string>
}

const SUCCESS_CODES = new Set(['UPDATED', 'UNCHANGED', 'DRY_RUN'])

export const linksOf = (id: string) => ({
  self: `${JOBS_PATH}/${id}`,
  results: `${JOBS_PATH}/${id}/results`,
  report: `${JOBS_PATH}/${id}/report.csv`,
  failedRows: `${JOBS_PATH}/${id}/report.csv?only=failed`,
  cancel: `${JOBS_PATH}/${id}/cancel`,
  undo: `${JOBS_PATH}/${id}/undo`,
})

/** Every chunk's state, read with bounded parallelism (a few hundred small files at most). */
export async function chunkStates(
  files: JobFiles,
  job: JobDefinition
): Promise<Array<ChunkState | undefined>> {
  const limit = pLimit(16)

  return Promise.all(
    Array.from({ length: job.chunks }, (_, chunk) =>
      limit(
        async () =>
          (await files.read<ChunkState>(jobPaths.state(job.id, chunk)))?.data
      )
    )
  )
}

/** The constant-size summary of a job, from its definition and chunk states; it reads no Catalog. */
export async function summarise(
  files: JobFiles,
  job: JobDefinition
): Promise<JobSummary> {
  const [states, cancel, final] = await Promise.all([
    chunkStates(files, job),
    files.read<CancelMark>(jobPaths.cancel(job.id)),
    files.read<JobFinal>(jobPaths.final(job.id)),
  ])

  const counts: OutcomeCounts = {}
  let done = 0
  let chunksDone = 0
  let running = false
  let startedAt: string | undefined
  let updatedAt = job.createdAt

  states.forEach((state, chunk) => {
    if (!state) return
    const size = Math.min(job.chunkSize, job.total - chunk * job.chunkSize)

    if (state.startedAt && (!startedAt || state.startedAt < startedAt))
      startedAt = state.startedAt
    for (const at of [state.heartbeatAt, state.finishedAt])
      if (at && at > updatedAt) updatedAt = at
    if (state.phase === 'running') running = true
    if (state.phase !== 'done') return
    chunksDone += 1
    done += size
    for (const [code, n] of Object.entries(state.counts ?? {}))
      counts[code] = (counts[code] ?? 0) + n
  })

  const status: JobStatus = final
    ? final.data.status
    : cancel
    ? running
      ? 'cancelling'
      : 'cancelled'
    : running || chunksDone > 0
    ? 'running'
    : 'queued'

  const succeeded = Object.entries(counts)
    .filter(([code]) => SUCCESS_CODES.has(code))
    .reduce((sum, [, n]) => sum + n, 0)

  return {
    jobId: job.id,
    kind: job.kind,
    status,
    dryRun: job.dryRun,
    startedBy: job.startedBy,
    progress: {
      total: job.total,
      done,
      chunks: job.chunks,
      chunksDone,
      notRun: status === 'cancelled' ? job.total - done : 0,
    },
    counts,
    succeeded,
    failed: done - succeeded,
    createdAt: job.createdAt,
    ...(startedAt ? { startedAt } : {}),
    updatedAt,
    ...(final ? { finishedAt: final.data.finishedAt } : {}),
    expiresAt: job.expiresAt,
    ...(cancel ? { cancelledAt: cancel.data.at } : {}),
    ...(job.undoOf ? { undoOf: job.undoOf } : {}),
    ...(final?.data.error ? { error: final.data.error } : {}),
    links: linksOf(job.id),
  }
}

/** Whether no chunk will run any more. */
export const isFinished = (summary: JobSummary) =>
  summary.status === 'done' ||
  summary.status === 'failed' ||
  summary.status === 'cancelled'
