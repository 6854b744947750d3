import http from 'http'
import type { Socket } from 'net'

import {
  applyPut,
  CatalogKind,
  CatalogObject,
  hasTrailingSpace,
  makeCategory,
  makeProduct,
  putProblem,
  seededRandom,
} from './fields'
import { RateLimiter, RateLimitProfile } from './rateLimit'
import service from '../../node/service.json'
import {
  createEventsBus,
  eventDeclarationsOf,
  EventsBusOptions,
} from './events'
import { createLicenseManager } from './licenseManager'
import { createVBase } from './vbase'

export type Permission = 'write' | 'read' | 'none'

export interface Credentials {
  /** VtexIdclientAutCookie values (header or cookie). */
  userTokens: Record<string, Permission>
  /** X-VTEX-API-AppKey -> its token and permission. */
  appKeys: Record<string, { token: string; permission: Permission }>
}

export const SAMPLE_CREDENTIALS: Credentials = {
  userTokens: {
    'local-admin-token': 'write',
    'local-readonly-token': 'read',
    'local-forbidden-token': 'none',
  },
  appKeys: {
    'vtexappkey-local-SAMPLE': {
      token: 'local-app-token',
      permission: 'write',
    },
  },
}

export interface LatencyProfile {
  meanMs: number
  jitterMs: number
}

export interface FailureProfile {
  /** Probability (0-1) that a request fails with `status`. */
  rate: number
  status?: number
  methods?: Array<'GET' | 'PUT'>
}

/** What a fault rule does to a matching request. */
export type FaultAction =
  /** Answer this status (e.g. 500, 503) with a Catalog-like message. */
  | { type: 'status'; status: number; message?: string }
  /**
   * A 429 with these literal headers (null leaves a header out), which opens
   * an account-wide penalty window of `windowMs` (default 1 s).
   */
  | {
      type: '429'
      retryAfter?: string | null
      reset?: string | null
      windowMs?: number
    }
  /** Answer normally, but only after `delayMs`. */
  | { type: 'slow'; delayMs: number }
  /** Send the headers and half a body, then never end. */
  | { type: 'hang' }
  /** Destroy the connection before answering. */
  | { type: 'reset-request' }
  /** Send the headers and half a body, then destroy the connection. */
  | { type: 'reset-response' }

export interface FaultRule {
  kind?: CatalogKind
  method?: 'GET' | 'PUT'
  ids?: number[]
  /** Applies to at most this many matching requests. */
  times?: number
  /** Applies only for this long after it is configured (e.g. a circuit breaker phase). */
  forMs?: number
  action: FaultAction
}

export interface EmulatorOptions {
  port?: number
  latency?: LatencyProfile | null
  rateLimit?: RateLimitProfile | null
  failure?: FailureProfile | null
  credentials?: Credentials
  seed?: { products?: number; categories?: number; random?: number }
  /** The first request for each of these ids gets a 429 that opens an account-wide penalty window. */
  throttleOnce?: {
    kind?: CatalogKind
    ids: number[]
    retryAfterSec?: number
  } | null
  /** Fault injection, first matching rule wins. */
  faults?: FaultRule[] | null
  /** See RateLimiter: in-flight requests are not counted as violations for this long. */
  penaltyGraceMs?: number
  now?: () => number
  /** Keep VBase files on disk under this folder, so a restart keeps jobs. */
  vbaseDir?: string
  /** The events bus; its handlers default to node/service.json's `events`. */
  events?: EventsBusOptions
}

export interface EmulatorStats {
  requests: { GET: number; PUT: number; other: number; total: number }
  byStatus: Record<string, number>
  putsById: Record<CatalogKind, Record<string, number>>
  inFlight: number
  peakInFlight: number
  rateLimited: number
  requestsInPenaltyWindow: number
  /** Requests that carried a Proxy-Authorization header (an app token must never reach the Catalog). */
  proxyAuthorizationSeen: number
  /** Requests that carried an Authorization header. */
  authorizationSeen: number
  /** Connections open right now (keep-alive sockets included). */
  openSockets: number
  /** Requests answered by a fault rule. */
  faultsInjected: number
}

