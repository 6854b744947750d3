import {
  bodyFormatOf,
  decodeBody,
  parseJsonBody,
  readBody,
} from '../input/body'
import { CsvKind, Delimiter, parseCsvBatch } from '../input/csv'
import { spreadsheetProblems } from '../input/csvMessages'
import { RequestError } from '../input/requestError'
import { buildValidationEnvelope } from '../scores/envelope'
import { validateBatch } from '../scores/validate'

declare global {
  interface State {
    /** The delimiter of a CSV upload: a CSV answer or report uses it too. */
    csvDelimiter?: Delimiter
  }
}

function booleanQuery(ctx: Context, name: string): boolean {
  const value = ctx.query[name]

  if (value === undefined || value === 'false') return false
  if (value === 'true' || value === '') return true

  throw new RequestError(
    400,
    'INVALID_QUERY',
    `Query parameter '${name}' must be 'true' or 'false'.`
  )
}

/** Reads and validates the whole body; an invalid batch is answered here and nothing is written. */
export async function parseBatch(ctx: Context, next: () => Promise<void>) {
  const format = bodyFormatOf(ctx.get('Content-Type') || undefined)

  ctx.state.dryRun = booleanQuery(ctx, 'dryRun')
  ctx.state.async = booleanQuery(ctx, 'async')
  ctx.state.allowFieldDrift = booleanQuery(ctx, 'allowFieldDrift')
  const runsAsJobs = ctx.state.target?.runsAsJobs ?? true
  const kind: CsvKind = ctx.state.target?.kind ?? 'product'

  if (ctx.state.async && !runsAsJobs)
    throw new RequestError(
      400,
      'CATEGORY_JOBS_UNAVAILABLE',
      `Category batches run synchronously only: jobs write with the app's own token, and VTEX publishes no License Manager policy for "Categories Management" that the app could declare. Send the batch without ?async=true, in requests of up to ${ctx.state.settings.maxItems} items.`
    )

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
