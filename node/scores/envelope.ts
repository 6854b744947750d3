import type { Outcome } from '../bulk'
import type { InvalidItem, ScoreItem } from './validate'

/** What one item's update did, when it succeeded. */
export interface ScoreChange {
  previousScore: number | null
  unchanged?: true
  dryRun?: true
  /** With ?allowFieldDrift=true: the fields besides Score the Catalog changes (or refuses) on this write. */
  driftFields?: string[]
}

export interface SuccessElement extends ScoreChange {
  index: number
  id: number
  score: number
  success: 'true'
}

export interface FailureElement {
  index: number
  id: number
  score: number
  success: 'false'
  error: number
  code: string
  errorMessage: string
  attempts: number
}

export interface ScoreEnvelope {
  successfulResponses: { elements: SuccessElement[]; quantity: number }
  failedResponses: { elements: FailureElement[]; quantity: number }
  total: number
  dryRun?: true
}

export interface ValidationFailureElement {
  index: number
  line?: number
  id?: unknown
  score?: unknown
  success: 'false'
  error: 400
  code: string
  errorMessage: string
}

export interface ValidationEnvelope {
  error: { status: 400; code: 'INVALID_ITEMS'; message: string }
  failedResponses: { elements: ValidationFailureElement[][]; quantity: number }
  total: number
}

/** The origin's answer shape; both lists keep request order. */
export function buildEnvelope(
  items: readonly ScoreItem[],
  outcomes: ReadonlyArray<Outcome<ScoreChange>>,
  options: { dryRun?: boolean } = {}
): ScoreEnvelope {
  const succeeded: SuccessElement[] = []
  const failed: FailureElement[] = []

  items.forEach((item, position) => {
    const outcome = outcomes[position]
    const { index, id, score } = item

    if (outcome.ok) {
      succeeded.push({ index, id, score, ...outcome.value, success: 'true' })
    } else {
      failed.push({
        index,
        id,
        score,
        success: 'false',
        error: outcome.failure.status,
        code: outcome.failure.code,
        errorMessage: outcome.failure.message,
        attempts: outcome.attempts,
      })
    }
  })

  return {
    successfulResponses: { elements: succeeded, quantity: succeeded.length },
    failedResponses: { elements: failed, quantity: failed.length },
    total: items.length,
    ...(options.dryRun ? { dryRun: true as const } : {}),
  }
}

/** The 400 for an invalid batch: one inner array per invalid item, holding all its problems. */
export function buildValidationEnvelope(
  invalid: readonly InvalidItem[],
  total: number
): ValidationEnvelope {
  return {
    error: {
      status: 400,
      code: 'INVALID_ITEMS',
      message: `${invalid.length} of ${total} items are invalid; nothing was written.`,
    },
    failedResponses: {
      elements: invalid.map(({ index, line, id, score, problems }) =>
        problems.map((p) => ({
          index,
          ...(line !== undefined ? { line } : {}),
          ...(id !== undefined ? { id } : {}),
          ...(score !== undefined ? { score } : {}),
          success: 'false' as const,
          error: 400 as const,
          code: p.code,
          errorMessage: p.message,
        }))
      ),
      quantity: invalid.length,
    },
    total,
  }
}
