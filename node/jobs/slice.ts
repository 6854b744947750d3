import { positiveNumberFrom } from '../envNumbers'
import type {
  FailureElement,
  ScoreEnvelope,
  SuccessElement,
} from '../scores/envelope'
import type { ScoreItem } from '../scores/validate'
import type { OutcomeCounts } from './model'

/**
 * A slice: the part of a chunk one event runs. Each event runs the chunk's
 * items not yet final for at most JOB_SLICE_MS (default 20 s, a third of
 * the 60 s `timeout` service.json allows, the only time bound VTEX
 * documents near event handlers), checkpoints what it finished, and sends
 * the chunk's event again for the rest.
 */
export const DEFAULT_SLICE_MS = 20_000

/** JOB_SLICE_MS (tests shrink it), at most 40 s: well inside the 60 s bound. */
export const sliceMsFor = (env: NodeJS.ProcessEnv = process.env) =>
  Math.min(positiveNumberFrom(env.JOB_SLICE_MS) ?? DEFAULT_SLICE_MS, 40_000)

export type Element = SuccessElement | FailureElement

export const elementsOf = (envelope: ScoreEnvelope | undefined): Element[] =>
  envelope
    ? [
        ...envelope.successfulResponses.elements,
        ...envelope.failedResponses.elements,
      ]
    : []

/** An envelope of `elements` (in request order) for a chunk of `total` items. */
export function envelopeOf(
  elements: Element[],
  total: number,
  dryRun: boolean
): ScoreEnvelope {
  const sorted = [...elements].sort((a, b) => a.index - b.index)
  const succeeded = sorted.filter(
    (e): e is SuccessElement => e.success === 'true'
  )
  const failed = sorted.filter(
    (e): e is FailureElement => e.success === 'false'
  )

  return {
    successfulResponses: { elements: succeeded, quantity: succeeded.length },
    failedResponses: { elements: failed, quantity: failed.length },
    total,
    ...(dryRun ? { dryRun: true as const } : {}),
  }
}

/** The items of a chunk a slice still has to run: those with no final outcome in `done`. */
export function remainingItems<T extends ScoreItem>(
  items: T[],
  done: Element[]
) {
  const final = new Set(done.map((e) => e.index))

  return items.filter((item) => !final.has(item.index))
}

/** An envelope's items by outcome: UPDATED, UNCHANGED, DRY_RUN or the failure code. */
export const outcomeCountsOf = (envelope: ScoreEnvelope): OutcomeCounts => {
  const counts: OutcomeCounts = {}
  const add = (code: string) => (counts[code] = (counts[code] ?? 0) + 1)

  for (const element of envelope.successfulResponses.elements)
    add(
      element.dryRun ? 'DRY_RUN' : element.unchanged ? 'UNCHANGED' : 'UPDATED'
    )
  for (const element of envelope.failedResponses.elements) add(element.code)

  return counts
}
