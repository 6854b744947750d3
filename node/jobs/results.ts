import type {
  FailureElement,
  ScoreEnvelope,
  SuccessElement,
} from '../scores/envelope'
import type { ScoreItem } from '../scores/validate'
import { JobFiles, jobPaths } from './files'
import type { CancelMark, ChunkState, JobDefinition, JobFinal } from './model'
import { elementsOf } from './slice'
import { leaseIsLive, NOT_ATTEMPTED } from './summary'

/** One item's result: an envelope element, or why it has none yet. */
export type ResultRow =
  | SuccessElement
  | FailureElement
  | (ScoreItem & { success: 'pending' })

export const MAX_PAGE = 1000

/**
 * The rows of one chunk, in request order; rows of a chunk not run are
 * pending, or NOT_ATTEMPTED once `finished` (no chunk will start) unless a
 * live lease still runs the chunk: the rule the summary counts by.
 */
export async function chunkRows(
  files: JobFiles,
  job: JobDefinition,
  chunk: number,
  finished: boolean,
  now: number = Date.now()
): Promise<ResultRow[]> {
  const state = (await files.read<ChunkState>(jobPaths.state(job.id, chunk)))
    ?.data

  if (state?.phase === 'done' || state?.phase === 'failed') {
    const envelope = (
      await files.read<ScoreEnvelope>(
        jobPaths.results(job.id, chunk, state.attempt)
      )
    )?.data

    if (envelope)
      return [
        ...envelope.successfulResponses.elements,
        ...envelope.failedResponses.elements,
      ].sort((a, b) => a.index - b.index)
  }

  const items =
    (await files.read<ScoreItem[]>(jobPaths.items(job.id, chunk)))?.data ?? []
  // A chunk claimed when the job was cancelled may still finish: its rows are pending until then.
  const neverRuns = finished && !leaseIsLive(state, now)
  // Items earlier slices finished have their outcome; the others are pending, or never run.
  const sliced = state?.checkpoint
    ? elementsOf(
        (
          await files.read<ScoreEnvelope>(
            jobPaths.results(job.id, chunk, state.checkpoint.attempt)
          )
        )?.data
      )
    : []
  const byIndex = new Map<number, ResultRow>(sliced.map((e) => [e.index, e]))

  return items.map(
    (item) =>
      byIndex.get(item.index) ??
      (neverRuns
        ? {
            ...item,
            success: 'false' as const,
            error: 409,
            code: NOT_ATTEMPTED,
            errorMessage:
              'Not attempted: the job was cancelled or stopped before this item.',
            attempts: 0,
          }
        : { ...item, success: 'pending' as const })
  )
}

/**
 * Whether no chunk of the job will start any more (it ended, or was
 * cancelled), from two small files: a page of results reads no more than
 * the chunks it covers, however many chunks the job has.
 */
export async function noChunkWillStart(files: JobFiles, job: JobDefinition) {
  const [final, cancel] = await Promise.all([
    files.read<JobFinal>(jobPaths.final(job.id)),
    files.read<CancelMark>(jobPaths.cancel(job.id)),
  ])

  return Boolean(final || cancel)
}

/** A page of results from `cursor` (an item index), at most `limit` rows; reads only the chunks it covers. */
export async function resultsPage(
  files: JobFiles,
  job: JobDefinition,
  cursor: number,
  limit: number,
  finished: boolean,
  now: number = Date.now()
) {
  const rows: ResultRow[] = []
  const end = Math.min(job.total, cursor + limit)

  for (
    let chunk = Math.floor(cursor / job.chunkSize);
    chunk * job.chunkSize < end;
    chunk++
  ) {
    for (const row of await chunkRows(files, job, chunk, finished, now))
      if (row.index >= cursor && row.index < end) rows.push(row)
  }

  return {
    jobId: job.id,
    total: job.total,
    cursor: String(cursor),
    elements: rows,
    ...(end < job.total ? { nextCursor: String(end) } : {}),
  }
}
