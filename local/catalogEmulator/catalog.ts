import http from 'http'

import { authorize, Credentials } from './auth'
import type { EmulatorContext } from './context'
import type { CatalogKind } from './fields'
import { readJson, Route, send, sleep } from './http'
import { latencyMs } from './latency'
import { allowedHeaders, limitedHeaders } from './rateHeaders'

const CATALOG_PATH = /^\/api\/catalog\/pvt\/(product|category)\/([^/?]+)$/

/** GET and PUT of products and categories, as VTEX's Catalog answers them. */
export function catalogRoute(context: EmulatorContext): Route {
  return {
    name: 'catalog',
    handle(req, res, path) {
      const match = CATALOG_PATH.exec(path)

      if (!match) return false
      context.track(req, res)
      handleCatalog(context, req, res, match[1] as CatalogKind, match[2]).catch(
        () => send(res, 500, { Message: 'Emulator error' })
      )

      return true
    },
  }
}

// Order, as at the VTEX edge: penalty window, edge rules, rate limit, then auth,
// then upstream fault rules and latency, then data.
async function handleCatalog(
  context: EmulatorContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  kind: CatalogKind,
  rawId: string
) {
  const { faults, store, config } = context
  const method = req.method ?? 'GET'

  if (method !== 'GET' && method !== 'PUT')
    return send(res, 405, { error: `${method} not allowed` })

  const request = { method, kind, id: Number(rawId) }
  const windowed = faults.inWindow()

  if (windowed) {
    const stats = context.stats()

    stats.rateLimited += 1
    if (windowed.violation) stats.requestsInPenaltyWindow += 1

    return send(res, 429, { error: 'Too many requests' }, windowed.headers)
  }

  const edge = faults.match({ ...request, stage: 'edge' })

  if (
    edge &&
    (await faults.play(edge, req, res, context.stats())) === 'answered'
  )
    return undefined

  const settings = context.settings()
  const decision = context.buckets()?.check(`${method} ${kind}`)
  let rateHeaders: Record<string, number> = {}

  if (decision && !decision.allowed) {
    const stats = context.stats()

    stats.rateLimited += 1
    stats.rateLimitedBy[decision.bucket] =
      (stats.rateLimitedBy[decision.bucket] ?? 0) + 1
    if (decision.violation) stats.requestsInPenaltyWindow += 1

    return send(
      res,
      429,
      { error: 'Too many requests' },
      limitedHeaders(
        settings.rateHeaders,
        decision.limit,
        decision.retryAfterSec
      )
    )
  }

  if (decision) rateHeaders = allowedHeaders(settings.rateHeaders, decision)

  const denied = authorize(req, method, config.credentials as Credentials)

  if (denied)
    return send(res, denied.status, { Message: denied.message }, rateHeaders)

  const fault = faults.match({ ...request, stage: 'upstream' })

  // A reset and a breaker's 503 come before the Catalog's latency.
  if (
    fault?.type === 'reset-request' ||
    (fault?.type === 'status' && fault.fast)
  ) {
    await faults.play(fault, req, res, context.stats(), rateHeaders)

    return undefined
  }

  const body = method === 'PUT' ? await readJson(req) : undefined

  const delayMs = latencyMs(
    settings.latency,
    context.latencyRandom,
    settings.load,
    context.inFlight()
  )

  context.recordLatency(delayMs)
  if (settings.load) noteLoad(context, settings.load.capacity)
  await sleep(delayMs)
  if (
    fault &&
    (await faults.play(fault, req, res, context.stats(), rateHeaders)) ===
      'answered'
  )
    return undefined

  if (method === 'PUT') {
    const answer = store.write(kind, rawId, body)

    if (answer.status === 200) {
      const { putsById } = context.stats()

      putsById[kind][request.id] = (putsById[kind][request.id] ?? 0) + 1
    }

    return send(res, answer.status, answer.body, rateHeaders)
  }

  const { answer, afterSend } = faults.lie(
    fault,
    kind,
    store.read(kind, rawId, { includeTreePath: includeTreePathOf(req) }),
    store,
    request.id
  )

  send(res, answer.status, answer.body, rateHeaders)
  afterSend?.()

  return undefined
}

/** Counts a call whose latency the load stretched (more than `capacity` in flight, itself included). */
function noteLoad(context: EmulatorContext, capacity: number) {
  const factor = context.inFlight() / capacity

  if (factor <= 1) return
  const { loadLatency } = context.stats()

  loadLatency.stretchedCalls += 1
  loadLatency.peakFactor = Math.max(loadLatency.peakFactor, factor)
}

/** `?includeTreePath=true` on a category GET (VTEX Catalog OpenAPI). */
const includeTreePathOf = (req: http.IncomingMessage) =>
  new URL(req.url ?? '/', 'http://catalog').searchParams.get(
    'includeTreePath'
  ) === 'true'
