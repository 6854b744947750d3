/** The figures as text: the progress line of each batch and the tables of the report. */
import type { Row } from './measure'

export const fixed = (value: number | undefined, digits = 1) =>
  value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits)

/** service / emulator / meter+driver, in % of one core. */
export const cpuShares = (row: Row) =>
  row.cpuPct
    ? `${fixed(row.cpuPct.service, 0)} / ${fixed(
        row.cpuPct.emulator,
        0
      )} / ${fixed(row.cpuPct.bench, 0)}`
    : 'n/a'

export const progressLine = (row: Row) =>
  `${row.profile} ceiling ${row.ceiling} ${row.runner} ${row.items}: ${fixed(
    row.itemsPerSec
  )} items/s (${fixed(row.pctOfLimit, 0)}% of ${fixed(row.limit, 0)}), 429s ${
    row.rateLimited
  }, in window ${row.inWindow}, failed ${row.failed}, lost ${
    row.lost
  }, CPU % of a core ${cpuShares(row)}${
    row.failedCodes
      ? `, failed by code ${Object.entries(row.failedCodes)
          .map(([code, count]) => `${code} ${count}`)
          .join(', ')}`
      : ''
  }\n`

/** A markdown table: the header, its rule, then the lines. */
export const markdownTable = (header: string[], lines: string[][]) =>
  [header, header.map(() => '---'), ...lines]
    .map((cells) => `| ${cells.join(' | ')} |`)
    .join('\n')

/** Every figure of this app's rows. */
export function resultsTable(rows: Row[]): string {
  return markdownTable(
    [
      'profile',
      'ceiling',
      'runner',
      'items',
      'wall s',
      'updated/s',
      'limit items/s',
      '% of limit',
      'ok / failed / lost',
      'calls/item',
      '429s',
      'in 429 window',
      'p50 / p99 ms',
      'peak in flight',
      'peak RSS MB',
      'CPU ms/item',
      'CPU % of a core: service / emulator / meter+driver',
    ],
    rows.map((r) => [
      r.profile,
      String(r.ceiling),
      r.runner,
      String(r.items),
      fixed(r.seconds, 1),
      fixed(r.itemsPerSec),
      fixed(r.limit, 0),
      `${fixed(r.pctOfLimit, 0)}%`,
      `${r.succeeded} / ${r.failed} / ${r.lost}`,
      fixed(r.callsPerItem, 2),
      String(r.rateLimited),
      String(r.inWindow),
      `${fixed(r.p50Ms, 0)} / ${fixed(r.p99Ms, 0)}`,
      String(r.peakInFlight),
      fixed(r.rssMb, 0),
      fixed(r.cpuMsPerItem, 2),
      cpuShares(r),
    ])
  )
}
