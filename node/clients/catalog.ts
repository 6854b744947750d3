import {
  ExternalClient,
  InstanceOptions,
  IOContext,
  RequestConfig,
} from '@vtex/api'

import type { FlowLimits, FlowMemoryStore } from '../bulk'
import type { CatalogKind, CatalogObject } from '../scores/catalogPort'
import { defaultAccountUrl, withoutAppToken } from './accountHost'
import {
  CatalogFault,
  catalogFault,
  flowAnswer,
  outcomeOfError,
  outcomeOfResponse,
} from './catalogFault'
import { accountFlow, accountFlowMemory } from './catalogFlow'
import type { CallerCredentials } from './credentials'
import { FlowMemoryClient } from './flowMemory'

export type { CatalogKind, CatalogObject }

export const catalogRoutes: Record<CatalogKind, (id: number) => string> = {
  product: (id: number) => `/api/catalog/pvt/product/${id}`,
  category: (id: number) => `/api/catalog/pvt/category/${id}`,
}

export interface CatalogCallOptions {
  credentials: CallerCredentials
  timeoutMs?: number
  /** Epoch ms after which the call may not start: the flow control gives up waiting then. */
  deadlineAt?: number
  /** Aborts a call still waiting for the flow control. */
  signal?: AbortSignal
  /** The settings' ceiling and cap for the account's flow control. */
  limits?: FlowLimits
  /**
   * Called once the flow control admits the call, right before the request.
   * If it throws, nothing is sent, the slot is released, the controller
   * learns nothing, and the error propagates unchanged.
   */
  beforeSend?: () => void
  /**
   * The call continues an item that already sent one (its PUT, a re-read, a
   * retry): the flow control lets it go before calls that start new items.
   */
  urgent?: boolean
}

/** A failed Catalog call, stripped of the request config that holds the credentials. */
export class CatalogError extends Error {
  constructor(
    public readonly method: 'GET' | 'PUT',
    public readonly kind: CatalogKind,
    public readonly id: number,
    /** The HTTP status, or undefined when no response arrived. */
    public readonly status: number | undefined,
    /** The Catalog's own message, '' when its body was empty. */
    public readonly upstreamMessage: string,
    /** Network error code (ECONNABORTED, ECONNRESET, ...) when there was no response. */
    public readonly networkCode?: string
  ) {
    super(
      status
        ? `Catalog answered ${status} to ${method} ${kind} ${id}${
            upstreamMessage ? `: ${upstreamMessage}` : ''
          }`
        : `Catalog ${method} ${kind} ${id} failed: ${
            networkCode ?? 'network error'
          }`
    )
    this.name = 'CatalogError'
  }

  /** What the failure means, from the Catalog fault model. */
  public get fault(): CatalogFault {
    return catalogFault(this.status, this.networkCode)
  }
}

const MESSAGE_LIMIT = 500

function upstreamMessageOf(data: unknown): string {
  if (data === undefined || data === null) return ''
  if (typeof data === 'string')
    return data
      .trim()
      .replace(/^"(.*)"$/s, '$1')
      .slice(0, MESSAGE_LIMIT)
  if (Buffer.isBuffer(data)) return upstreamMessageOf(data.toString('utf8'))
  if (typeof data === 'object') {
    const record = data as Record<string, unknown>
    const message =
      record.Message ?? record.message ?? record.error ?? record.Error

    if (typeof message === 'string') return message.slice(0, MESSAGE_LIMIT)

    return JSON.stringify(data).slice(0, MESSAGE_LIMIT)
  }

  return String(data).slice(0, MESSAGE_LIMIT)
}

/**
 * The VTEX Catalog, called with the caller's credentials. GETs are never
 * memoized: a bulk update must see the object as it is now.
 */
export class CatalogClient extends ExternalClient {
  /** Set when CATALOG_URL points straight at a Catalog, without the IO proxy. */
  private readonly direct: boolean
  private readonly account: string
  /** The account's flow memory (VBase by default), made only when read or written. */
  private readonly flowMemory: () => FlowMemoryStore

  /** `flowMemory`: where the flow memory is kept; tests outside the runtime give one that reaches no VBase. */
  constructor(
    context: IOContext,
    options?: InstanceOptions,
    flowMemory?: () => FlowMemoryStore
  ) {
    const override = process.env.CATALOG_URL
    const direct = Boolean(override)

    super(override ?? defaultAccountUrl(context.account), context, {
      ...options,
      memoizable: false,
      headers: {
        ...options?.headers,
        ...(direct ? {} : { 'X-Vtex-Use-Https': 'true' }),
      },
    })
    this.direct = direct
    this.account = context.account
    // A memory that cannot be read quickly is not worth waiting for: a cold start.
    this.flowMemory =
      flowMemory ??
      (() => new FlowMemoryClient(context, { retries: 0, timeout: 2_000 }))
  }

