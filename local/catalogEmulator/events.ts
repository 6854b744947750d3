import manifest from '../../manifest.json'
import http from 'http'

import type { Route } from './http'

/**
 * The IO events bus (courier), as the @vtex/api Events client calls it:
 * `PUT /courier/v0/{account}/{workspace}/events/{key}?resource=…` with the
 * event body, reached as an HTTP proxy like VBase.
 *
 * It delivers each event the way the IO runtime receives it: a POST to
 * `{subscriber}/{account}/{workspace}/_events` with `x-event-handler-id`
 * (the handler declared in service.json for that key and sender),
 * `x-event-key`, `x-event-sender`, `x-vtex-account`, `x-vtex-workspace` and
 * `x-vtex-credential`. Delivery is at least once: a delivery that fails
 * (no answer, connection lost, any status but 2xx) is sent again, to the
 * next subscriber (round robin), after a backoff, up to `maxAttempts`.
 * With `redeliver: false` there is no redelivery at all: each event is
 * delivered once, and one whose delivery fails is dropped. VTEX does not
 * document that IO redelivers a failed event, so the jobs must work so.
 * `duplicate` sends every event that many extra times, to test idempotency.
 */
const SEND_PATH = /^\/courier\/v\d+\/([^/]+)\/([^/]+)\/events\/([^/]+)$/

export interface EventDeclaration {
  /** The handler id (its name in service.json `events`). */
  handlerId: string
  /** The app name whose events it takes (`vendor.name`, no version). */
  sender: string
  keys: string[]
}

export interface EventsBusOptions {
  /** The service's `events`, as declared in service.json. */
  declarations?: EventDeclaration[]
  /** The app that sends (x-event-sender), e.g. `vtex.massive-score-update@0.1.0`. */
  senderApp?: string
  /** What the bus sends as `x-vtex-credential` (on IO: the app's token). */
  credential?: string
  maxAttempts?: number
  /** `false`: one delivery per event, never again (as if maxAttempts were 1); true by default. */
  redeliver?: boolean
  /** Backoff before redelivery n is n × this. */
  retryDelayMs?: number
  /** A delivery gets no answer in this long: it is failed and redelivered. */
  deliveryTimeoutMs?: number
}

export interface EventsBusStats {
  sent: number
  deliveries: number
  delivered: number
  failedDeliveries: number
  redeliveries: number
  /** Events that failed every attempt. */
  dropped: number
  /** Events with no handler declared for their key. */
  unrouted: number
  byKey: Record<string, number>
}

export interface SentEvent {
  key: string
  account: string
  workspace: string
  body: unknown
}

const emptyStats = (): EventsBusStats => ({
  sent: 0,
  deliveries: 0,
  delivered: 0,
  failedDeliveries: 0,
  redeliveries: 0,
  dropped: 0,
  unrouted: 0,
  byKey: {},
})

/** Reads service.json's `events` into declarations. */
export function eventDeclarationsOf(serviceJson: {
  events?: Record<string, { sender?: string; keys?: string[] }>
}): EventDeclaration[] {
  return Object.entries(serviceJson.events ?? {}).map(([handlerId, event]) => ({
    handlerId,
    sender: event.sender ?? '',
    keys: event.keys ?? [],
  }))
}

