/**
 * The failed rows, in the format of the file they came from, with the
 * columns of the app's report (`node/jobs/csvWriter.ts`, RESULT_COLUMNS):
 * fix them and upload the file again (only `id` and `score` are read).
 *
 * - A CSV upload of a job: the app's own `report.csv?only=failed` in the
 *   upload's delimiter (`?delimiter=`), saved byte for byte (BOM included).
 * - An .xlsx upload: an .xlsx, written here with `write-excel-file` (by the
 *   author of `read-excel-file`, which reads the uploads; MIT, maintained,
 *   its only dependency is `fflate`, which `read-excel-file` already brings).
 *   A hand-written writer on fflate would be smaller by a few kB but would
 *   be this app's to keep right (shared strings, escaping, content types).
 *   Loaded on demand, like the reader.
 * - Category runs (batches from the page, no job, no report on the app):
 *   the same columns written here, cells made inert as the app does.
 */
import type { ItemResult } from './api'
import type { Delimiter } from './spreadsheet'
import { parseCsvRows, toCsv } from './spreadsheet'

export const RESULT_COLUMNS = [
  'id',
  'score',
  'previousScore',
  'success',
  'code',
  'error',
  'errorMessage',
]

export type Cell = string | number | null

/** A failed item as the cells of RESULT_COLUMNS (as the app's `resultCells`). */
export function failedCells(item: ItemResult): Cell[] {
  return [
    item.id,
    item.score,
    null,
    'false',
    item.code ?? 'FAILED',
    item.error ?? null,
    item.errorMessage ?? null,
  ]
}

/** What a spreadsheet runs as a formula when a cell starts with it (OWASP, CSV Injection). */
const FORMULA_START = /^[=+\-@\t\r]/

/** One CSV cell made inert as the app makes it: numbers as they are, formula starts behind a quote. */
export function inertText(value: Cell): string {
  if (value === null) return ''
  if (typeof value === 'number') return String(value)

  return FORMULA_START.test(value) ? `'${value}` : value
}

/** The failed rows of a category run as a CSV in the upload's delimiter, with a BOM. */
export function failedCsv(items: ItemResult[], delimiter: Delimiter): string {
  return toCsv(
    [RESULT_COLUMNS, ...items.map((item) => failedCells(item).map(inertText))],
    delimiter
  )
}

const NUMERIC_COLUMNS = new Set(['id', 'score', 'previousScore', 'error'])

/**
 * A cell for an .xlsx: a number in the numeric columns, the quote the app
 * puts before a formula start taken off (an .xlsx text cell is a shared
 * string, never run as a formula).
 */
function xlsxCell(column: string, value: Cell): Cell {
  if (value === null || value === '') return null
  if (typeof value === 'number') return value
  if (NUMERIC_COLUMNS.has(column) && /^-?\d+(\.\d+)?$/.test(value))
    return Number(value)

  return /^'[=+\-@\t\r]/.test(value) ? value.slice(1) : value
}

/** The app's CSV report (comma-delimited) as the cells of an .xlsx, header first. */
export function reportCells(csv: string): Cell[][] {
  const [header, ...rows] = parseCsvRows(csv.replace(/^\uFEFF/, ''), ',').map(
    (row) => row.cells
  )

  return [
    header,
    ...rows.map((cells) => cells.map((cell, i) => xlsxCell(header[i], cell))),
  ]
}

/** Failed items as the cells of an .xlsx, header first. */
export const failedSheet = (items: ItemResult[]): Cell[][] => [
  RESULT_COLUMNS,
  ...items.map((item) =>
    failedCells(item).map((cell, i) => xlsxCell(RESULT_COLUMNS[i], cell))
  ),
]

/** Rows to an .xlsx: text cells stay text (shared strings), never formulas. */
export async function writeXlsx(rows: Cell[][]): Promise<Blob> {
  const { default: writeXlsxFile } = await import('write-excel-file/browser')

  return writeXlsxFile(rows, { sheet: 'Failed rows' }).toBlob()
}

/** `?delimiter=` names the app reads. */
export type DelimiterName = 'comma' | 'semicolon' | 'tab'

export const DELIMITER_NAMES: Record<Delimiter, DelimiterName> = {
  ',': 'comma',
  ';': 'semicolon',
  '\t': 'tab',
}
