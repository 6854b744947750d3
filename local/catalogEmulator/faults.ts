import http from 'http'

import type { CatalogKind } from './fields'
import { send, sleep } from './http'
import type { CatalogAnswer, CatalogStore } from './store'

/**
 * What a fault rule does to a matching request. Every action is a Catalog
 * behaviour the app must survive; each has a unit test in
 * local/__tests__/catalogEmulatorFaults.test.ts.
 */
export type FaultAction =
  /**
   * Answer this status (e.g. 500, 503) with `{"Message": message}`; `fast`
   * answers before the Catalog's latency, as an open circuit breaker does.
   */
  | { type: 'status'; status: number; message?: string; fast?: boolean }
  /**
   * A 429 that opens an account-wide penalty window of `windowMs` (default
   * 1 s): every Catalog call inside it is answered 429 too, and counts in
   * `requestsInPenaltyWindow` once the grace period has passed. Headers:
   * a string is sent as is, null leaves the header out, and omitted sends
   * the whole seconds left in the window (at least 1).
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
  /**
   * GET only (a PUT goes through untouched, and is not counted): answer the
   * stored object of the same kind with id `id` instead of the requested
   * one, with its status (even for an unknown requested id), as a mock that
   * always answers the spec's example does.
   */
  | { type: 'wrong-object'; id: number }
  /**
   * GET only: a 200 answer keeps only the fields named in `keep`
   * (`keep: []` answers `{}`); other statuses are left as they are.
   */
  | { type: 'truncate'; keep: string[] }
  /**
   * GET only: answer the stored object, then, once that answer is sent,
   * merge `patch` into the stored object, as a concurrent edit by someone
   * else would. A later PUT of the object read would undo that edit.
   */
  | { type: 'edit-after-get'; patch: Record<string, unknown> }

/** The actions that change what a GET answers; they never match a PUT. */
const GET_ONLY: ReadonlyArray<FaultAction['type']> = [
  'wrong-object',
  'truncate',
  'edit-after-get',
]

export interface FaultRule {
  /** The key of its counter in `stats().faultHits` (default: its index in `faults`). */
  name?: string
  kind?: CatalogKind
  method?: 'GET' | 'PUT'
  ids?: number[]
  /** Applies to at most this many matching requests. */
  times?: number
  /** Applies to at most this many matching requests per id. */
  timesPerId?: number
  /** Applies only for this long after it is configured (e.g. a circuit breaker phase). */
  forMs?: number
  /**
   * Applies only in phases: from `startMs` after it is configured, for
   * `openMs` out of every `everyMs` (a breaker that opens on a schedule).
   */
  schedule?: { everyMs: number; openMs: number; startMs?: number }
  /** Applies to this share (0-1) of the matching requests, drawn from the emulator's seeded random. */
  probability?: number
  /**
   * 'edge': before the rate limiter and the credentials check, as VTEX's
   * edge throttles; 'upstream' (default): after them, in the Catalog.
   */
  stage?: 'edge' | 'upstream'
  action: FaultAction
}

/** Legacy option: a random share of requests fails with `status`. */
export interface FailureProfile {
  /** Probability (0-1) that a request fails with `status`. */
  rate: number
  status?: number
  methods?: Array<'GET' | 'PUT'>
}

/** Legacy option: the first request for each of these ids gets a 429 that opens an account-wide penalty window. */
export interface ThrottleOncePlan {
  kind?: CatalogKind
  ids: number[]
  retryAfterSec?: number
}

/** `throttleOnce` as a rule: an edge 429 once per id, with a window of `retryAfterSec`. */
export function throttleOnceRules(plan: ThrottleOncePlan | null | undefined) {
  if (!plan) return []

  return [
    {
      name: 'throttleOnce',
      stage: 'edge',
      kind: plan.kind,
      ids: plan.ids,
      timesPerId: 1,
      action: { type: '429', windowMs: (plan.retryAfterSec ?? 1) * 1000 },
    } as FaultRule,
  ]
}