export function createEventsBus(options: EventsBusOptions = {}) {
  const config = {
    declarations: options.declarations ?? [],
    senderApp:
      options.senderApp ??
      `${manifest.vendor}.${manifest.name}@${manifest.version}`,
    credential: options.credential ?? 'local-io-app-token',
    maxAttempts: options.maxAttempts ?? 20,
    redeliver: options.redeliver ?? true,
    retryDelayMs: options.retryDelayMs ?? 500,
    deliveryTimeoutMs: options.deliveryTimeoutMs ?? 120_000,
    duplicate: 0,
  }

  let subscribers: string[] = []
  let next = 0
  let stats = emptyStats()
  const log: SentEvent[] = []
  const pending = new Set<Promise<void>>()
  const timers = new Set<NodeJS.Timeout>()
  let closed = false

  const senderName = () => config.senderApp.split('@')[0]

  const deliverOnce = (
    subscriber: string,
    handlerId: string,
    event: SentEvent
  ): Promise<boolean> =>
    new Promise((resolve) => {
      const body = Buffer.from(JSON.stringify(event.body ?? {}))
      const url = new URL(
        `/${event.account}/${event.workspace}/_events`,
        subscriber
      )

      const req = http.request(
        url,
        {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'Content-Length': body.length,
            'x-event-handler-id': handlerId,
            'x-event-key': event.key,
            'x-event-sender': config.senderApp,
            'x-vtex-account': event.account,
            'x-vtex-workspace': event.workspace,
            'x-vtex-credential': config.credential,
          },
          timeout: config.deliveryTimeoutMs,
        },
        (res) => {
          res.resume()
          res.on('end', () =>
            resolve(
              (res.statusCode ?? 500) >= 200 && (res.statusCode ?? 500) < 300
            )
          )
          res.on('error', () => resolve(false))
        }
      )

      req.on('timeout', () => req.destroy(new Error('delivery timeout')))
      req.on('error', () => resolve(false))
      req.end(body)
    })

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer)
        resolve()
      }, ms)

      timers.add(timer)
    })

  const deliver = async (handlerId: string, event: SentEvent) => {
    const attempts = config.redeliver ? config.maxAttempts : 1

    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (closed) return
      if (attempt > 1) {
        stats.redeliveries += 1
        await sleep(config.retryDelayMs * (attempt - 1))
        if (closed) return
      }

      if (subscribers.length === 0) {
        stats.failedDeliveries += 1
        continue
      }

      const subscriber = subscribers[next++ % subscribers.length]

      stats.deliveries += 1
      if (await deliverOnce(subscriber, handlerId, event)) {
        stats.delivered += 1

        return
      }

      stats.failedDeliveries += 1
    }

    stats.dropped += 1
  }

  const track = (work: Promise<void>) => {
    pending.add(work)
    void work.finally(() => pending.delete(work))
  }

  /** Routes a sent event to every handler declared for its key and sender. */
  const publish = (event: SentEvent) => {
    stats.sent += 1
    stats.byKey[event.key] = (stats.byKey[event.key] ?? 0) + 1
    log.push(event)
    const handlers = config.declarations.filter(
      (declaration) =>
        declaration.keys.includes(event.key) &&
        (declaration.sender === '' || declaration.sender === senderName())
    )

    if (handlers.length === 0) stats.unrouted += 1
    for (const { handlerId } of handlers) {
      for (let copy = 0; copy <= config.duplicate; copy++)
        track(deliver(handlerId, event))
    }
  }

  /** Handles a proxied courier request; returns false when the URL is not the bus's. */
  const handle = (
    req: http.IncomingMessage,
    res: http.ServerResponse
  ): boolean => {
    let url: URL

    try {
      url = new URL(req.url ?? '')
    } catch {
      return false
    }

    const match = SEND_PATH.exec(url.pathname)

    if (!match || req.method !== 'PUT') return false
    const chunks: Buffer[] = []

    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      let body: unknown

      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null')
      } catch {
        res.writeHead(400, { 'Content-Length': 0 })
        res.end()

        return
      }

      // Accepted first, delivered later: sending never waits for the handler.
      res.writeHead(200, { 'Content-Length': 0 })
      res.end()
      const [account, workspace, key] = match.slice(1).map(decodeURIComponent)

      publish({ account, workspace, key, body })
    })

    return true
  }

  return {
    handle,
    publish,
    /** The replicas events go to (their base URLs), round robin. */
    setSubscribers: (urls: string[]) => {
      subscribers = [...urls]
    },
    subscribers: () => [...subscribers],
    configure: (
      patch: Partial<
        Pick<
          typeof config,
          | 'declarations'
          | 'maxAttempts'
          | 'redeliver'
          | 'retryDelayMs'
          | 'deliveryTimeoutMs'
          | 'duplicate'
          | 'credential'
          | 'senderApp'
        >
      >
    ) => void Object.assign(config, patch),
    stats: () => ({
      ...stats,
      byKey: { ...stats.byKey },
      inFlight: pending.size,
    }),
    resetStats: () => {
      stats = emptyStats()
    },
    sent: () => [...log],
    /** Resolves once no delivery is in flight or waiting to retry. */
    idle: async () => {
      while (pending.size > 0) await Promise.all([...pending])
    },
    close: () => {
      closed = true
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
    },
  }
}

export type EventsBus = ReturnType<typeof createEventsBus>

/** The bus as a route of the emulator: proxied courier calls. */
export function eventsRoute(bus: EventsBus): Route {
  return {
    name: 'events',
    handle: (req, res) =>
      Boolean(req.url?.startsWith('http://')) && bus.handle(req, res),
  }
}
