import { CatalogError } from '../clients/catalog'
import type { CatalogClient } from '../clients/catalog'
import type { ScoreEnvelope } from '../scores/envelope'
import type { ScoreItem } from '../scores/validate'
import type { JobFiles } from './files'
import type { JobDefinition } from './model'
import { chunkRows } from './results'

/** An item of an undo job: restore `score` only while the Score is still `expect`. */
export interface UndoItem extends ScoreItem {
  expect: number
}

export const UNDO_CONFLICT = 'CONFLICT'
const CONFLICT_MESSAGE = /^Score changed since the job wrote it/

/**
 * The items an undo job restores: every item the job updated (not those
 * unchanged, failed or never run), back to its previousScore. An item whose
 * previousScore was empty cannot be restored and is left out.
 */
export async function undoItemsOf(files: JobFiles, job: JobDefinition) {
  const items: UndoItem[] = []
  let unrestorable = 0

  for (let chunk = 0; chunk < job.chunks; chunk++) {
    for (const row of await chunkRows(files, job, chunk, true)) {
      if (row.success !== 'true' || row.unchanged || row.dryRun) continue
      if (typeof row.previousScore !== 'number') {
        unrestorable += 1
        continue
      }

      items.push({
        index: items.length,
        id: row.id,
        score: row.previousScore,
        expect: row.score,
      })
    }
  }

  return { items, unrestorable }
}

/**
 * The Catalog as an undo chunk sees it: a GET whose Score is no longer what
 * the job wrote fails the item (a concurrent edit wins), so it is never written.
 */
export function guardedCatalog(
  catalog: Pick<CatalogClient, 'read' | 'write'>,
  items: ScoreItem[]
): Pick<CatalogClient, 'read' | 'write'> {
  const byId = new Map(
    (items as Array<Partial<UndoItem> & ScoreItem>).map((item) => [
      item.id,
      item,
    ])
  )

  return {
    read: async (kind, id, options) => {
      const object = await catalog.read(kind, id, options)
      const item = byId.get(id)
      const now = typeof object?.Score === 'number' ? object.Score : null

      // Already restored (a redelivery): let the task report it unchanged.
      if (
        item?.expect !== undefined &&
        now !== item.expect &&
        now !== item.score
      )
        throw new CatalogError(
          'GET',
          kind,
          id,
          409,
          `Score changed since the job wrote it (now ${now}, the job wrote ${item.expect}); not restored.`
        )

      return object
    },
    write: (kind, id, body, options) => catalog.write(kind, id, body, options),
  }
}

/** Undo conflicts carry the code CONFLICT in the envelope. */
export function markConflicts(envelope: ScoreEnvelope): ScoreEnvelope {
  return {
    ...envelope,
    failedResponses: {
      ...envelope.failedResponses,
      elements: envelope.failedResponses.elements.map((element) =>
        element.error === 409 &&
        CONFLICT_MESSAGE.test(
          element.errorMessage.replace(
            /^Catalog answered 409 to GET \w+ \d+: /,
            ''
          )
        )
          ? { ...element, code: UNDO_CONFLICT }
          : element
      ),
    },
  }
}
