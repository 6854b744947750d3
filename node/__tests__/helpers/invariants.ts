import fs from 'fs'
import path from 'path'

import type {
  CatalogEmulator,
  EmulatorStats,
} from '../../../local/catalogEmulator'
import { withoutScore } from './e2e'

type Snapshot = ReturnType<CatalogEmulator['snapshot']>

export interface BatchItem {
  id: number | string
  score: number | string
}

export interface BatchAnswer {
  status: number
  body: any
}

/**
 * The invariants that must hold after any batch, whatever the Catalog did:
 * every item answered exactly once; a success stored the requested Score; a
 * failure left its object as it was; no field but Score ever changed; nothing
 * was sent inside a 429 window; in-flight never exceeded the concurrency.
 */
export function expectInvariants(options: {
  kind: 'products' | 'categories'
  batch: BatchItem[]
  answer: BatchAnswer
  before: Snapshot
  after: Snapshot
  stats: EmulatorStats
  concurrency: number
}) {
  const { kind, batch, answer, before, after, stats, concurrency } = options
  const succeeded = answer.body.successfulResponses.elements as Array<{
    index: number
    id: number
    score: number
  }>
  const failed = answer.body.failedResponses.elements as Array<{
    index: number
    id: number
  }>
  const indexes = [...succeeded, ...failed]
    .map((e) => e.index)
    .sort((a, b) => a - b)

  expect(indexes).toEqual(batch.map((_, i) => i))
  expect(answer.body.total).toBe(batch.length)

  for (const element of succeeded) {
    expect(after[kind][String(element.id)].Score).toBe(
      Number(batch[element.index].score)
    )
  }

  for (const element of failed) {
    expect(after[kind][String(element.id)]).toEqual(
      before[kind][String(element.id)]
    )
  }

  for (const id of Object.keys(before[kind])) {
    expect(withoutScore(after[kind][id])).toBe(withoutScore(before[kind][id]))
  }

  expect(stats.requestsInPenaltyWindow).toBe(0)
  expect(stats.peakInFlight).toBeLessThanOrEqual(concurrency)
}

export interface ScenarioFigures {
  scenario: string
  sent: number
  succeeded: number
  failed: number
  lost: number
  upstreamCalls: number
  ended: string
}

/** Summarizes one scenario for docs/RELIABILITY.md. */
export function figuresOf(
  scenario: string,
  batch: BatchItem[],
  answer: BatchAnswer,
  stats: EmulatorStats
): ScenarioFigures {
  const succeeded = answer.body?.successfulResponses?.quantity ?? 0
  const failed = answer.body?.failedResponses?.quantity ?? 0
  const codes = new Map<string, number>()

  for (const element of answer.body?.failedResponses?.elements ?? []) {
    codes.set(
      `${element.error} ${element.code}`,
      (codes.get(`${element.error} ${element.code}`) ?? 0) + 1
    )
  }

  const detail = [...codes]
    .map(([code, count]) => `${count} x ${code}`)
    .join(', ')

  return {
    scenario,
    sent: batch.length,
    succeeded,
    failed,
    lost: batch.length - succeeded - failed,
    upstreamCalls: stats.requests.total,
    ended: `HTTP ${answer.status}${detail ? `; ${detail}` : ''}`,
  }
}

const REPORT_DIR = path.resolve(__dirname, '../../../build/reliability')

/** Each test file adds its rows; scripts/reliability-report.js renders them. */
export function recordFigures(file: string, rows: unknown[]) {
  fs.mkdirSync(REPORT_DIR, { recursive: true })
  fs.writeFileSync(
    path.join(REPORT_DIR, `${file}.json`),
    JSON.stringify(rows, null, 2)
  )
}
