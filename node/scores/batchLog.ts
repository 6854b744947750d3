import type { BulkStats } from '../bulk'
import type { ScoreEnvelope } from './envelope'

export interface BatchLineInput {
  kind: string
  status: number
  envelope: ScoreEnvelope
  stats: BulkStats
}

const counted = (count: number, one: string, many: string) =>
  `${count} ${count === 1 ? one : many}`

/**
 * One line a person can read for a batch (or a job's chunk): items, outcome
 * counts, failures by code, calls and duration. Counts only: no ids, no
 * credentials.
 *
 *   score batch: product, 1500 items in 8.2 s, status 200: 1480 updated, 12 unchanged, 8 failed (5 NOT_FOUND, 3 TIMEOUT); 3010 calls, 10 retries, 2 rate-limited
 */
export function batchLine({ kind, status, envelope, stats }: BatchLineInput) {
  const succeeded = envelope.successfulResponses.elements
  const unchanged = succeeded.filter((e) => e.unchanged).length
  const dryRun = succeeded.filter((e) => e.dryRun).length
  const written = succeeded.length - unchanged - dryRun
  const byCode = new Map<string, number>()

  for (const failure of envelope.failedResponses.elements) {
    byCode.set(failure.code, (byCode.get(failure.code) ?? 0) + 1)
  }

  const failures = [...byCode]
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([code, count]) => `${count} ${code}`)
    .join(', ')
  const outcomes = [
    `${written} updated`,
    ...(unchanged ? [`${unchanged} unchanged`] : []),
    ...(dryRun ? [`${dryRun} dry run`] : []),
    `${envelope.failedResponses.quantity} failed${
      failures ? ` (${failures})` : ''
    }`,
  ].join(', ')

  const seconds = (stats.durationMs / 1000).toFixed(1)

  return (
    `score batch: ${kind}, ${counted(envelope.total, 'item', 'items')} ` +
    `in ${seconds} s, status ${status}: ${outcomes}; ` +
    `${counted(stats.calls, 'call', 'calls')}, ` +
    `${counted(stats.retries, 'retry', 'retries')}, ` +
    `${stats.rateLimited} rate-limited`
  )
}

/**
 * Where the line goes: the output of an IO runtime (which sets VTEX_APP_ID),
 * as `npm start` and `vtex link` show it; nowhere in unit tests, which run
 * the engine with no runtime. Production workspaces keep the structured log
 * ('Score batch finished') only.
 */
export function writeBatchLine(line: string) {
  if (!process.env.VTEX_APP_ID || process.env.VTEX_PRODUCTION === 'true') {
    return
  }

  process.stdout.write(`${line}\n`)
}
