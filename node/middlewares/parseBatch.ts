import {
  bodyFormatOf,
  decodeBody,
  parseJsonBody,
  readBody,
} from '../input/body'
import { CsvKind, Delimiter, parseCsvBatch } from '../input/csv'
import { spreadsheetProblems } from '../input/csvMessages'
import { assertKnownQuery, booleanQuery } from '../input/query'
import { RequestError } from '../input/requestError'
import { buildValidationEnvelope } from '../scores/envelope'
import { validateBatch } from '../scores/validate'

declare global {
  interface State {
    /** The delimiter of a CSV upload: a CSV answer or report uses it too. */
    csvDelimiter?: Delimiter
  }
}

/** What the score routes read from the query string; any other name is refused. */
export const SCORE_QUERY_PARAMETERS = ['dryRun', 'async', 'allowFieldDrift']

/**
 * `Idempotency-Key` is honoured by jobs only. A synchronous batch never
 * silently ignores it: the caller is told, and nothing is written.
 */
function refuseSynchronousIdempotencyKey(ctx: Context, runsAsJobs: boolean) {
  if (!ctx.get('Idempotency-Key')) return

  throw new RequestError(
    400,
    'IDEMPOTENCY_KEY_NOT_SUPPORTED',
    `Idempotency-Key is honoured only for jobs (?async=true${
      runsAsJobs ? '' : ', products only'
    }); nothing was done. A synchronous batch can be sent again as it is: items already at their Score are reported "unchanged": true and not written again. ${
      runsAsJobs
        ? 'Remove the header, or send the batch with ?async=true.'
        : 'Remove the header.'
    }`
  )
}

/** Reads and validates the whole body; an invalid batch is answered here and nothing is written. */
export async function parseBatch(ctx: Context, next: () => Promise<void>) {
  assertKnownQuery(ctx.query, SCORE_QUERY_PARAMETERS)

  const format = bodyFormatOf(ctx.get('Content-Type') || undefined)

  ctx.state.dryRun = booleanQuery(ctx.query, 'dryRun')
  ctx.state.async = booleanQuery(ctx.query, 'async')
  ctx.state.allowFieldDrift = booleanQuery(ctx.query, 'allowFieldDrift')
  const runsAsJobs = ctx.state.target?.runsAsJobs ?? true
  const kind: CsvKind = ctx.state.target?.kind ?? 'product'

  if (ctx.state.async && !runsAsJobs)
    throw new RequestError(
      400,
      'CATEGORY_JOBS_UNAVAILABLE',
      `Category batches run synchronously only: jobs write with the app's own token, and VTEX publishes no License Manager policy for "Categories Management" that the app could declare. Send the batch without ?async=true, in requests of up to ${ctx.state.settings.maxItems} items.`
    )

  if (!ctx.state.async) refuseSynchronousIdempotencyKey(ctx, runsAsJobs)

  const text = decodeBody(await readBody(ctx.req))
  const csv = format === 'csv' ? parseCsvBatch(text, kind) : undefined
  const body = csv ? csv.items : parseJsonBody(text)
  const { maxItems, maxAsyncItems } = ctx.state.settings
  const validation = validateBatch(body, {
    maxItems: ctx.state.async ? maxAsyncItems : maxItems,
    ...(ctx.state.async || !runsAsJobs ? {} : { maxAsyncItems }),
    ...(csv ? { lineOf: (index: number) => csv.lines[index] } : {}),
  })

  if (!validation.ok) {
    ctx.status = 400
    ctx.set('Cache-Control', 'no-store')
    ctx.body = buildValidationEnvelope(
      csv
        ? spreadsheetProblems(validation.invalid, csv, kind)
        : validation.invalid,
      (body as unknown[]).length
    )

    return
  }

  ctx.state.items = validation.items
  if (csv) ctx.state.csvDelimiter = csv.delimiter
  await next()
}
