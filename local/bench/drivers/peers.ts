/**
 * The peers of this app (drivers/app.ts): they update the same items
 * straight against the Catalog, through the same meter, as a store would
 * without the app.
 */
import type { Envelope, Item } from './items'
import { pLimitBatch } from './pLimitLoop'
import { unboundedBatch } from './unbounded'

export type PeerName = 'unbounded' | 'p-limit-10' | 'p-limit-64'

export interface Peer {
  name: PeerName
  /** The row's runner column. */
  label: string
  run(catalogUrl: string, items: Item[]): Promise<Envelope>
}

export const PEERS: Peer[] = [
  {
    name: 'unbounded',
    label: 'the app we replace',
    run: unboundedBatch,
  },
  {
    name: 'p-limit-10',
    label: 'p-limit 10 + Retry-After',
    run: (url, items) => pLimitBatch(url, items, 10),
  },
  {
    name: 'p-limit-64',
    label: 'p-limit 64 + Retry-After',
    run: (url, items) => pLimitBatch(url, items, 64),
  },
]
