import type { BatchAnswer, ItemResult } from './api'
import type { ParsedSheet } from './spreadsheet'

/** An item as the app takes it. */
export type ScoreItem = { id: string; score: string }

/** Rows from..to of the sheet, without what only the page needs (their line). */
export const itemsOf = (
  sheet: ParsedSheet,
  from = 0,
  to = sheet.items.length
): ScoreItem[] =>
  sheet.items.slice(from, to).map(({ id, score }) => ({ id, score }))

/** Every answer of a batch, those that succeeded first. */
export const elementsOf = (answer: BatchAnswer): ItemResult[] => [
  ...answer.successfulResponses.elements,
  ...answer.failedResponses.elements,
]

/** A new Idempotency-Key: a second click on Run answers the same job. */
export const newIdempotencyKey = () =>
  typeof crypto !== 'undefined' && 'randomUUID' in crypto
    ? crypto.randomUUID()
    : `${Date.now()}-${Math.random().toString(36).slice(2)}`
