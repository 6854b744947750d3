const csvCell = (value: unknown) => {
  const text = value === undefined || value === null ? '' : String(value)

  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** Writes rows as CSV (RFC 4180 quoting), header first. */
export function toCsv(header: string[], rows: unknown[][]): string {
  return (
    [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') +
    '\r\n'
  )
}

/** Rows only, each ending in CRLF: a later piece of a streamed CSV. */
export function csvRows(rows: unknown[][]): string {
  return rows.map((row) => `${row.map(csvCell).join(',')}\r\n`).join('')
}
