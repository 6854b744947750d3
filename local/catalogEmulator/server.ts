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
import { breakerRules, effectiveSettings, resolveProfile } from './profiles'
import { TokenBuckets } from './rateLimit'
import { CatalogStore } from './store'
import {
  CatalogEmulator,
  EmulatorConfig,
  EmulatorOptions,
  EmulatorStats,
  emptyStats,
} from './types'
import service from '../../node/service.json'
import { createEventsBus, eventDeclarationsOf, eventsRoute } from './events'
import { createLicenseManager, licenseManagerRoute } from './licenseManager'
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
export type {
  LatencyModel,
  LatencyProfile,
  LoadProfile,
  LogNormalLatency,
} from './latency'
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
 * - rateLimit.ts the token buckets and their penalty windows
 * - rateHeaders.ts which rate headers answers carry
 * - latency.ts   how long a call takes (uniform, log-normal, growing with load)
 * - profiles.ts  Catalogs as VTEX documents them, by name
 * - control.ts   the control API (/_emulator/*), a table of methods
 * - vbaseRoute.ts + vbase.ts  the VBase file API, reached as an HTTP proxy
 * - events.ts    the IO events bus (courier), reached as an HTTP proxy
 * - licenseManager.ts  License Manager and VTEX ID, on the account host
 * - server.ts    this wiring: state, the ordered list of routes, the handle
 */

const MAX_LATENCY_SAMPLES = 1_000_000

function summarize(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number) =>
    sorted.length === 0
      ? 0
      : Math.round(
          sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
        )

  return {
    calls: sorted.length,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: Math.round(sorted[sorted.length - 1] ?? 0),
  }
}

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
    profile: options.profile ?? null,
  }

  const random = seededRandom(options.seed?.random ?? 1)
  // Latency has a stream of its own, so faults' draws do not shift it.
  const latencyRandom = seededRandom((options.seed?.random ?? 1) + 0x9e3779b9)
  const faults = new FaultEngine(now, random, graceMs)
  const rulesOf: Partial<Record<FaultLayer, () => FaultRule[]>> = {
    throttleOnce: () => throttleOnceRules(config.throttleOnce),
    faults: () => config.faults ?? [],
    failure: () => failureRules(config.failure),
  }

  for (const layer of Object.keys(rulesOf) as FaultLayer[])
    faults.setLayer(layer, rulesOf[layer]?.() ?? [])

  let settings = effectiveSettings(config)
  const newBuckets = () =>
    settings.buckets
      ? new TokenBuckets(settings.buckets, now, graceMs, settings.otherClient)
      : undefined

  let buckets = newBuckets()
  // The other client's tokens before the last resetStats().
  let otherClientBaseline = 0

  faults.setLayer('breaker', breakerRules(settings.breaker))
  let stats = emptyStats()
  let inFlight = 0
  let latencies: number[] = []
  const store = new CatalogStore(options.seed, now, options.recordPuts)
  const vbase = createVBase({ dir: options.vbaseDir, now })
  const events = createEventsBus({
    declarations: eventDeclarationsOf(service),
    ...options.events,
  })
  const licenseManager = createLicenseManager(
    () => config.credentials ?? SAMPLE_CREDENTIALS
  )

  const context: EmulatorContext = {
    now,
    random,
    latencyRandom,
    config,
    settings: () => settings,
    inFlight: () => inFlight,
    // Bounded, so a long-running emulator (npm start) does not grow without end.
    recordLatency: (ms) =>
      void (latencies.length < MAX_LATENCY_SAMPLES && latencies.push(ms)),
    store,
    faults,
    buckets: () => buckets,
    stats: () => stats,
    track: (req, res) => {
      const counted = stats
      const method =
        req.method === 'GET' || req.method === 'PUT' ? req.method : 'other'

      counted.requests[method] += 1
      counted.requests.total += 1
      counted.inFlight += 1
      inFlight += 1
      counted.peakInFlight = Math.max(counted.peakInFlight, counted.inFlight)
      if (req.headers['proxy-authorization'] !== undefined)
        counted.proxyAuthorizationSeen += 1
      if (req.headers.authorization !== undefined)
        counted.authorizationSeen += 1
      res.once('close', () => {
        counted.inFlight -= 1
        inFlight -= 1
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
    eventsRoute(events),
    licenseManagerRoute(licenseManager),
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
    stats: (): EmulatorStats => {
      buckets?.settle()

      return {
        ...clone(stats),
        openSockets: sockets.size,
        faultHits: faults.faultHits(),
        breaker503s: faults.layerHits('breaker'),
        otherClientTokens: Math.round(
          (buckets?.otherClientTokens ?? 0) - otherClientBaseline
        ),
        latencyDrawn: summarize(latencies),
      }
    },
    resetStats: () => {
      // Requests still in flight belong to the old counters; the new ones start at zero.
      stats = emptyStats()
      latencies = []
      faults.resetHits()
      buckets?.settle()
      otherClientBaseline = buckets?.otherClientTokens ?? 0
    },
    configure: (patch) => {
      // An unknown profile name fails here, not on a request.
      if ('profile' in patch) resolveProfile(patch.profile)
      Object.assign(config, patch)
      for (const layer of Object.keys(rulesOf) as FaultLayer[])
        if (layer in patch) faults.setLayer(layer, rulesOf[layer]?.() ?? [])
      if ('throttleOnce' in patch || 'faults' in patch) faults.closeWindow()
      settings = effectiveSettings(config)
      if ('profile' in patch)
        faults.setLayer('breaker', breakerRules(settings.breaker))
      if ('rateLimit' in patch || 'profile' in patch) {
        buckets = newBuckets()
        otherClientBaseline = 0
      }
    },
    openBreaker: (forMs) =>
      faults.addRule('breaker', breakerRules(undefined, { forMs })[0]),
    getProduct: (id) => store.get('product', id),
    getCategory: (id) => store.get('category', id),
    setProduct: (id, object) => store.set('product', id, object),
    setCategory: (id, object) => store.set('category', id, object),
    deleteProduct: (id) => store.delete('product', id),
    deleteCategory: (id) => store.delete('category', id),
    snapshot: () => store.snapshot(),
    puts: () => store.puts(),
    vbase: {
      stats: vbase.stats,
      read: vbase.read,
      keys: vbase.keys,
      resetStats: vbase.resetStats,
      setListPageSize: vbase.setListPageSize,
      setHonoursTtl: vbase.setHonoursTtl,
    },
    events,
    licenseManager: {
      stats: licenseManager.stats,
      resetStats: licenseManager.resetStats,
    },
    close: () =>
      new Promise<void>((resolve) => {
        events.close()
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }

  return emulator
}
