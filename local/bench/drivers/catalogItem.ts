/**
 * One item as a store's own script updates it, straight against the Catalog:
 * GET the product, PUT it back with the new Score. Used by the peer drivers,
 * which differ only in how many items they run at once and what they do
 * with a 429.
 */
import { CREDENTIAL, emptyEnvelope, Envelope, Item } from './items'

export type ItemOutcome =
  | { kind: 'ok' }
  /** A 429, with the wait its `Retry-After` asks for (1 s when it has none). */
  | { kind: 'rate-limited'; retryAfterMs: number }
  | { kind: 'failed'; code: string }

/** `Retry-After` in ms: delta-seconds or an HTTP date; 1 s when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number {
  if (value === null || value.trim() === '') return 1000
  const seconds = Number(value)

  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const at = Date.parse(value)

  return Number.isNaN(at) ? 1000 : Math.max(0, at - now)
}

async function outcomeOf(answer: Response): Promise<ItemOutcome | undefined> {
  if (answer.status === 429) {
    await answer.arrayBuffer()

    return {
      kind: 'rate-limited',
      retryAfterMs: retryAfterMs(answer.headers.get('retry-after')),
    }
  }

  if (!answer.ok) {
    await answer.arrayBuffer()

    return { kind: 'failed', code: String(answer.status) }
  }

  return undefined
}

export async function updateItem(
  catalogUrl: string,
  item: Item
): Promise<ItemOutcome> {
  const url = `${catalogUrl}/api/catalog/pvt/product/${item.id}`

  try {
    const read = await fetch(url, { headers: CREDENTIAL })
    const readFailed = await outcomeOf(read)

    if (readFailed) return readFailed
    const product = (await read.json()) as Record<string, unknown>
    const write = await fetch(url, {
      method: 'PUT',
      headers: { ...CREDENTIAL, 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...product, Score: item.score }),
    })

    const writeFailed = await outcomeOf(write)

    if (writeFailed) return writeFailed
    await write.arrayBuffer()

    return { kind: 'ok' }
  } catch (error) {
    return {
      kind: 'failed',
      code: error instanceof Error ? error.name : 'network',
    }
  }
}

/** Records one item's last outcome in an envelope, at its index in the batch. */
export function record(
  envelope: Envelope,
  index: number,
  outcome: ItemOutcome
) {
  if (outcome.kind === 'ok')
    envelope.successfulResponses.elements.push({ index })
  else
    envelope.failedResponses.elements.push({
      index,
      code: outcome.kind === 'rate-limited' ? '429' : outcome.code,
    })
}

export { emptyEnvelope }