  public getProduct(id: number, options: CatalogCallOptions) {
    return this.read('product', id, options)
  }

  public updateProduct(
    id: number,
    product: CatalogObject,
    options: CatalogCallOptions
  ) {
    return this.write('product', id, product, options)
  }

  public getCategory(id: number, options: CatalogCallOptions) {
    return this.read('category', id, options)
  }

  public updateCategory(
    id: number,
    category: CatalogObject,
    options: CatalogCallOptions
  ) {
    return this.write('category', id, category, options)
  }

  public read(kind: CatalogKind, id: number, options: CatalogCallOptions) {
    return this.send('GET', kind, id, options, (lastCheck) =>
      this.http.getRaw<CatalogObject>(
        catalogRoutes[kind](id),
        this.config(`catalog-get-${kind}`, options, lastCheck)
      )
    )
  }

  public write(
    kind: CatalogKind,
    id: number,
    body: CatalogObject,
    options: CatalogCallOptions
  ) {
    return this.send('PUT', kind, id, options, (lastCheck) =>
      this.http.putRaw<CatalogObject>(
        catalogRoutes[kind](id),
        body,
        this.config(`catalog-update-${kind}`, options, lastCheck)
      )
    )
  }

  /**
   * The pipeline every Catalog call goes through: the account's flow control
   * admits it, it is sent, and what came back (status, headers, or why
   * nothing did) is reported to the controller.
   */
  private async send(
    method: 'GET' | 'PUT',
    kind: CatalogKind,
    id: number,
    options: CatalogCallOptions,
    request: (lastCheck: () => void) => Promise<{
      data: CatalogObject
      headers?: Record<string, unknown>
      status: number
    }>
  ): Promise<CatalogObject> {
    const flow = accountFlow(this.account, options.limits)
    const memory = accountFlowMemory(this.account, flow, this.flowMemory)

    await memory.ready
    for (;;) {
      const admission = await flow.admit({
        deadlineAt: options.deadlineAt,
        signal: options.signal,
        // A PUT always finishes an item. Were it queued behind the GETs of
        // new items, at a low rate its GET would age past the re-read limit,
        // be redone, and age again: reads without writes.
        urgent: method === 'PUT' || options.urgent,
      })

      try {
        options.beforeSend?.()
      } catch (error) {
        admission.cancel()
        throw error
      }

      try {
        // The HTTP stack takes a while to reach the socket: if a 429 arrived
        // meanwhile, the call goes back to the queue instead of into the window.
        const response = await request(() => {
          if (admission.overtaken()) throw new HeldBack()
        })

        admission.done(flowAnswer(outcomeOfResponse(response)))
        memory.noteActivity()

        return response.data
      } catch (error) {
        if (isHeldBack(error)) {
          admission.cancel()
          continue
        }

        const outcome = outcomeOfError(error)

        admission.done(flowAnswer(outcome))
        memory.noteActivity()
        throw new CatalogError(
          method,
          kind,
          id,
          outcome.status,
          outcome.status === undefined ? '' : upstreamMessageOf(outcome.data),
          outcome.networkCode
        )
      }
    }
  }

  private config(
    metric: string,
    options: CatalogCallOptions,
    lastCheck: () => void
  ): RequestConfig {
    return {
      metric,
      timeout: options.timeoutMs,
      headers: {
        Accept: 'application/json',
        'Content-Type': 'application/json',
        ...options.credentials.headers(),
      },
      // axios runs request transforms last, right before the socket write.
      transformRequest: [
        (data: unknown, headers?: Record<string, unknown>) => {
          lastCheck()

          return this.direct
            ? withoutAppToken(data, headers)
            : data === undefined
            ? data
            : JSON.stringify(data)
        },
      ],
    }
  }
}

/** Thrown from the last check before the socket: the call never left. */
class HeldBack extends Error {}

function isHeldBack(error: unknown): boolean {
  if (error instanceof HeldBack) return true
  const { cause, originalError } = (error ?? {}) as {
    cause?: unknown
    originalError?: unknown
  }

  return cause instanceof HeldBack || originalError instanceof HeldBack
}
