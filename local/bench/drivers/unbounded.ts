/**
 * The app we replace: every item of the batch at once (Promise.all over
 * them all), each a GET and a PUT; a 429 is a failed item, never retried.
 */
import { emptyEnvelope, record, updateItem } from './catalogItem'
import type { Envelope, Item } from './items'

export async function unboundedBatch(
  catalogUrl: string,
  items: Item[]
): Promise<Envelope> {
  const envelope = emptyEnvelope()
  const outcomes = await Promise.all(
    items.map((item) => updateItem(catalogUrl, item))
  )

  outcomes.forEach((outcome, index) => record(envelope, index, outcome))

  return envelope
}
