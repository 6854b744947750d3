import type { Delimiter, ParsedSheet } from './spreadsheet'
import {
  SheetError,
  decodeText,
  isZip,
  parseCsv,
  rowsToSheet,
} from './spreadsheet'

/**
 * .xlsx files are read in the browser with `read-excel-file`: maintained,
 * MIT, small, and it only reads. The npm `xlsx` (SheetJS) stopped at 0.18.5
 * on npm with known advisories (prototype pollution, ReDoS) fixed only in
 * builds published elsewhere, so it is not used. Loaded on demand, so the
 * page's first load does not carry it.
 */
async function readXlsxRows(file: Blob) {
  const { readSheet } = await import('read-excel-file/browser')

  // Numbers as the cells hold them ("12", "4.5"): the app says what is wrong with a value.
  const rows = await readSheet(file, { parseNumber: (text: string) => text })

  return rows.map((row, index) => ({
    cells: row.map((cell) =>
      cell === null || cell === undefined ? '' : String(cell)
    ),
    line: index + 1,
  }))
}

export type XlsxReader = typeof readXlsxRows

/** A file the admin picked: CSV (any delimiter, UTF-8 or UTF-16) or .xlsx. */
export async function readSpreadsheet(
  file: Blob & { name?: string },
  failedRowsDelimiter: Delimiter,
  readXlsx: XlsxReader = readXlsxRows
): Promise<ParsedSheet> {
  const bytes = new Uint8Array(await blobBytes(file))

  if (bytes.length === 0) throw new SheetError('EMPTY_FILE')
  if (isZip(bytes)) {
    let rows

    try {
      rows = await readXlsx(new Blob([bytes]))
    } catch {
      throw new SheetError('NOT_A_SPREADSHEET')
    }

    return rowsToSheet(rows, failedRowsDelimiter, 'xlsx')
  }

  // An old .xls (OLE2) or another binary file.
  if (bytes[0] === 0xd0 && bytes[1] === 0xcf)
    throw new SheetError('NOT_A_SPREADSHEET')

  return parseCsv(decodeText(bytes))
}

/** Blob.arrayBuffer where the browser has it; FileReader otherwise (older jsdom). */
export function blobBytes(blob: Blob): Promise<ArrayBuffer> {
  if (typeof blob.arrayBuffer === 'function') return blob.arrayBuffer()

  return new Promise((resolve, reject) => {
    const reader = new FileReader()

    reader.onload = () => resolve(reader.result as ArrayBuffer)
    reader.onerror = () => reject(reader.error)
    reader.readAsArrayBuffer(blob)
  })
}
