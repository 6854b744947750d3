import { CallError, ItemContext } from '../bulk'
import { CatalogError, CatalogObject } from '../clients/catalog'
import type { ScoreChange } from './envelope'
import type { ScoreTarget } from './targets'
import type { ScoreItem } from './validate'

/** What the task needs from the Catalog; the CatalogClient bound to the caller. */
export interface CatalogPort {
  read(id: number): Promise<CatalogObject>
  write(id: number, object: CatalogObject): Promise<unknown>
}

export interface ScoreState {
  /** The Score seen by the first successful GET, kept across retries. */
  previousScore?: number | null
}

const TRAILING_SPACE = /\s$/

/** Names the string fields that end in whitespace: the Catalog rejects their PUT with an empty 400. */
export function fieldsWithTrailingSpaces(object: CatalogObject): string[] {
  return Object.keys(object).filter((key) => {
    const value = object[key]

    return typeof value === 'string' && TRAILING_SPACE.test(value)
  })
}

/**
 * One item: GET the whole object, then PUT it back with only Score changed.
 * A retry redoes both calls, so a retried PUT never writes a stale object.
 */
export function updateScoreTask(
  target: ScoreTarget,
  catalog: CatalogPort,
  options: { dryRun: boolean }
) {
  return async (
    item: ScoreItem,
    { call, state }: ItemContext<ScoreState>
  ): Promise<ScoreChange> => {
    const current = await call(() => catalog.read(item.id))

    if (
      typeof current !== 'object' ||
      current === null ||
      Array.isArray(current)
    ) {
      throw new CallError({
        status: 502,
        code: 'INVALID_UPSTREAM_RESPONSE',
        message: `The Catalog returned no ${target.label} object for id ${item.id}.`,
        retryable: false,
      })
    }

    const seen = typeof current.Score === 'number' ? current.Score : null

    if (state.previousScore === undefined) state.previousScore = seen
    const previousScore = state.previousScore

    if (seen === item.score) return { previousScore, unchanged: true }
    if (options.dryRun) return { previousScore, dryRun: true }

    try {
      await call(() =>
        catalog.write(item.id, { ...current, Score: item.score })
      )
    } catch (error) {
      throw explainEmptyBadRequest(error, current, target)
    }

    return { previousScore }
  }
}

function explainEmptyBadRequest(
  error: unknown,
  current: CatalogObject,
  target: ScoreTarget
) {
  const emptyBadRequest =
    error instanceof CallError &&
    error.cause instanceof CatalogError &&
    error.cause.status === 400 &&
    error.cause.upstreamMessage === ''

  if (!emptyBadRequest) return error

  const fields = fieldsWithTrailingSpaces(current)

  if (fields.length === 0) return error

  return new CallError({
    ...(error as CallError).failure,
    code: 'TRAILING_SPACES',
    message: `The Catalog rejected the ${
      target.label
    } with an empty 400 because field(s) ${fields
      .map((f) => `'${f}'`)
      .join(
        ', '
      )} end in spaces (a known Catalog issue). Remove the trailing spaces from those fields in the Catalog admin, then send this item again.`,
  })
}