/** `failure` as a rule: the last upstream rule, so an explicit fault wins over it. */
export function failureRules(profile: FailureProfile | null | undefined) {
  if (!profile || !(profile.rate > 0)) return []

  return (profile.methods ?? [undefined]).map(
    (method): FaultRule => ({
      name: 'failure',
      method,
      probability: profile.rate,
      action: {
        type: 'status',
        status: profile.status ?? 503,
        message: 'Service temporarily unavailable (injected)',
      },
    })
  )
}

/** The rule sources, in the order they are matched within a stage. */
export type FaultLayer = 'throttleOnce' | 'breaker' | 'faults' | 'failure'
const LAYERS: FaultLayer[] = ['throttleOnce', 'breaker', 'faults', 'failure']

function inPhase(
  schedule: NonNullable<FaultRule['schedule']>,
  sinceMs: number
) {
  const elapsed = sinceMs - (schedule.startMs ?? 0)

  return elapsed >= 0 && elapsed % schedule.everyMs < schedule.openMs
}

const emptyLayerCount = (): Record<FaultLayer, number> => ({
  throttleOnce: 0,
  breaker: 0,
  faults: 0,
  failure: 0,
})

interface RuleState {
  rule: FaultRule
  key: string
  since: number
  used: number
  usedById: Map<number, number>
}

export interface FaultRequest {
  stage: 'edge' | 'upstream'
  method: string
  kind: CatalogKind
  id: number
}

/** What the fault engine counts into the emulator's stats. */
export interface FaultCounters {
  rateLimited: number
  requestsInPenaltyWindow: number
  faultsInjected: number
}

/**
 * The one fault-rule engine: rules from every layer, matched first-wins per
 * stage, with their hit counters, and the account-wide penalty window that
 * a '429' action opens.
 */
export class FaultEngine {
  private readonly layers: Record<FaultLayer, RuleState[]> = {
    throttleOnce: [],
    breaker: [],
    faults: [],
    failure: [],
  }

  private hits: Record<string, number> = {}
  private layerCount = emptyLayerCount()
  private window = {
    until: 0,
    openedAt: 0,
    action: undefined as Extract<FaultAction, { type: '429' }> | undefined,
  }

  constructor(
    private readonly now: () => number,
    private readonly random: () => number,
    private readonly graceMs: number
  ) {}

  /** Replaces one layer's rules; their counters and periods start again. */
  public setLayer(layer: FaultLayer, rules: FaultRule[]) {
    const since = this.now()

    for (const state of this.layers[layer]) delete this.hits[state.key]
    this.layers[layer] = rules.map((rule, index) => ({
      rule,
      key: rule.name ?? String(index),
      since,
      used: 0,
      usedById: new Map(),
    }))
    for (const state of this.layers[layer]) this.hits[state.key] ??= 0
  }

  /** Adds one rule to a layer, leaving the others' counters and periods as they are. */
  public addRule(layer: FaultLayer, rule: FaultRule) {
    const state = {
      rule,
      key: rule.name ?? String(this.layers[layer].length),
      since: this.now(),
      used: 0,
      usedById: new Map(),
    }

    this.layers[layer].push(state)
    this.hits[state.key] ??= 0
  }

  /** Closes the penalty window (the legacy options reset it when reconfigured). */
  public closeWindow() {
    this.window.until = 0
  }

  /** How often each rule fired since the last reset, by name (or index in `faults`). */
  public faultHits(): Record<string, number> {
    return { ...this.hits }
  }

  /** Hits of one layer's rules since the last reset (e.g. the breaker's 503s). */
  public layerHits(layer: FaultLayer) {
    return this.layerCount[layer]
  }

  public resetHits() {
    this.layerCount = emptyLayerCount()
    this.hits = {}
    for (const layer of LAYERS)
      for (const state of this.layers[layer]) this.hits[state.key] = 0
  }

  /** A 429 for a request inside the open penalty window, or undefined. */
  public inWindow():
    | { headers: Record<string, string>; violation: boolean }
    | undefined {
    const at = this.now()

    if (!this.window.action || this.window.until <= at) return undefined

    return {
      headers: this.windowHeaders(),
      violation: at >= this.window.openedAt + this.graceMs,
    }
  }

