import { CallError, Clock, ItemContext, systemClock } from '../bulk'
import { CatalogError } from '../clients/catalog'
import { checkCatalogObject } from './catalogObject'
import type { CatalogObject, CatalogPort, SendGuard } from './catalogPort'
import { DriftFinding, fieldsEndingInSpace, findDrift } from './drift'
import type { ScoreChange } from './envelope'
import type { ScoreTarget } from './targets'
import { checkStillWritten, GuardedItem } from './undoConflict'

export type { CatalogPort, SendGuard }

export interface ScoreState {
  /** The Score seen by the first successful GET, kept across retries. */
  previousScore?: number | null
}

export interface ScoreTaskOptions {
  dryRun: boolean
  /** `?allowFieldDrift=true`: write even when the Catalog will change other fields, and say which. */
  allowFieldDrift?: boolean
  clock?: Clock
}

/**
 * A GET older than this when its PUT may leave (after the gate, a pause or a
 * backoff) is read again first, so an edit made meanwhile is not overwritten.
 */
export const MAX_READ_AGE_MS = 2_000
/** Fresh reads per attempt before the item is handed back to the engine's retry. */
export const MAX_REREADS = 2

/** Thrown by the send guard when the object read is too old to write back. */
export class StaleReadError extends Error {
  constructor(public readonly ageMs: number) {
    super(`The object was read ${ageMs} ms ago`)
    this.name = 'StaleReadError'
  }
}

const isStaleRead = (error: unknown) =>
  error instanceof StaleReadError ||
  (error instanceof CallError && error.cause instanceof StaleReadError)

/**
 * One item: GET the whole object, check it is the right one and whole, check
 * the Catalog will not change other fields, then PUT it back with only Score
 * changed. A retry redoes both calls, so a retried PUT never writes a stale
 * object; a GET that aged past MAX_READ_AGE_MS while its PUT waited is redone.
 */
export function updateScoreTask(
  target: ScoreTarget,
  catalog: CatalogPort,
  options: ScoreTaskOptions
) {
  const clock = options.clock ?? systemClock

  return async (
    item: GuardedItem,
    { attempt, call, state }: ItemContext<ScoreState>
  ): Promise<ScoreChange> => {
    const read = async (again: boolean) => {
      const answer = await call(() => catalog.read(item.id, again))
      const readAt = clock.now()
      const checked = checkCatalogObject(answer, item.id, {
        required: target.requiredFields,
        erasable: target.erasableFields,
        skip: ['Score'],
      })

      if (!checked.ok) {
        throw new CallError({
          status: 502,
          code: 'INVALID_CATALOG_OBJECT',
          message: `The Catalog's GET of ${target.kind} ${
            item.id
          } answered an object that is not safe to write back: ${checked.problems.join(
            '; '
          )}. Nothing was written.`,
          retryable: false,
        })
      }

      return { object: checked.object, readAt }
    }

    for (let reread = 0; ; reread++) {
      const { object, readAt } = await read(attempt > 1 || reread > 0)
      const seen = typeof object.Score === 'number' ? object.Score : null

      if (state.previousScore === undefined) state.previousScore = seen
      const previousScore = state.previousScore

      if (seen === item.score) return { previousScore, unchanged: true }
      // An undo's item edited since its job: checked on every read, so an edit between re-reads wins too.
      checkStillWritten(item, seen, target.kind)

      const drift = findDrift(object, target.driftChecks)

      if (drift.length > 0 && !options.allowFieldDrift) {
        throw driftError(drift, target, item.id)
      }

      const driftFields =
        drift.length > 0
          ? { driftFields: [...new Set(drift.flatMap((d) => d.fields))] }
          : {}

      if (options.dryRun) return { previousScore, dryRun: true, ...driftFields }

      const guard: SendGuard = {
        beforeSend: () => {
          const ageMs = clock.now() - readAt

          if (ageMs > MAX_READ_AGE_MS) throw new StaleReadError(ageMs)
        },
      }

      try {
        // The guard runs here too: today the engine's gate is passed before this closure runs.
        await call(() => {
          guard.beforeSend()

          return catalog.write(item.id, { ...object, Score: item.score }, guard)
        })

        return { previousScore, ...driftFields }
      } catch (error) {
        if (!isStaleRead(error)) throw explainEmptyBadRequest(error, object)
        if (reread >= MAX_REREADS) {
          throw new CallError({
            status: 503,
            code: 'STALE_READ',
            message: `The ${
              target.kind
            } was read more than ${MAX_READ_AGE_MS} ms before its PUT could leave, ${
              MAX_REREADS + 1
            } times in a row (the Catalog is throttling); nothing was written.`,
            retryable: true,
          })
        }
      }
    }
  }
}

function driftError(drift: DriftFinding[], target: ScoreTarget, id: number) {
  const [first] = drift
  // The opt-in cannot help with trailing spaces: the Catalog refuses those PUTs.
  const optIn = drift.some((d) => d.code !== 'TRAILING_SPACES')
    ? ' To write anyway and accept the change, send the batch with ?allowFieldDrift=true.'
    : ''

  return new CallError({
    status: first.status,
    code: first.code,
    message: `Not written: in ${target.kind} ${id}, ${drift
      .map((d) => d.message)
      .join(' Also, ')}${optIn}`,
    retryable: false,
  })
}

/** With ?allowFieldDrift=true a known-bad object may still be sent: name the likely cause of an empty 400. */
function explainEmptyBadRequest(error: unknown, current: CatalogObject) {
  const emptyBadRequest =
    error instanceof CallError &&
    error.cause instanceof CatalogError &&
    error.cause.status === 400 &&
    error.cause.upstreamMessage === ''

  if (!emptyBadRequest) return error

  const fields = fieldsEndingInSpace(current)

  if (fields.length === 0) return error

  return new CallError({
    ...(error as CallError).failure,
    code: 'TRAILING_SPACES',
    message: `The Catalog rejected the ${
      (error.cause as CatalogError).kind
    } with an empty 400 because field(s) ${fields
      .map((f) => `'${f}'`)
      .join(
        ', '
      )} end in spaces (a known Catalog issue). Remove the trailing spaces from those fields in the Catalog admin, then send this item again.`,
  })
}
