import type { Delimiter } from '../input/csv'
import type { ScoreEnvelope } from '../scores/envelope'
import type { ResultRow } from './results'

/** Excel reads a CSV as UTF-8, and into columns, only when it starts with this byte-order mark. */
export const BOM = '\uFEFF'

const DELIMITER_NAMES = new Map<unknown, Delimiter>([
  ['comma', ','],
  ['semicolon', ';'],
  ['tab', '\t'],
])

/** A `?delimiter=` value (`comma`, `semicolon`, `tab`, as CSV errors name them) as its character. */
export const delimiterNamed = (name: unknown): Delimiter | undefined =>
  DELIMITER_NAMES.get(name)

/** What a spreadsheet runs as a formula when a cell starts with it (OWASP, CSV Injection). */
const FORMULA_START = /^[=+\-@\t\r]/
/** Quoted whatever the delimiter: a cell holding any delimiter, a quote or a line break stays one cell. */
const NEEDS_QUOTES = /[",;\t\r\n]/

/**
 * One cell, inert: numbers as they are; text starting with = + - @, a tab
 * or a carriage return gets a leading single quote (OWASP's CSV injection
 * guidance), and text holding a delimiter, a quote or a line break is
 * quoted with its quotes doubled (RFC 4180).
 */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)

  const raw = String(value)
  const text = FORMULA_START.test(raw) ? `'${raw}` : raw

  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

const line = (row: unknown[], delimiter: Delimiter) =>
  `${row.map(csvCell).join(delimiter)}\r\n`

/** Writes rows as CSV (RFC 4180 quoting, inert cells), header first. */
export function toCsv(
  header: string[],
  rows: unknown[][],
  delimiter: Delimiter = ','
): string {
  return [header, ...rows].map((row) => line(row, delimiter)).join('')
}

/** Rows only, each ending in CRLF: a later piece of a streamed CSV. */
export function csvRows(rows: unknown[][], delimiter: Delimiter = ','): string {
  return rows.map((row) => line(row, delimiter)).join('')
}

/**
 * The columns of every result a spreadsheet gets: a job's report, its
 * failed rows, and a synchronous CSV answer. `code` is the outcome the
 * summary counts: UPDATED, UNCHANGED or DRY_RUN for a success, the failure
 * code otherwise (PENDING for an item of a chunk still running). The file
 * can be uploaded again: only `id` and `score` are read.
 */
export const RESULT_COLUMNS = [
  'id',
  'score',
  'previousScore',
  'success',
  'code',
  'error',
  'errorMessage',
]

/** An item's result as the cells of RESULT_COLUMNS. */
export function resultCells(row: ResultRow): unknown[] {
  if (row.success === 'true') {
    const code = row.dryRun
      ? 'DRY_RUN'
      : row.unchanged
      ? 'UNCHANGED'
      : 'UPDATED'

    return [row.id, row.score, row.previousScore, 'true', code, '', '']
  }

  if (row.success === 'false') {
    return [
      row.id,
      row.score,
      '',
      'false',
      row.code,
      row.error,
      row.errorMessage,
    ]
  }

  return [row.id, row.score, '', 'pending', 'PENDING', '', '']
}

export interface SheetFormat {
  delimiter: Delimiter
  /** Only the failed rows: fix them and upload the file again. */
  only?: 'failed'
}

/** The media type and file extension a spreadsheet expects for a delimiter. */
export function sheetType(delimiter: Delimiter) {
  return delimiter === '\t'
    ? { type: 'text/tab-separated-values; charset=utf-8', extension: 'tsv' }
    : { type: 'text/csv; charset=utf-8', extension: 'csv' }
}

/**
 * A job's report, one chunk at a time (memory holds one chunk's rows
 * whatever the size of the job): a BOM, the header, then the rows of each
 * chunk in request order, read by `chunkRows`.
 */
export async function* resultSheet(
  chunkRows: (chunk: number) => Promise<ResultRow[]>,
  chunks: number,
  format: SheetFormat
): AsyncGenerator<string> {
  yield BOM + toCsv(RESULT_COLUMNS, [], format.delimiter)

  for (let chunk = 0; chunk < chunks; chunk++) {
    const cells = (await chunkRows(chunk))
      .filter((row) => !format.only || row.success === 'false')
      .map(resultCells)

    if (cells.length > 0) yield csvRows(cells, format.delimiter)
  }
}

/** A synchronous answer as the same sheet as a job's report: every item once, in request order. */
export function envelopeSheet(
  envelope: ScoreEnvelope,
  delimiter: Delimiter
): string {
  const rows: ResultRow[] = [
    ...envelope.successfulResponses.elements,
    ...envelope.failedResponses.elements,
  ].sort((a, b) => a.index - b.index)

  return BOM + toCsv(RESULT_COLUMNS, rows.map(resultCells), delimiter)
}
