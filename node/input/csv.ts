import { parse } from 'csv-parse/sync'

import {
  columnLetter,
  CsvKind,
  headerKey,
  ID_HEADERS,
  idHeaderNames,
  isIdHeader,
  isScoreHeader,
  normalizeName,
  OTHER_IDS,
} from './csvHeaders'
import { headerEnd, Scan, scan } from './csvScan'
import { RequestError } from './requestError'

export { columnLetter, headerKey, ID_HEADERS }
export type { CsvKind }

/** A header cell the upload reads, as the file names it. */
export interface CsvColumn {
  /** The header cell as written (trimmed), for messages that speak the file's words. */
  name: string
  /** 1-based, as spreadsheets count. */
  column: number
}

export interface CsvBatch {
  /** `{ id, score }` per data row, as strings; validated like a JSON body. */
  items: Array<{ id?: string; score?: string }>
  /** The CSV line each item starts on, so errors can cite it. */
  lines: number[]
  /** The file's delimiter: results sent back as CSV use it too. */
  delimiter: Delimiter
  /** The columns read, as the header names them. */
  columns: { id: CsvColumn; score: CsvColumn }
}

/** What spreadsheets write: a comma, a semicolon (locales with a decimal comma), or a tab. */
export type Delimiter = ',' | ';' | '\t'
const DELIMITERS: Delimiter[] = [',', ';', '\t']
const DELIMITER_NAMES: Record<Delimiter, string> = {
  ',': 'comma',
  ';': 'semicolon',
  '\t': 'tab',
}

const at = (line: number, column?: number) =>
  column === undefined
    ? `Line ${line}`
    : `Line ${line}, column ${column} (${columnLetter(column)})`

const csvError = (code: string, message: string) =>
  new RequestError(400, code, message)

/** Cells of the header row, split with `delimiter` (quotes respected). */
function headerCells(header: string, delimiter: Delimiter): string[] {
  try {
    const [cells] = parse(header, {
      delimiter,
      relax_quotes: true,
      trim: true,
      to_line: 1,
    }) as string[][]

    return (cells ?? []).map(normalizeName)
  } catch {
    return header.split(delimiter).map(normalizeName)
  }
}

/**
 * The delimiter the header row is written with: the one that splits it into
 * cells naming both an id column and `score`, else the one it holds most
 * of, else a comma.
 */
export function detectDelimiter(
  text: string,
  kind: CsvKind = 'product'
): Delimiter {
  const header = text.slice(0, headerEnd(text))
  const naming = DELIMITERS.filter((delimiter) => {
    const cells = headerCells(header, delimiter)

    return (
      cells.some((cell) => isIdHeader(kind, cell)) && cells.some(isScoreHeader)
    )
  })

  if (naming.length === 1) return naming[0]

  const counts = (naming.length > 0 ? naming : DELIMITERS).map(
    (delimiter) => [delimiter, header.split(delimiter).length - 1] as const
  )
  const [best] = [...counts].sort((a, b) => b[1] - a[1])

  return best && best[1] > 0 ? best[0] : ','
}

function quoteError(problem: NonNullable<Scan['problem']>): RequestError {
  const where = at(problem.line, problem.column)

  switch (problem.kind) {
    case 'unclosed':
      return csvError(
        'INVALID_CSV',
        `${where}: this cell opens a quote (") that is never closed, so everything after it would be read as one cell. Close the quote, or write a quote that is part of the text as two quotes ("").`
      )

    case 'text after closing quote':
      return csvError(
        'INVALID_CSV',
        `${where}: text follows the quote (") that closes this cell (a space counts). Inside a quoted cell, write a quote as two quotes ("").`
      )

    default:
      return csvError(
        'INVALID_CSV',
        `${where}: a quote (") appears in a cell that does not start with one (a space before the quote counts). Put the whole cell in quotes and write the quote as two quotes ("").`
      )
  }
}

/** csv-parse's codes, in plain words, for what the scan did not catch first. */
function parserError(error: unknown): RequestError {
  const { code, lines } = (error ?? {}) as { code?: string; lines?: number }
  const where = lines ? `${at(lines)}: ` : ''

  switch (code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return csvError(
        'INVALID_CSV',
        `${where}a quoted cell is never closed. Close the quote, or write a quote that is part of the text as two quotes ("").`
      )

    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return csvError(
        'INVALID_CSV',
        `${where}text follows the quote (") that closes a cell. Inside a quoted cell, write a quote as two quotes ("").`
      )

    case 'INVALID_OPENING_QUOTE':
    case 'CSV_INVALID_OPENING_QUOTE':
      return csvError(
        'INVALID_CSV',
        `${where}a quote (") appears in the middle of a cell that does not start with one. Put the whole cell in quotes and write the quote as two quotes ("").`
      )

    default:
      return csvError(
        'INVALID_CSV',
        `${where}the file could not be read as CSV (${
          code ?? 'parse error'
        }). Save it again from the spreadsheet as CSV.`
      )
  }
}

const cellAt = (name: string, index: number) =>
  `'${name.slice(0, 40)}' in column ${index + 1} (${columnLetter(index + 1)})`

/**
 * Finds the id and score columns of the header row (cells as written,
 * trimmed), and refuses a header whose columns cannot be told apart, or
 * that lacks either.
 */
