import { parse } from 'csv-parse/sync'

import { RequestError } from './requestError'

export interface CsvBatch {
  /** `{ id, score }` per data row, as strings; validated like a JSON body. */
  items: Array<{ id?: string; score?: string }>
  /** The CSV line each item came from, so errors can cite it. */
  lines: number[]
}

/**
 * Reads a CSV upload: a header row naming `id` and `score` (any order, any
 * case, other columns ignored), an optional BOM, CRLF or LF line ends and
 * quoted fields.
 */
export function parseCsvBatch(text: string): CsvBatch {
  let rows: Array<{ record: Record<string, string>; info: { lines: number } }>

  try {
    rows = parse(text, {
      bom: true,
      columns: (header: string[]) =>
        header.map((name) => name.trim().toLowerCase()),
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    })
  } catch (error) {
    const line = (error as { lines?: number }).lines

    throw new RequestError(
      400,
      'INVALID_CSV',
      `The CSV is malformed${line ? ` at line ${line}` : ''}: ${
        error instanceof Error ? error.message.slice(0, 200) : 'parse error'
      }.`
    )
  }

  const header = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/, 1)[0]
    .toLowerCase()
  const columns = header
    .split(',')
    .map((name) => name.trim().replace(/^"|"$/g, ''))

  if (!columns.includes('id') || !columns.includes('score')) {
    throw new RequestError(
      400,
      'CSV_MISSING_COLUMNS',
      "The CSV header row must name the columns 'id' and 'score'."
    )
  }

  return {
    items: rows.map(({ record }) => ({
      id: record.id || undefined,
      score: record.score || undefined,
    })),
    lines: rows.map(({ info }) => info.lines),
  }
}
