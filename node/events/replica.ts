import { randomUUID } from 'crypto'
import { hostname } from 'os'

import type { Clients } from '../clients'
import type { SendEvent } from '../jobs/create'

/** This worker process, as its leases and kick marks name it. */
export const REPLICA = `${hostname()}:${process.pid}:${randomUUID().slice(
  0,
  8
)}`

/** Sends an IO event of this app (ctx.clients.events). */
export const sendEventOf =
  (clients: Clients): SendEvent =>
  (key, body) =>
    clients.events.sendEvent('', key, body)
