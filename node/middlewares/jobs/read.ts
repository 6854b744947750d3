import { Readable } from 'stream'

import { systemClock } from '../../bulk/clock'
import { assertKnownQuery, integerQuery } from '../../input/query'
import { RequestError } from '../../input/requestError'
import { delimiterNamed, resultSheet, sheetType } from '../../jobs/csvWriter'
import {
  chunkRows,
  MAX_PAGE,
  noChunkWillStart,
  resultsPage,
} from '../../jobs/results'
import { summarise } from '../../jobs/summary'
import { DONE_CHUNKS, finishedSummary, healerFor, noStore } from './common'

/* The routes that read a job: its summary, its results a page at a time, its report. */

/** GET a job: its constant-size summary; a stalled job is healed (its event sent again). */
export async function jobSummary(ctx: Context) {
  assertKnownQuery(ctx.query, [])
  noStore(ctx)
  ctx.body = await summarise(
    ctx.clients.jobFiles,
    ctx.state.job,
    systemClock.now(),
    DONE_CHUNKS,
    healerFor(ctx)
  )
}

/** GET a job's results, a page at a time: `?cursor=` (from the previous page's nextCursor) and `?limit=` (at most 1000). */
export async function jobResults(ctx: Context) {
  const { job } = ctx.state

  assertKnownQuery(ctx.query, ['cursor', 'limit'])
  const cursor = integerQuery(ctx.query, 'cursor', {
    fallback: 0,
    min: 0,
    max: job.total,
  })
  const limit = integerQuery(ctx.query, 'limit', {
    fallback: 100,
    min: 1,
    max: MAX_PAGE,
  })
  // Two small files, not every chunk's state: a page costs what it covers.
  const finished = await noChunkWillStart(ctx.clients.jobFiles, job)

  noStore(ctx)
  ctx.body = await resultsPage(
    ctx.clients.jobFiles,
    job,
    cursor,
    limit,
    finished
  )
}

/**
 * GET the CSV report (or, with `?only=failed`, the failed rows to fix and
 * upload again, in the same columns), streamed chunk by chunk, with a BOM,
 * delimited by `?delimiter=` (comma, semicolon or tab; a comma by default).
 */
export async function jobReport(ctx: Context) {
  const { job } = ctx.state

  assertKnownQuery(ctx.query, ['only', 'delimiter'])
  const { only, delimiter: delimiterName = 'comma' } = ctx.query

  if (only !== undefined && only !== 'failed')
    throw new RequestError(
      400,
      'INVALID_QUERY',
      "Query parameter 'only' must be 'failed'."
    )

  const delimiter = delimiterNamed(delimiterName)

  if (!delimiter)
    throw new RequestError(
      400,
      'INVALID_QUERY',
      "Query parameter 'delimiter' must be 'comma', 'semicolon' or 'tab'."
    )

  await finishedSummary(
    ctx,
    job,
    'The report is available once the job is done, failed or cancelled.'
  )

  const { type, extension } = sheetType(delimiter)

  noStore(ctx)
  ctx.type = type
  ctx.set(
    'Content-Disposition',
    `attachment; filename="score-job-${job.id}${
      only ? '-failed' : ''
    }.${extension}"`
  )
  ctx.body = Readable.from(
    resultSheet(
      (chunk) => chunkRows(ctx.clients.jobFiles, job, chunk, true),
      job.chunks,
      { delimiter, ...(only ? { only: 'failed' as const } : {}) }
    )
  )
}
