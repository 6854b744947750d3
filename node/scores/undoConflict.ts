import { CallError } from '../bulk'
import type { ScoreItem } from './validate'

/**
 * The failure code of an item an undo left alone because its Score changed
 * since the job wrote it (docs/README.md, Undo). Not the request-level
 * `409 UNDO_CONFLICT`, which is an undo meeting another undo of the job.
 */
export const UNDO_CONFLICT_CODE = 'CONFLICT'

/** An item written only while the object's Score is still `expect`: an undo puts back only what its job wrote. */
export interface GuardedItem extends ScoreItem {
  expect?: number
}

/**
 * Throws the item's undo conflict when the Score read is neither what the
 * job wrote (`expect`) nor already the one to restore. A domain outcome,
 * not a Catalog fault: the Catalog answered the GET; the item is not
 * retried and nothing is written.
 */
export function checkStillWritten(
  item: GuardedItem,
  seen: number | null,
  kind: string
): void {
  if (item.expect === undefined || seen === item.expect || seen === item.score)
    return

  throw new CallError({
    status: 409,
    code: UNDO_CONFLICT_CODE,
    message: `Score is now ${seen ?? 'empty'}, not the ${
      item.expect
    } the undone job wrote; the ${kind} was left alone.`,
    retryable: false,
  })
}
