/**
 * The loop a store engineer would write: p-limit at a fixed concurrency,
 * and on a 429 sleep for its `Retry-After`, then run the item again from
 * its GET. Each item waits on its own; the other slots keep sending.
 * Any other failure fails the item. Items still unfinished after
 * `maxSeconds` fail with code `deadline`, so that a run always ends.
 */
import pLimit from 'p-limit'

import { emptyEnvelope, ItemOutcome, record, updateItem } from './catalogItem'
import type { Envelope, Item } from './items'

export const PEER_DEADLINE_SECONDS = 120

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function pLimitBatch(
  catalogUrl: string,
  items: Item[],
  concurrency: number,
  maxSeconds = PEER_DEADLINE_SECONDS
): Promise<Envelope> {
  const limit = pLimit(concurrency)
  const deadline = Date.now() + maxSeconds * 1000
  const envelope = emptyEnvelope()

  await Promise.all(
    items.map((item, index) =>
      limit(async () => {
        let outcome: ItemOutcome = { kind: 'failed', code: 'deadline' }

        while (Date.now() < deadline) {
          outcome = await updateItem(catalogUrl, item)
          if (outcome.kind !== 'rate-limited') break
          if (Date.now() + outcome.retryAfterMs >= deadline) {
            outcome = { kind: 'failed', code: 'deadline' }
            break
          }

          await sleep(outcome.retryAfterMs)
        }

        record(envelope, index, outcome)
      })
    )
  )

  return envelope
}