  /** The first rule of this stage that matches, counted as a hit, or undefined. */
  public match(request: FaultRequest): FaultAction | undefined {
    const at = this.now()

    for (const layer of LAYERS) {
      for (const state of this.layers[layer]) {
        const { rule } = state

        if ((rule.stage ?? 'upstream') !== request.stage) continue
        if (rule.kind && rule.kind !== request.kind) continue
        if (rule.method && rule.method !== request.method) continue
        if (GET_ONLY.includes(rule.action.type) && request.method !== 'GET')
          continue
        if (rule.ids && !rule.ids.includes(request.id)) continue
        if (rule.times !== undefined && state.used >= rule.times) continue
        if (
          rule.timesPerId !== undefined &&
          (state.usedById.get(request.id) ?? 0) >= rule.timesPerId
        )
          continue
        if (rule.forMs !== undefined && at >= state.since + rule.forMs) continue
        if (rule.schedule && !inPhase(rule.schedule, at - state.since)) continue
        if (rule.probability !== undefined && this.random() >= rule.probability)
          continue

        state.used += 1
        state.usedById.set(
          request.id,
          (state.usedById.get(request.id) ?? 0) + 1
        )
        this.hits[state.key] = (this.hits[state.key] ?? 0) + 1
        this.layerCount[layer] += 1

        return rule.action
      }
    }

    return undefined
  }

  /**
   * Plays an action. Returns 'answered' when it answered (or dropped) the
   * request, 'continue' when the request goes on to the Catalog.
   */
  public async play(
    action: FaultAction,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    counters: FaultCounters,
    rateHeaders: Record<string, string | number> = {}
  ): Promise<'answered' | 'continue'> {
    const halfBody = () => {
      res.writeHead(200, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': 4096,
      })
      res.write('{"Id":1,"Name":"')
    }

    counters.faultsInjected += 1
    switch (action.type) {
      case 'status':
        send(
          res,
          action.status,
          { Message: action.message ?? `Injected ${action.status}` },
          rateHeaders
        )

        return 'answered'

      case '429':
        this.window = {
          until: this.now() + (action.windowMs ?? 1000),
          openedAt: this.now(),
          action,
        }
        counters.rateLimited += 1
        send(res, 429, { error: 'Too many requests' }, this.windowHeaders())

        return 'answered'

      case 'slow':
        await sleep(action.delayMs)

        return 'continue'

      case 'hang':
        halfBody()

        return 'answered'

      case 'reset-request':
        req.socket.destroy()

        return 'answered'

      case 'reset-response':
        halfBody()
        setTimeout(() => res.socket?.destroy(), 5)

        return 'answered'

      case 'wrong-object':
      case 'truncate':
      case 'edit-after-get':
        // They act on the Catalog's answer: see lie().
        return 'continue'
    }
  }

  /**
   * What a GET answers under a lying action, instead of `answer`; `afterSend`
   * runs once that answer has left (the concurrent edit).
   */
  public lie(
    action: FaultAction | undefined,
    kind: CatalogKind,
    answer: CatalogAnswer,
    store: CatalogStore,
    id: number
  ): { answer: CatalogAnswer; afterSend?: () => void } {
    switch (action?.type) {
      case 'wrong-object':
        return { answer: store.read(kind, String(action.id)) }

      case 'truncate': {
        if (answer.status !== 200) return { answer }
        const object = answer.body as Record<string, unknown>
        const kept = action.keep.filter((field) => field in object)

        return {
          answer: {
            status: 200,
            body: Object.fromEntries(
              kept.map((field) => [field, object[field]])
            ),
          },
        }
      }

      case 'edit-after-get': {
        const current = answer.status === 200 ? store.get(kind, id) : undefined

        return {
          answer,
          afterSend: current
            ? () => store.set(kind, id, { ...current, ...action.patch })
            : undefined,
        }
      }

      default:
        return { answer }
    }
  }

  private windowHeaders() {
    const { action, until } = this.window
    const secondsLeft = String(
      Math.max(1, Math.ceil((until - this.now()) / 1000))
    )
    const headers: Record<string, string> = {}

    if (action?.retryAfter !== null)
      headers['Retry-After'] = action?.retryAfter ?? secondsLeft
    if (action?.reset !== null)
      headers['Ratelimit-Reset'] = action?.reset ?? secondsLeft

    return headers
  }
}