export type EmulatorConfig = Pick<
  EmulatorOptions,
  | 'latency'
  | 'rateLimit'
  | 'failure'
  | 'credentials'
  | 'throttleOnce'
  | 'faults'
>

export interface CatalogEmulator {
  url: string
  port: number
  stats(): EmulatorStats
  resetStats(): void
  configure(patch: Partial<EmulatorConfig>): void
  getProduct(id: number): CatalogObject | undefined
  getCategory(id: number): CatalogObject | undefined
  setProduct(id: number, object: CatalogObject): void
  setCategory(id: number, object: CatalogObject): void
  deleteProduct(id: number): void
  deleteCategory(id: number): void
  snapshot(): Record<'products' | 'categories', Record<string, CatalogObject>>
  /** The VBase files it serves (as an HTTP proxy) for the service's jobs. */
  vbase: Pick<
    ReturnType<typeof createVBase>,
    'stats' | 'read' | 'keys' | 'resetStats'
  >
  /** The IO events bus; register the service replicas with `setSubscribers`. */
  events: ReturnType<typeof createEventsBus>
  /** License Manager and VTEX ID counters. */
  licenseManager: Pick<
    ReturnType<typeof createLicenseManager>,
    'stats' | 'resetStats'
  >
  close(): Promise<void>
}

const CATALOG_PATH = /^\/api\/catalog\/pvt\/(product|category)\/([^/?]+)$/
const MAX_BODY = 1024 * 1024

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value))

function emptyStats(): EmulatorStats {
  return {
    requests: { GET: 0, PUT: 0, other: 0, total: 0 },
    byStatus: {},
    putsById: { product: {}, category: {} },
    inFlight: 0,
    peakInFlight: 0,
    rateLimited: 0,
    requestsInPenaltyWindow: 0,
    proxyAuthorizationSeen: 0,
    authorizationSeen: 0,
    openSockets: 0,
    faultsInjected: 0,
  }
}

function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0

    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_BODY) chunks.push(chunk)
    })
    req.on('error', reject)
    req.on('end', () => {
      try {
        resolve(
          size > MAX_BODY
            ? undefined
            : JSON.parse(Buffer.concat(chunks).toString('utf8'))
        )
      } catch {
        resolve(undefined)
      }
    })
  })
}

function cookieValue(header: string | undefined, name: string) {
  const match = header
    ?.split(';')
    .map((part) => part.trim().split('='))
    .find(([key]) => key === name)

  return match ? decodeURIComponent(match.slice(1).join('=')) : undefined
}

/**
 * An in-process stand-in for the VTEX Catalog API: GET and PUT of products
 * and categories, with VTEX's auth rules, PUT semantics, rate limit and
 * injectable latency and failures, and counters for the tests.
 */
