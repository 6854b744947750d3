import { prefersCsv } from '../input/accept'
import { envelopeSheet, sheetType } from '../jobs/csvWriter'
import { runScoreBatch } from '../scores/runScoreBatch'
import type { ScoreTarget } from '../scores/targets'
import { batchBudgetMs } from '../settings'

/**
 * Runs a validated batch against the Catalog and answers with the envelope;
 * with `Accept: text/csv`, with the same result as a sheet: the columns of
 * a job's report, the upload's delimiter (a comma for a JSON body), a BOM.
 */
export function updateScores(target: ScoreTarget) {
  return async function updateScoresFor(ctx: Context) {
    const { settings, credentials, items, dryRun, allowFieldDrift } = ctx.state
    const result = await runScoreBatch(ctx.clients.catalog, {
      target,
      items,
      settings,
      dryRun,
      allowFieldDrift,
      deadlineAt: Date.now() + batchBudgetMs(settings),
      call: {
        credentials,
        timeoutMs: settings.requestTimeoutMs,
      },
    })

    const { successfulResponses, failedResponses } = result.envelope

    // Counts only: the items and the credentials stay out of the logs.
    ctx.vtex.logger.info({
      message: 'Score batch finished',
      kind: target.kind,
      dryRun,
      total: items.length,
      succeeded: successfulResponses.quantity,
      failed: failedResponses.quantity,
      status: result.status,
      ...result.stats,
    })

    ctx.status = result.status
    ctx.set('Cache-Control', 'no-store')
    ctx.set('Vary', 'Accept')

    if (prefersCsv(ctx.get('Accept') || undefined)) {
      const delimiter = ctx.state.csvDelimiter ?? ','

      ctx.set('Content-Type', sheetType(delimiter).type)
      ctx.body = envelopeSheet(result.envelope, delimiter)

      return
    }

    ctx.body = result.envelope
  }
}
