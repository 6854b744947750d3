import { parse } from 'csv-parse/sync'

import { RequestError } from './requestError'

export interface CsvBatch {
  /** `{ id, score }` per data row, as strings; validated like a JSON body. */
  items: Array<{ id?: string; score?: string }>
  /** The CSV line each item starts on, so errors can cite it. */
  lines: number[]
}

/** What spreadsheets write: a comma, a semicolon (locales with a decimal comma), or a tab. */
export type Delimiter = ',' | ';' | '\t'
const DELIMITERS: Delimiter[] = [',', ';', '\t']
const DELIMITER_NAMES: Record<Delimiter, string> = {
  ',': 'comma',
  ';': 'semicolon',
  '\t': 'tab',
}

/** A spreadsheet's name for a 1-based column: 1 is A, 27 is AA. */
export function columnLetter(column: number): string {
  let letters = ''

  for (let n = column; n > 0; n = Math.floor((n - 1) / 26)) {
    letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters
  }

  return letters
}

const at = (line: number, column?: number) =>
  column === undefined
    ? `Line ${line}`
    : `Line ${line}, column ${column} (${columnLetter(column)})`

const csvError = (code: string, message: string) =>
  new RequestError(400, code, message)

type QuoteProblem = 'unclosed' | 'text after closing quote' | 'quote inside'

interface Scan {
  /** The line each non-empty record starts on. */
  recordLines: number[]
  /** The first quoting mistake, where it starts. */
  problem?: { kind: QuoteProblem; line: number; column: number }
}

/**
 * Walks the text the way RFC 4180 reads it, as csv-parse does here: a quote
 * opens a cell only as its first character, and only a delimiter or a line
 * break may follow the closing quote. It does not build cells: csv-parse
 * does. It finds where each record starts and where a quoting mistake
 * starts, which csv-parse's errors do not say (an unclosed quote is reported
 * at the end of the file).
 */
function scan(text: string, delimiter: string): Scan {
  const result: Scan = { recordLines: [] }
  let state: 'start' | 'unquoted' | 'quoted' | 'closed' = 'start'
  let line = 1
  let column = 1
  let recordLine = 1
  let recordHasText = false
  let quote = { line: 1, column: 1 }

  for (let i = 0; i < text.length; i++) {
    const char = text[i]

    if (state === 'quoted') {
      if (char === '"') {
        if (text[i + 1] === '"') i++
        else state = 'closed'
      } else if (char === '\n' || (char === '\r' && text[i + 1] !== '\n')) {
        line++
      }

      continue
    }

    if (char === '\r' || char === '\n') {
      if (char === '\r' && text[i + 1] === '\n') i++
      if (recordHasText) result.recordLines.push(recordLine)

      line++
      recordLine = line
      column = 1
      recordHasText = false
      state = 'start'
      continue
    }

    recordHasText = true

    if (char === delimiter) {
      column++
      state = 'start'
    } else if (state === 'start') {
      if (char === '"') {
        state = 'quoted'
        quote = { line, column }
      } else {
        state = 'unquoted'
      }
    } else if (state === 'closed') {
      result.problem = { kind: 'text after closing quote', line, column }

      return result
    } else if (state === 'unquoted' && char === '"') {
      result.problem = { kind: 'quote inside', line, column }

      return result
    }
  }

  if (state === 'quoted') {
    result.problem = { kind: 'unclosed', ...quote }
  } else if (recordHasText) {
    result.recordLines.push(recordLine)
  }

  return result
}

/** Where the header row ends: the first line break outside quotes. */
function headerEnd(text: string): number {
  let quoted = false

  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') quoted = !quoted
    else if (!quoted && (text[i] === '\n' || text[i] === '\r')) return i
  }

  return text.length
}

const normalizeName = (name: string) => name.trim().toLowerCase()

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
 * cells naming both `id` and `score`, else the one it holds most of, else a comma.
 */
export function detectDelimiter(text: string): Delimiter {
  const header = text.slice(0, headerEnd(text))
  const naming = DELIMITERS.filter((delimiter) => {
    const cells = headerCells(header, delimiter)

    return cells.includes('id') && cells.includes('score')
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

/** Refuses a header whose columns cannot be told apart, or that lacks `id` or `score`. */
function checkHeader(names: string[], delimiter: Delimiter) {
  const firstColumnOf = new Map<string, number>()

  names.forEach((name, index) => {
    if (name === '') return

    const first = firstColumnOf.get(name)

    if (first !== undefined) {
      throw csvError(
        'CSV_DUPLICATE_COLUMN',
        `${at(1)}: the header names the column '${name}' twice, in columns ${
          first + 1
        } (${columnLetter(first + 1)}) and ${index + 1} (${columnLetter(
          index + 1
        )}), so it is not clear which to read. Rename or delete one of them.`
      )
    }

    firstColumnOf.set(name, index)
  })

  if (!firstColumnOf.has('id') || !firstColumnOf.has('score')) {
    const named = names.filter((name) => name !== '')

    throw csvError(
      'CSV_MISSING_COLUMNS',
      `${at(
        1
      )}: the header row must name the columns 'id' and 'score'; read with a ${
        DELIMITER_NAMES[delimiter]
      } as the delimiter, it names ${
        named.length > 0
          ? named
              .slice(0, 10)
              .map((name) => `'${name.slice(0, 40)}'`)
              .join(', ')
          : 'nothing'
      }.`
    )
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
 * Reads a CSV upload as spreadsheets write it: a header row naming `id` and
 * `score` (any order, any case, other columns ignored), the delimiter read
 * from that row (comma, semicolon or tab), an optional BOM, CRLF or LF line
 * ends, and quoted cells that may hold delimiters, quotes and line breaks.
 * Rows whose cells are all empty are skipped. Any doubt about which cell
 * belongs to which column refuses the whole upload.
 */
export function parseCsvBatch(input: string): CsvBatch {
  const text = input.replace(/^\uFEFF/, '')
  const delimiter = detectDelimiter(text)
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
      "The CSV is empty: its first row must name the columns 'id' and 'score'."
    )
  }

  const names = records[0].record.map(normalizeName)

  checkHeader(names, delimiter)

  const rows: string[][] = []
  const lines: number[] = []

  records.slice(1).forEach(({ record }, index) => {
    if (record.every((cell) => cell === '')) return
    rows.push(record)
    lines.push(lineOf(index + 1))
  })

  checkRowLengths(rows, lines, names.length)

  const idColumn = names.indexOf('id')
  const scoreColumn = names.indexOf('score')

  return {
    items: rows.map((row) => ({
      id: row[idColumn] || undefined,
      score: row[scoreColumn] || undefined,
    })),
    lines,
  }
}