export async function startCatalogEmulator(
  options: EmulatorOptions = {}
): Promise<CatalogEmulator> {
  const now = options.now ?? (() => Date.now())
  const random = seededRandom(options.seed?.random ?? 1)
  const config: EmulatorConfig = {
    latency: options.latency ?? null,
    rateLimit: options.rateLimit ?? null,
    failure: options.failure ?? null,
    credentials: options.credentials ?? SAMPLE_CREDENTIALS,
    throttleOnce: options.throttleOnce ?? null,
    faults: null,
  }
  // Each configured rule, with when it was configured and how often it fired.
  let faultRules: Array<{ rule: FaultRule; since: number; used: number }> = []
  const setFaults = (rules: FaultRule[] | null | undefined) => {
    config.faults = rules ?? null
    faultRules = (rules ?? []).map((rule) => ({ rule, since: now(), used: 0 }))
  }

  setFaults(options.faults)
  const graceMs = options.penaltyGraceMs ?? 50
  // The window opened by a throttleOnce 429, and the ids already throttled.
  const forced = {
    until: 0,
    openedAt: 0,
    done: new Set<string>(),
    // A fault's literal 429 headers hold for its whole window.
    headers: undefined as Record<string, string> | undefined,
  }

  let limiter = config.rateLimit
    ? new RateLimiter(config.rateLimit, now, graceMs)
    : undefined
  let stats = emptyStats()
  const store: Record<CatalogKind, Map<number, CatalogObject>> = {
    product: new Map(),
    category: new Map(),
  }

  for (let id = 1; id <= (options.seed?.products ?? 50); id++)
    store.product.set(id, makeProduct(id))
  for (let id = 1; id <= (options.seed?.categories ?? 20); id++)
    store.category.set(id, makeCategory(id))

  const permissionOf = (
    req: http.IncomingMessage
  ): Permission | 'anonymous' | 'invalid' => {
    const credentials = config.credentials as Credentials
    const appKey = req.headers['x-vtex-api-appkey'] as string | undefined
    const appToken = req.headers['x-vtex-api-apptoken'] as string | undefined

    if (appKey || appToken) {
      const entry = appKey ? credentials.appKeys[appKey] : undefined

      return entry && appToken === entry.token ? entry.permission : 'invalid'
    }

    const token =
      (req.headers.vtexidclientautcookie as string | undefined) ??
      cookieValue(req.headers.cookie, 'VtexIdclientAutCookie')

    if (!token) return 'anonymous'

    return credentials.userTokens[token] ?? 'invalid'
  }

  const sleep = (ms: number) =>
    new Promise((resolve) => setTimeout(resolve, ms))

  const latencyMs = () => {
    if (!config.latency) return 0
    const { meanMs, jitterMs } = config.latency

    return Math.max(0, meanMs + (random() * 2 - 1) * jitterMs)
  }

  const send = (
    res: http.ServerResponse,
    status: number,
    body?: unknown,
    headers: Record<string, string | number> = {}
  ) => {
    const text = body === undefined ? '' : JSON.stringify(body)

    res.writeHead(status, {
      ...(body === undefined
        ? {}
        : { 'Content-Type': 'application/json; charset=utf-8' }),
      'Content-Length': Buffer.byteLength(text),
      ...headers,
    })
    res.end(text)
  }

  const control = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    action: string
  ) => {
    if (action === 'stats') return send(res, 200, emulator.stats())
    if (action === 'snapshot') return send(res, 200, emulator.snapshot())
    if (action === 'reset' && req.method === 'POST') {
      emulator.resetStats()

      return send(res, 204)
    }

    if (action === 'subscribers' && req.method === 'POST') {
      const { urls } = ((await readJson(req)) ?? {}) as { urls?: string[] }

      events.setSubscribers(Array.isArray(urls) ? urls : [])

      return send(res, 204)
    }

    if (action === 'configure' && req.method === 'POST') {
      emulator.configure((await readJson(req)) as Partial<EmulatorConfig>)

      return send(res, 204)
    }

    return send(res, 404, { error: 'Unknown emulator control' })
  }

  const standard429 = (retryAfterSec: number) => ({
    'Retry-After': String(retryAfterSec),
    'Ratelimit-Reset': String(retryAfterSec),
  })

  /** Opens the account-wide window of a forced 429 (throttleOnce or a '429' fault). */
  const openWindow = (windowMs: number, headers?: Record<string, string>) => {
    forced.until = now() + windowMs
    forced.openedAt = now()
    forced.headers = headers
  }

  const forcedThrottle = (kind: CatalogKind, rawId: string) => {
    const at = now()

    if (forced.until > at) {
      const retryAfterSec = Math.max(1, Math.ceil((forced.until - at) / 1000))

      return {
        headers: forced.headers ?? standard429(retryAfterSec),
        violation: at >= forced.openedAt + graceMs,
      }
    }

    const plan = config.throttleOnce
    const key = `${kind}:${rawId}`

    if (
      !plan ||
      (plan.kind && plan.kind !== kind) ||
      !plan.ids.includes(Number(rawId)) ||
      forced.done.has(key)
    ) {
      return undefined
    }

    const retryAfterSec = plan.retryAfterSec ?? 1

    forced.done.add(key)
    openWindow(retryAfterSec * 1000)

    return { headers: standard429(retryAfterSec), violation: false }
  }

  const matchFault = (method: string, kind: CatalogKind, id: number) => {
    const at = now()
    const entry = faultRules.find(
      ({ rule, since, used }) =>
        (!rule.kind || rule.kind === kind) &&
        (!rule.method || rule.method === method) &&
        (!rule.ids || rule.ids.includes(id)) &&
        (rule.times === undefined || used < rule.times) &&
        (rule.forMs === undefined || at < since + rule.forMs)
    )

    if (!entry) return undefined
    entry.used += 1
    stats.faultsInjected += 1

    return entry.rule.action
  }

  /** Plays a fault; returns false when the request should go on normally (after a delay). */
  const playFault = async (
    action: FaultAction,
    req: http.IncomingMessage,
    res: http.ServerResponse
  ) => {
    const halfBody = () => {
      res.writeHead(200, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': 4096,
      })
      res.write('{"Id":1,"Name":"')
    }

    switch (action.type) {
      case 'status':
        send(res, action.status, {
          Message: action.message ?? `Injected ${action.status}`,
        })

        return true

      case '429': {
        const headers: Record<string, string> = {}

        if (action.retryAfter !== null)
          headers['Retry-After'] = action.retryAfter ?? '1'
        if (action.reset !== null)
          headers['Ratelimit-Reset'] = action.reset ?? '1'
        openWindow(action.windowMs ?? 1000, headers)
        stats.rateLimited += 1
        send(res, 429, { error: 'Too many requests' }, headers)

        return true
      }

      case 'slow':
        await sleep(action.delayMs)

        return false

      case 'hang':
        halfBody()

        return true

      case 'reset-request':
        req.socket.destroy()

        return true

      case 'reset-response':
        halfBody()
        setTimeout(() => res.socket?.destroy(), 5)

        return true
    }
  }

  // Order, as at the VTEX edge: rate limit, then auth, then latency and injected failures, then data.
  const handleCatalog = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    kind: CatalogKind,
    rawId: string
  ) => {
    const method = req.method ?? 'GET'

    if (method !== 'GET' && method !== 'PUT')
      return send(res, 405, { error: `${method} not allowed` })

    const throttled = forcedThrottle(kind, rawId)

    if (throttled) {
      stats.rateLimited += 1
      if (throttled.violation) stats.requestsInPenaltyWindow += 1

      return send(res, 429, { error: 'Too many requests' }, throttled.headers)
    }

    const decision = limiter?.check(
      config.rateLimit?.scope === 'endpoint' ? `${method} ${kind}` : 'account'
    )
    let rateHeaders: Record<string, number> = {}

    if (decision && !decision.allowed) {
      stats.rateLimited += 1
      if (decision.violation) stats.requestsInPenaltyWindow += 1

      return send(
        res,
        429,
        { error: 'Too many requests' },
        {
          'Retry-After': decision.retryAfterSec,
          'Ratelimit-Limit': decision.limit,
          'Ratelimit-Remaining': 0,
          'Ratelimit-Reset': decision.retryAfterSec,
        }
      )
    }

    if (decision) {
      rateHeaders = {
        'Ratelimit-Limit': decision.limit,
        'Ratelimit-Remaining': decision.remaining,
        'Ratelimit-Reset': decision.resetSec,
      }
    }

    const permission = permissionOf(req)

    if (permission === 'anonymous' || permission === 'invalid') {
      return send(
        res,
        401,
        { Message: 'Unauthorized: missing or invalid credentials' },
        rateHeaders
      )
    }

    if (permission === 'none' || (permission === 'read' && method === 'PUT')) {
      return send(
        res,
        403,
        {
          Message:
            'Forbidden: the credentials lack the Catalog permission for this action',
        },
        rateHeaders
      )
    }

    const fault = matchFault(method, kind, Number(rawId))

    if (fault?.type === 'reset-request') {
      await playFault(fault, req, res)

      return undefined
    }

    const body = method === 'PUT' ? await readJson(req) : undefined

    await sleep(latencyMs())
    if (fault && (await playFault(fault, req, res))) return undefined

    const failure = config.failure

    if (
      failure &&
      failure.rate > 0 &&
      (!failure.methods || failure.methods.includes(method)) &&
      random() < failure.rate
    ) {
      return send(
        res,
        failure.status ?? 503,
        { Message: 'Service temporarily unavailable (injected)' },
        rateHeaders
      )
    }

    if (!/^\d+$/.test(rawId) || Number(rawId) < 1)
      return send(
        res,
        400,
        { Message: `Invalid ${kind} id '${rawId}'` },
        rateHeaders
      )

    const id = Number(rawId)
    const current = store[kind].get(id)
    const label = kind === 'product' ? 'Product' : 'Category'

    if (!current) return send(res, 404, `${label} not found`, rateHeaders)
    if (method === 'GET') return send(res, 200, current, rateHeaders)

    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return send(
        res,
        400,
        { Message: 'The request body must be a JSON object' },
        rateHeaders
      )
    }

    // The known VTEX issue: any string field ending in whitespace fails with an empty 400.
    if (hasTrailingSpace(body as CatalogObject))
      return send(res, 400, undefined, rateHeaders)

    const problem = putProblem(kind, body as CatalogObject)

    if (problem) return send(res, 400, { Message: problem }, rateHeaders)

    const stored = applyPut(kind, id, body as CatalogObject)

    store[kind].set(id, stored)
    stats.putsById[kind][id] = (stats.putsById[kind][id] ?? 0) + 1

    return send(res, 200, stored, rateHeaders)
  }

  const vbase = createVBase({ dir: options.vbaseDir, now })
  const events = createEventsBus({
    declarations: eventDeclarationsOf(service),
    ...options.events,
  })
  const licenseManager = createLicenseManager(
    () => config.credentials as Credentials
  )

  const server = http.createServer((req, res) => {
    // Proxied requests carry an absolute URL: the service's VBase and events calls.
    if (
      req.url?.startsWith('http://') &&
      (vbase.handle(req, res) || events.handle(req, res))
    )
      return
    // License Manager and VTEX ID live on the account host, beside the Catalog.
    if (licenseManager.handle(req, res)) return

    const path = (req.url ?? '/').split('?')[0]
    const controlMatch = /^\/_emulator\/(\w+)$/.exec(path)

    if (controlMatch) {
      control(req, res, controlMatch[1]).catch(() =>
        send(res, 500, { error: 'control failed' })
      )

      return
    }

    const method =
      req.method === 'GET' || req.method === 'PUT' ? req.method : 'other'
    const counted = stats

    counted.requests[method] += 1
    counted.requests.total += 1
    counted.inFlight += 1
    counted.peakInFlight = Math.max(counted.peakInFlight, counted.inFlight)
    if (req.headers['proxy-authorization'] !== undefined)
      counted.proxyAuthorizationSeen += 1
    if (req.headers.authorization !== undefined) counted.authorizationSeen += 1
    res.once('close', () => {
      counted.inFlight -= 1
      counted.byStatus[res.statusCode] =
        (counted.byStatus[res.statusCode] ?? 0) + 1
    })

    const match = CATALOG_PATH.exec(path)

    if (!match) {
      send(res, 404, { error: `No route for ${path}` })

      return
    }

    handleCatalog(req, res, match[1] as CatalogKind, match[2]).catch(() =>
      send(res, 500, { Message: 'Emulator error' })
    )
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
    stats: () => ({ ...clone(stats), openSockets: sockets.size }),
    resetStats: () => {
      // Requests still in flight belong to the old counters; the new ones start at zero.
      stats = emptyStats()
    },
    configure: (patch) => {
      Object.assign(config, patch)
      if ('faults' in patch) setFaults(patch.faults)
      if ('throttleOnce' in patch || 'faults' in patch) {
        forced.done.clear()
        forced.until = 0
      }
      if ('rateLimit' in patch) {
        limiter = config.rateLimit
          ? new RateLimiter(config.rateLimit, now, graceMs)
          : undefined
      }
    },
    getProduct: (id) =>
      store.product.has(id) ? clone(store.product.get(id)) : undefined,
    getCategory: (id) =>
      store.category.has(id) ? clone(store.category.get(id)) : undefined,
    setProduct: (id, object) => void store.product.set(id, clone(object)),
    setCategory: (id, object) => void store.category.set(id, clone(object)),
    deleteProduct: (id) => void store.product.delete(id),
    deleteCategory: (id) => void store.category.delete(id),
    snapshot: () => ({
      products: Object.fromEntries(
        [...store.product].map(([id, object]) => [String(id), clone(object)])
      ),
      categories: Object.fromEntries(
        [...store.category].map(([id, object]) => [String(id), clone(object)])
      ),
    }),
    vbase: {
      stats: vbase.stats,
      read: vbase.read,
      keys: vbase.keys,
      resetStats: vbase.resetStats,
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