function readHeader(
  names: string[],
  delimiter: Delimiter,
  kind: CsvKind
): { id: CsvColumn; score: CsvColumn } {
  const firstColumnOf = new Map<string, number>()

  names.forEach((name, index) => {
    if (name === '') return

    const normalized = normalizeName(name)
    const first = firstColumnOf.get(normalized)

    if (first !== undefined) {
      throw csvError(
        'CSV_DUPLICATE_COLUMN',
        `${at(1)}: the header names the same column twice: ${cellAt(
          names[first],
          first
        )} and ${cellAt(
          name,
          index
        )}, so it is not clear which to read. Rename or delete one of them.`
      )
    }

    firstColumnOf.set(normalized, index)
  })

  const ids = names.flatMap((name, index) =>
    isIdHeader(kind, name) ? [index] : []
  )
  const scores = names.flatMap((name, index) =>
    isScoreHeader(name) ? [index] : []
  )

  if (ids.length > 1 || scores.length > 1) {
    const [what, columns] =
      ids.length > 1 ? (['id', ids] as const) : (['score', scores] as const)

    throw csvError(
      'CSV_DUPLICATE_COLUMN',
      `${at(1)}: the header names the ${what} column more than once: ${columns
        .map((index) => cellAt(names[index], index))
        .join(
          ' and '
        )}, so it is not clear which to read. Rename or delete all but one of them.`
    )
  }

  if (ids.length === 0 || scores.length === 0) {
    const named = names.filter((name) => name !== '')
    const hints = names.flatMap((name, index) => {
      const hint = OTHER_IDS[kind][headerKey(name)]

      return hint ? [`${cellAt(name, index)} ${hint}`] : []
    })

    throw csvError(
      'CSV_MISSING_COLUMNS',
      `${at(1)}: the header row must name an id column (${idHeaderNames(
        kind
      )}) and a 'score' column, in any order and any case; read with a ${
        DELIMITER_NAMES[delimiter]
      } as the delimiter, it names ${
        named.length > 0
          ? named
              .slice(0, 10)
              .map((name) => `'${name.slice(0, 40)}'`)
              .join(', ')
          : 'nothing'
      }.${hints.length > 0 ? ` ${hints.slice(0, 2).join('; ')}.` : ''}`
    )
  }

  return {
    id: { name: names[ids[0]], column: ids[0] + 1 },
    score: { name: names[scores[0]], column: scores[0] + 1 },
  }
}

/**
 * Refuses rows whose cells may not sit under their header: more cells than
 * the header, or fewer, unless every missing cell is in a trailing column
 * that is empty in every row (spreadsheets drop trailing empty cells).
 */
function checkRowLengths(rows: string[][], lines: number[], width: number) {
  // The last column that holds a value in any row: a row may stop after it.
  const lastUsedColumn = Math.max(
    0,
    ...rows.map((row) => {
      let column = row.length

      while (column > 0 && row[column - 1] === '') column--

      return column
    })
  )

  rows.forEach((row, index) => {
    if (row.length > width) {
      throw csvError(
        'CSV_RAGGED_ROW',
        `${at(lines[index], width + 1)}: this row has ${
          row.length
        } cells but the header has ${width}, so its values may not be under the right columns. A cell that holds the delimiter must be in quotes; otherwise remove the extra cells.`
      )
    }

    if (row.length < width && row.length < lastUsedColumn) {
      throw csvError(
        'CSV_RAGGED_ROW',
        `${at(lines[index], row.length + 1)}: this row has ${
          row.length
        } cells but the header has ${width}, so its values may not be under the right columns. Add the missing cells (they may be empty).`
      )
    }
  })
}

/**
 * Reads a CSV upload as spreadsheets write it: a header row naming an id
 * column (`id`, or the id column of VTEX's own spreadsheets for `kind`:
 * see ID_HEADERS) and `score` (any order, any case, other columns
 * ignored), the delimiter read
 * from that row (comma, semicolon or tab), an optional BOM, CRLF or LF line
 * ends, and quoted cells that may hold delimiters, quotes and line breaks.
 * Rows whose cells are all empty are skipped. Any doubt about which cell
 * belongs to which column refuses the whole upload.
 */
export function parseCsvBatch(
  input: string,
  kind: CsvKind = 'product'
): CsvBatch {
  const text = input.replace(/^\uFEFF/, '')
  const delimiter = detectDelimiter(text, kind)
  const { recordLines, problem } = scan(text, delimiter)

  if (problem) throw quoteError(problem)

  let records: Array<{ record: string[]; info: { lines: number } }>

  try {
    // No `trim`: a cell is what the file holds, so " 5" is refused as in JSON (see validate.ts).
    records = parse(text, {
      delimiter,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
    })
  } catch (error) {
    throw parserError(error)
  }

  // The scan and csv-parse read records alike; should they ever disagree, cite csv-parse's count.
  const lineOf = (index: number) =>
    records.length === recordLines.length
      ? recordLines[index]
      : records[index].info.lines

  if (records.length === 0) {
    throw csvError(
      'CSV_MISSING_COLUMNS',
      `The CSV is empty: its first row must name an id column (${idHeaderNames(
        kind
      )}) and a 'score' column.`
    )
  }

  const names = records[0].record.map((name) => name.trim())
  const columns = readHeader(names, delimiter, kind)

  const rows: string[][] = []
  const lines: number[] = []

  records.slice(1).forEach(({ record }, index) => {
    if (record.every((cell) => cell === '')) return
    rows.push(record)
    lines.push(lineOf(index + 1))
  })

  checkRowLengths(rows, lines, names.length)

  return {
    items: rows.map((row) => ({
      id: row[columns.id.column - 1] || undefined,
      score: row[columns.score.column - 1] || undefined,
    })),
    lines,
    delimiter,
    columns,
  }
}
