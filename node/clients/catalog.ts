import {
  ExternalClient,
  InstanceOptions,
  IOContext,
  RequestConfig,
} from '@vtex/api'

import type { RateSignal } from '../bulk/pacer'
import type { CallerCredentials } from './credentials'

export type CatalogKind = 'product' | 'category'

/** A Catalog object as the GET returns it; it goes back whole on the PUT. */
export type CatalogObject = Record<string, unknown>

export const catalogRoutes: Record<CatalogKind, (id: number) => string> = {
  product: (id: number) => `/api/catalog/pvt/product/${id}`,
  category: (id: number) => `/api/catalog/pvt/category/${id}`,
}

export interface CatalogCallOptions {
  credentials: CallerCredentials
  timeoutMs?: number
  /** Overrides the base URL for this call (from app settings). */
  baseURL?: string
  /** Receives the Catalog's Ratelimit-* headers from every answer. */
  onRateSignal?(signal: RateSignal): void
  /** PUT only: runs right before the request is sent; if it throws, nothing is sent and the error propagates as is. */
  beforeSend?(): void
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
    public readonly networkCode?: string,
    public readonly rateLimitHeaders: {
      retryAfter?: string
      reset?: string
    } = {}
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
}

/** The production Catalog of an account; the IO proxy upgrades the call to HTTPS. */
export const defaultCatalogUrl = (account: string) =>
  `http://${account}.vtexcommercestable.com.br`

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

interface AxiosLikeError {
  code?: string
  response?: {
    status: number
    data?: unknown
    headers?: Record<string, unknown>
  }
}

/**
 * The VTEX Catalog, called with the caller's credentials. GETs are never
 * memoized: a bulk update must see the object as it is now.
 */
export class CatalogClient extends ExternalClient {
  /** Set when CATALOG_URL points straight at a Catalog, without the IO proxy. */
  private readonly direct: boolean

  constructor(context: IOContext, options?: InstanceOptions) {
    const override = process.env.CATALOG_URL
    const direct = Boolean(override)

    super(override ?? defaultCatalogUrl(context.account), context, {
      ...options,
      memoizable: false,
      headers: {
        ...options?.headers,
        ...(direct ? {} : { 'X-Vtex-Use-Https': 'true' }),
      },
    })
    this.direct = direct
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

  public async read(
    kind: CatalogKind,
    id: number,
    options: CatalogCallOptions
  ) {
    try {
      const response = await this.http.getRaw<CatalogObject>(
        catalogRoutes[kind](id),
        this.config(`catalog-get-${kind}`, options)
      )

      reportRateSignal(response.headers, options)

      return response.data
    } catch (error) {
      throw toCatalogError('GET', kind, id, error, options)
    }
  }

  public async write(
    kind: CatalogKind,
    id: number,
    body: CatalogObject,
    options: CatalogCallOptions
  ) {
    options.beforeSend?.()
    try {
      const response = await this.http.putRaw<CatalogObject>(
        catalogRoutes[kind](id),
        body,
        this.config(`catalog-update-${kind}`, options)
      )

      reportRateSignal(response.headers, options)

      return response.data
    } catch (error) {
      throw toCatalogError('PUT', kind, id, error, options)
    }
  }

  private config(metric: string, options: CatalogCallOptions): RequestConfig {
    return {
      metric,
      timeout: options.timeoutMs,
      ...(options.baseURL ? { baseURL: options.baseURL } : {}),
      headers: {
        Accept: 'application/json',
        'Content-Type': 'application/json',
        ...options.credentials.headers(),
      },
      ...(this.direct ? { transformRequest: [withoutAppToken] } : {}),
    }
  }
}

/**
 * ExternalClient always adds the app token as Proxy-Authorization, for the IO
 * outbound proxy, which consumes it. Without that proxy it would reach the
 * Catalog itself, so it is removed here (axios lets a request transform edit
 * the headers; the JSON serialization it replaces is redone).
 */
function withoutAppToken(data: unknown, headers?: Record<string, unknown>) {
  if (headers) {
    delete headers['proxy-authorization']
    delete headers['Proxy-Authorization']
  }

  return data === undefined ? data : JSON.stringify(data)
}

function headerOf(headers: Record<string, unknown> | undefined, name: string) {
  const value = headers?.[name] ?? headers?.[name.toLowerCase()]

  return value === undefined ? undefined : String(value)
}

/** `Ratelimit-*` (IETF draft) or the older `X-RateLimit-*` spelling some VTEX APIs use. */
function rateLimitHeader(
  headers: Record<string, unknown> | undefined,
  field: 'limit' | 'remaining' | 'reset'
) {
  return (
    headerOf(headers, `ratelimit-${field}`) ??
    headerOf(headers, `x-ratelimit-${field}`)
  )
}

function reportRateSignal(
  headers: Record<string, unknown> | undefined,
  options: CatalogCallOptions
) {
  if (!options.onRateSignal) return
  const limit = Number(rateLimitHeader(headers, 'limit'))
  const remaining = Number(rateLimitHeader(headers, 'remaining'))

  if (Number.isFinite(limit) && Number.isFinite(remaining)) {
    options.onRateSignal({ limit, remaining })
  }
}

function toCatalogError(
  method: 'GET' | 'PUT',
  kind: CatalogKind,
  id: number,
  error: unknown,
  options: CatalogCallOptions
) {
  const { response, code } = (error ?? {}) as AxiosLikeError

  if (response) {
    reportRateSignal(response.headers, options)
    return new CatalogError(
      method,
      kind,
      id,
      response.status,
      upstreamMessageOf(response.data),
      undefined,
      {
        retryAfter: headerOf(response.headers, 'retry-after'),
        reset: rateLimitHeader(response.headers, 'reset'),
      }
    )
  }

  const networkCode =
    code ??
    (error instanceof Error && /timeout/i.test(error.message)
      ? 'ECONNABORTED'
      : 'ENETWORK')

  return new CatalogError(method, kind, id, undefined, '', networkCode)
}
