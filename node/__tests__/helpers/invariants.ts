import fs from 'fs'
import path from 'path'

import type {
  CatalogEmulator,
  EmulatorStats,
  FaultRule,
} from '../../../local/catalogEmulator'
import { withoutScore } from './e2e'

type Snapshot = ReturnType<CatalogEmulator['snapshot']>

export interface BatchItem {
  id: number | string
  score: number | string
}

export interface BatchAnswer {
  status: number
  /** For merged answers: each batch's status. */
  statuses?: number[]
  body: any
}

const statusesOf = (answer: BatchAnswer) => answer.statuses ?? [answer.status]

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

/**
 * Every configured rule fired at least once: a scenario whose fault never
 * happened proves nothing. Rules are keyed as the emulator counts them
 * (`name`, else index).
 */
export function expectFaultsFired(
  stats: EmulatorStats,
  rules: FaultRule[] | null | undefined
) {
  const keys = (rules ?? []).map((rule, index) => rule.name ?? String(index))
  const fired = (key: string) => (stats.faultHits[key] ?? 0) > 0

  expect(Object.fromEntries(keys.map((key) => [key, fired(key)]))).toEqual(
    Object.fromEntries(keys.map((key) => [key, true]))
  )
}

/** Two answers as one, for the figures of batches run side by side. */
export function mergeAnswers(...answers: BatchAnswer[]): BatchAnswer {
  const statuses = [...new Set(answers.map((a) => a.status))]

  return {
    // The worst status stands for both; `statuses` keeps each.
    status: Math.max(...statuses),
    statuses,
    body: {
      successfulResponses: {
        quantity: sum(answers, (a) => a.body.successfulResponses.quantity),
        elements: answers.flatMap((a) => a.body.successfulResponses.elements),
      },
      failedResponses: {
        quantity: sum(answers, (a) => a.body.failedResponses.quantity),
        elements: answers.flatMap((a) => a.body.failedResponses.elements),
      },
      total: sum(answers, (a) => a.body.total),
    },
  } as BatchAnswer
}

const sum = <T>(items: T[], of: (item: T) => number) =>
  items.reduce((total, item) => total + of(item), 0)

export interface ScenarioFigures {
  scenario: string
  sent: number
  succeeded: number
  failed: number
  lost: number
  upstreamCalls: number
  /** Hits per fault rule, as the emulator counted them. */
  faultHits: Record<string, number>
  ended: string
}

/** Summarizes one scenario for dev-docs/RELIABILITY.md. */
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
    faultHits: stats.faultHits,
    ended: `HTTP ${statusesOf(answer).join(' and ')}${
      detail ? `; ${detail}` : ''
    }`,
  }
}

const REPORT_DIR = path.resolve(__dirname, '../../../build/reliability')

/**
 * Each test file adds its rows, and the settings they ran with;
 * scripts/reliability-report.js renders them.
 */
export function recordFigures(
  file: string,
  rows: unknown[],
  settings: Record<string, unknown> = {}
) {
  fs.mkdirSync(REPORT_DIR, { recursive: true })
  fs.writeFileSync(
    path.join(REPORT_DIR, `${file}.json`),
    JSON.stringify({ settings, rows }, null, 2)
  )
}
