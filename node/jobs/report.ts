import { toCsv } from './csvWriter'
import type {
  FailureElement,
  ScoreEnvelope,
  SuccessElement,
} from '../scores/envelope'
import type { JobMeta, JobStore } from './jobStore'

/**
 * The envelope a sync run would have answered, assembled from the stored
 * chunks; items of chunks never finished are reported NOT_ATTEMPTED.
 */
export async function jobEnvelope(
  store: JobStore,
  meta: JobMeta
): Promise<ScoreEnvelope> {
  const succeeded: SuccessElement[] = []
  const failed: FailureElement[] = []

  for (let chunk = 0; chunk < meta.chunks; chunk++) {
    const results =
      chunk < meta.chunksDone ? await store.getResults(meta.id, chunk) : null

    if (results) {
      succeeded.push(...results.successfulResponses.elements)
      failed.push(...results.failedResponses.elements)
      continue
    }

    for (const item of await store.getItems(meta.id, chunk)) {
      failed.push({
        ...item,
        success: 'false',
        error: meta.error?.status ?? 504,
        code: 'NOT_ATTEMPTED',
        errorMessage: `Not attempted: ${
          meta.error?.message ?? 'the job did not reach this item.'
        }`,
        attempts: 0,
      })
    }
  }

  return {
    successfulResponses: { elements: succeeded, quantity: succeeded.length },
    failedResponses: { elements: failed, quantity: failed.length },
    total: meta.progress.total,
    ...(meta.dryRun ? { dryRun: true as const } : {}),
  }
}

export const CSV_REPORT_COLUMNS = [
  'id',
  'score',
  'previousScore',
  'success',
  'error',
  'errorMessage',
]

/** One row per item, in request order. */
export function envelopeToCsv(envelope: ScoreEnvelope): string {
  const rows = [
    ...envelope.successfulResponses.elements.map((e) => ({
      index: e.index,
      row: [e.id, e.score, e.previousScore, 'true', '', ''],
    })),
    ...envelope.failedResponses.elements.map((e) => ({
      index: e.index,
      row: [e.id, e.score, '', 'false', e.error, e.errorMessage],
    })),
  ].sort((a, b) => a.index - b.index)

  return toCsv(
    CSV_REPORT_COLUMNS,
    rows.map((r) => r.row)
  )
}
