/**
 * Reading a spreadsheet in the browser: a CSV as Excel or Google Sheets save
 * it (comma, semicolon or tab; BOM; quotes), or an .xlsx (see readXlsx.ts).
 * The page only finds the `id` and `score` columns and keeps each row's line;
 * the app validates the values (all or nothing) and its errors are shown
 * against these lines.
 */

export type Delimiter = ',' | ';' | '\t'

export interface SheetItem {
  id: string
  score: string
  /** The row's line in the file (1 is the header row). */
  line: number
}

export interface ParsedSheet {
  items: SheetItem[]
  /** The CSV's delimiter; for an .xlsx, the one a CSV of it would take in the admin's locale. */
  delimiter: Delimiter
  format: 'csv' | 'xlsx'
  /** The header names as the file spells them. */
  idColumn: string
  scoreColumn: string
}

/** Why a file cannot be read; `values` fill the message. */
export class SheetError extends Error {
  constructor(
    public readonly code:
      | 'EMPTY_FILE'
      | 'MISSING_COLUMNS'
      | 'UNCLOSED_QUOTE'
      | 'NOT_A_SPREADSHEET'
      | 'NO_ROWS',
    public readonly values: Record<string, string | number> = {}
  ) {
    super(code)
  }
}

const DELIMITERS: Delimiter[] = [',', ';', '\t']

/** RFC 4180 rows: quoted cells may hold the delimiter, quotes ("") and line breaks. */
export function parseCsvRows(
  text: string,
  delimiter: Delimiter
): Array<{ cells: string[]; line: number }> {
  const rows: Array<{ cells: string[]; line: number }> = []
  let cells: string[] = []
  let cell = ''
  let quoted = false
  let line = 1
  let rowLine = 1
  let quoteLine = 0

  for (let i = 0; i < text.length; i++) {
    const char = text[i]

    if (quoted) {
      if (char === '"') {
        if (text[i + 1] === '"') {
          cell += '"'
          i++
        } else quoted = false
      } else {
        if (char === '\n') line++
        cell += char
      }
    } else if (char === '"' && cell === '') {
      quoted = true
      quoteLine = line
    } else if (char === delimiter) {
      cells.push(cell)
      cell = ''
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++
      cells.push(cell)
      rows.push({ cells, line: rowLine })
      cells = []
      cell = ''
      line++
      rowLine = line
    } else cell += char
  }

  if (quoted) throw new SheetError('UNCLOSED_QUOTE', { line: quoteLine })
  if (cell !== '' || cells.length > 0) {
    cells.push(cell)
    rows.push({ cells, line: rowLine })
  }

  return rows
}

/** Header names compared without case, accents, underscores or a note in parentheses. */
export const normalizeHeader = (name: string) =>
  name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/\(.*\)/g, '')
    .replace(/[_\s-]+/g, ' ')
    .trim()
    .toLowerCase()

/**
 * Id headers spreadsheets use: `id`, `Product ID`, `Category ID`, VTEX's
 * export (`_IdProduto`, `_IDProduto (Não alterável)`), in en, pt and es.
 */
const ID_HEADERS = new Set([
  'id',
  'product id',
  'productid',
  'category id',
  'categoryid',
  'idproduto',
  'id produto',
  'id do produto',
  'idcategoria',
  'id categoria',
  'id da categoria',
  'id producto',
  'id del producto',
  'id de producto',
  'id categoria producto',
  'id de categoria',
])

const SCORE_HEADERS = new Set([
  'score',
  'new score',
  'pontuacao',
  'nova pontuacao',
  'puntuacion',
  'nueva puntuacion',
])

function findColumns(header: string[]) {
  const names = header.map(normalizeHeader)

  return {
    id: names.findIndex((name) => ID_HEADERS.has(name)),
    score: names.findIndex((name) => SCORE_HEADERS.has(name)),
  }
}

/** The delimiter of the header row: the one that finds both columns, else the most frequent. */
export function detectDelimiter(headerLine: string): Delimiter {
  const found = DELIMITERS.find((delimiter) => {
    const columns = findColumns(headerLine.split(delimiter))

    return columns.id >= 0 && columns.score >= 0
  })

  if (found) return found

  return DELIMITERS.reduce((best, delimiter) =>
    headerLine.split(delimiter).length > headerLine.split(best).length
      ? delimiter
      : best
  )
}

/** Rows (the header first) to items, skipping rows whose cells are all empty. */
export function rowsToSheet(
  rows: Array<{ cells: string[]; line: number }>,
  delimiter: Delimiter,
  format: 'csv' | 'xlsx'
): ParsedSheet {
  const headerRow = rows.find((row) => row.cells.some((cell) => cell !== ''))

  if (!headerRow) throw new SheetError('EMPTY_FILE')
  const columns = findColumns(headerRow.cells)

  if (columns.id < 0 || columns.score < 0) {
    throw new SheetError('MISSING_COLUMNS', {
      columns: headerRow.cells.filter(Boolean).join(', ').slice(0, 200),
    })
  }

  const items = rows
    .filter(
      (row) =>
        row.line > headerRow.line && row.cells.some((cell) => cell !== '')
    )
    .map((row) => ({
      id: row.cells[columns.id] ?? '',
      score: row.cells[columns.score] ?? '',
      line: row.line,
    }))

  if (items.length === 0) throw new SheetError('NO_ROWS')

  return {
    items,
    delimiter,
    format,
    idColumn: headerRow.cells[columns.id],
    scoreColumn: headerRow.cells[columns.score],
  }
}

/** A CSV's text (BOM removed) to items. */
export function parseCsv(text: string): ParsedSheet {
  const body = text.replace(/^\uFEFF/, '')

  if (body.trim() === '') throw new SheetError('EMPTY_FILE')
  const firstLine = body.split(/\r?\n/).find((line) => line.trim() !== '') ?? ''
  const delimiter = detectDelimiter(firstLine)

  return rowsToSheet(parseCsvRows(body, delimiter), delimiter, 'csv')
}

/** Bytes to text: UTF-16 with a BOM (Excel's "Unicode Text"), else UTF-8. */
export function decodeText(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe)
    return new TextDecoder('utf-16le').decode(bytes.subarray(2))
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return new TextDecoder('utf-16be').decode(bytes.subarray(2))

  return new TextDecoder('utf-8').decode(bytes)
}

/** An .xlsx is a zip: it starts with PK. */
export const isZip = (bytes: Uint8Array) =>
  bytes[0] === 0x50 && bytes[1] === 0x4b

/** One CSV cell, quoted when it holds the delimiter, a quote or a line break. */
export function csvCell(value: string, delimiter: Delimiter): string {
  return value.includes(delimiter) || /["\r\n]/.test(value)
    ? `"${value.replace(/"/g, '""')}"`
    : value
}

/** Rows to a CSV that Excel opens in columns: the delimiter given, a BOM, CRLF. */
export function toCsv(rows: string[][], delimiter: Delimiter): string {
  return `\uFEFF${rows
    .map((row) => row.map((cell) => csvCell(cell, delimiter)).join(delimiter))
    .join('\r\n')}\r\n`
}

/** The delimiter a spreadsheet user's Excel expects: `;` where the decimal separator is a comma. */
export function localeDelimiter(locale: string): Delimiter {
  const decimal = new Intl.NumberFormat(locale).format(1.5).replace(/\d/g, '')

  return decimal === ',' ? ';' : ','
}
