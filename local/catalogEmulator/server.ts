import http from 'http'
import type { Socket } from 'net'

import { SAMPLE_CREDENTIALS } from './auth'
import { catalogRoute } from './catalog'
import type { EmulatorContext } from './context'
import { controlRoute } from './control'
import {
  failureRules,
  FaultEngine,
  FaultLayer,
  FaultRule,
  throttleOnceRules,
} from './faults'
import { seededRandom } from './fields'
import { clone, Route, send } from './http'
import { RateLimiter } from './rateLimit'
import { CatalogStore } from './store'
import {
  CatalogEmulator,
  EmulatorConfig,
  EmulatorOptions,
  EmulatorStats,
  emptyStats,
} from './types'
import { createVBase } from './vbase'
import { vbaseRoute } from './vbaseRoute'

// The public surface, as it was before the split.
export type { Credentials, Permission } from './auth'
export { SAMPLE_CREDENTIALS } from './auth'
export type {
  FailureProfile,
  FaultAction,
  FaultRule,
  ThrottleOncePlan,
} from './faults'
export type { LatencyProfile } from './latency'
export type {
  CatalogEmulator,
  EmulatorConfig,
  EmulatorOptions,
  EmulatorStats,
} from './types'

/*
 * Layout of the emulator:
 * - store.ts     the Catalog's data and its GET/PUT semantics
 * - catalog.ts   the Catalog route: edge, rate limit, auth, faults, latency, data
 * - auth.ts      VTEX's credentials rules (user token, app key pair)
 * - faults.ts    the one fault-rule engine (throttleOnce and failure are rules)
 * - rateLimit.ts the token bucket and its penalty windows
 * - control.ts   the control API (/_emulator/*), a table of methods
 * - vbaseRoute.ts + vbase.ts  the VBase file API, reached as an HTTP proxy
 * - server.ts    this wiring: state, the ordered list of routes, the handle
 */

/**
 * An in-process stand-in for the VTEX Catalog API: GET and PUT of products
 * and categories, with VTEX's auth rules, PUT semantics, rate limit and
 * injectable latency and faults, and counters for the tests. It also serves
 * the service's VBase calls. This file only wires the parts together.
 */
export async function startCatalogEmulator(
  options: EmulatorOptions = {}
): Promise<CatalogEmulator> {
  const now = options.now ?? (() => Date.now())
  const graceMs = options.penaltyGraceMs ?? 50
  const config: EmulatorConfig = {
    latency: options.latency ?? null,
    rateLimit: options.rateLimit ?? null,
    failure: options.failure ?? null,
    credentials: options.credentials ?? SAMPLE_CREDENTIALS,
    throttleOnce: options.throttleOnce ?? null,
    faults: options.faults ?? null,
  }

  const random = seededRandom(options.seed?.random ?? 1)
  const faults = new FaultEngine(now, random, graceMs)
  const rulesOf: Record<FaultLayer, () => FaultRule[]> = {
    throttleOnce: () => throttleOnceRules(config.throttleOnce),
    faults: () => config.faults ?? [],
    failure: () => failureRules(config.failure),
  }

  for (const layer of Object.keys(rulesOf) as FaultLayer[])
    faults.setLayer(layer, rulesOf[layer]())

  const newLimiter = () =>
    config.rateLimit
      ? new RateLimiter(config.rateLimit, now, graceMs)
      : undefined

  let limiter = newLimiter()
  let stats = emptyStats()
  const store = new CatalogStore(options.seed)
  const vbase = createVBase()

  const context: EmulatorContext = {
    now,
    random,
    config,
    store,
    faults,
    limiter: () => limiter,
    stats: () => stats,
    track: (req, res) => {
      const counted = stats
      const method =
        req.method === 'GET' || req.method === 'PUT' ? req.method : 'other'

      counted.requests[method] += 1
      counted.requests.total += 1
      counted.inFlight += 1
      counted.peakInFlight = Math.max(counted.peakInFlight, counted.inFlight)
      if (req.headers['proxy-authorization'] !== undefined)
        counted.proxyAuthorizationSeen += 1
      if (req.headers.authorization !== undefined)
        counted.authorizationSeen += 1
      res.once('close', () => {
        counted.inFlight -= 1
        counted.byStatus[res.statusCode] =
          (counted.byStatus[res.statusCode] ?? 0) + 1
      })
    },
  }

  const notFound: Route = {
    name: 'not-found',
    handle(req, res, path) {
      context.track(req, res)
      send(res, 404, { error: `No route for ${path}` })

      return true
    },
  }

  // Tried in order; the first that takes a request answers it. Mount new
  // upstreams (events bus, License Manager) before 'catalog'.
  const routes: Route[] = [
    vbaseRoute(vbase),
    controlRoute(() => emulator),
    catalogRoute(context),
    notFound,
  ]

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]

    for (const route of routes) if (route.handle(req, res, path)) return
  })

  const sockets = new Set<Socket>()

  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })

  const { port } = server.address() as { port: number }

  const emulator: CatalogEmulator = {
    url: `http://127.0.0.1:${port}`,
    port,
    stats: (): EmulatorStats => ({
      ...clone(stats),
      openSockets: sockets.size,
      faultHits: faults.faultHits(),
    }),
    resetStats: () => {
      // Requests still in flight belong to the old counters; the new ones start at zero.
      stats = emptyStats()
      faults.resetHits()
    },
    configure: (patch) => {
      Object.assign(config, patch)
      for (const layer of Object.keys(rulesOf) as FaultLayer[])
        if (layer in patch) faults.setLayer(layer, rulesOf[layer]())
      if ('throttleOnce' in patch || 'faults' in patch) faults.closeWindow()
      if ('rateLimit' in patch) limiter = newLimiter()
    },
    getProduct: (id) => store.get('product', id),
    getCategory: (id) => store.get('category', id),
    setProduct: (id, object) => store.set('product', id, object),
    setCategory: (id, object) => store.set('category', id, object),
    deleteProduct: (id) => store.delete('product', id),
    deleteCategory: (id) => store.delete('category', id),
    snapshot: () => store.snapshot(),
    vbase: { stats: vbase.stats, read: vbase.read },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }

  return emulator
}
