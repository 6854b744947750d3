/**
 * The app's public routes, on the admin's own host. The admin cookie goes
 * with every call (same origin); every call that changes something sends
 * `Content-Type: application/json` (a POST with `{}`), which the app requires
 * of cookie-only actions (403 CROSS_SITE_REQUEST otherwise). Spreadsheets are
 * read in the browser and sent as JSON for the same reason.
 */

import type { DelimiterName } from './failedRows'

export type Kind = 'product' | 'category'

export interface ItemResult {
  index: number
  id: number | string
  score: number | string
  previousScore?: number | null
  success: 'true' | 'false' | 'pending'
  unchanged?: boolean
  dryRun?: boolean
  code?: string
  error?: number
  errorMessage?: string
}

export interface BatchAnswer {
  successfulResponses: { elements: ItemResult[]; quantity: number }
  failedResponses: { elements: ItemResult[]; quantity: number }
  total: number
}

export interface JobSummary {
  jobId: string
  kind: Kind
  status: 'queued' | 'running' | 'cancelling' | 'cancelled' | 'done' | 'failed'
  dryRun: boolean
  startedBy?: { kind: string; login?: string; name?: string }
  progress: {
    total: number
    done: number
    chunks: number
    chunksDone: number
    notRun: number
  }
  counts: Record<string, number>
  succeeded: number
  failed: number
  createdAt: string
  finishedAt?: string
  undoOf?: string
  unrestorable?: number
  error?: { code?: string; message?: string } | string
}

export interface JobListEntry {
  jobId: string
  kind: Kind
  total: number
  dryRun: boolean
  createdAt: string
  startedBy?: { kind: string; login?: string; name?: string }
}

export interface ResultsPage {
  total: number
  elements: ItemResult[]
  nextCursor?: string
}

/** An answer of 400 or more: the app's `{ error: { status, code, message } }`. */
export class ApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    /** The whole answer (INVALID_ITEMS carries the invalid items). */
    public readonly body?: unknown,
    /** Retry-After, in seconds (429 TOO_MANY_JOBS). */
    public readonly retryAfterSec?: number
  ) {
    super(message)
  }
}

export const FINISHED: Array<JobSummary['status']> = [
  'done',
  'cancelled',
  'failed',
]

const BASE = '/_v/massive'

const scoreRoute = (kind: Kind) =>
  `${BASE}/${kind === 'product' ? 'product' : 'catalog'}/score/update`

export interface ApiOptions {
  /** Headers added to every call (the local demo's sample token; nothing in the store). */
  headers?: Record<string, string>
  fetch?: typeof fetch
}

export function createApi(options: ApiOptions = {}) {
  const doFetch =
    options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args))

  async function call(path: string, init: RequestInit = {}): Promise<Response> {
    let response: Response

    try {
      response = await doFetch(path, {
        credentials: 'same-origin',
        ...init,
        headers: {
          Accept: 'application/json',
          ...options.headers,
          ...(init.headers as Record<string, string>),
        },
      })
    } catch (error) {
      throw new ApiError(
        0,
        'NETWORK',
        error instanceof Error ? error.message : String(error)
      )
    }

    if (response.status >= 400) {
      let body: { error?: { code?: string; message?: string } } | undefined

      try {
        body = await response.json()
      } catch {
        body = undefined
      }

      const retryAfter = Number(response.headers?.get('Retry-After') ?? NaN)

      throw new ApiError(
        response.status,
        body?.error?.code ?? `HTTP_${response.status}`,
        body?.error?.message ?? response.statusText,
        body,
        Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined
      )
    }

    return response
  }

  const json = async <T>(path: string, init?: RequestInit) =>
    (await (await call(path, init)).json()) as T

  const send = (method: 'PUT' | 'POST', body: unknown) => ({
    method,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })

  const jobPath = (jobId: string) =>
    `${BASE}/score/jobs/${encodeURIComponent(jobId)}`

  return {
    /** A synchronous batch (up to maxItems): a dry run or a write. */
    batch: (
      kind: Kind,
      items: Array<{ id: string; score: string }>,
      dryRun: boolean
    ) =>
      json<BatchAnswer>(
        `${scoreRoute(kind)}${dryRun ? '?dryRun=true' : ''}`,
        send('PUT', items)
      ),
    /** A product job; the key makes a second click answer the same job. */
    startJob: (
      items: Array<{ id: string; score: string }>,
      dryRun: boolean,
      idempotencyKey: string
    ) =>
      json<{ jobId: string; status: string }>(
        `${scoreRoute('product')}?async=true${dryRun ? '&dryRun=true' : ''}`,
        {
          ...send('PUT', items),
          headers: {
            'Content-Type': 'application/json',
            'Idempotency-Key': idempotencyKey,
          },
        }
      ),
    job: (jobId: string) => json<JobSummary>(jobPath(jobId)),
    jobs: (limit = 20) =>
      json<{ jobs: JobListEntry[] }>(`${BASE}/score/jobs?limit=${limit}`),
    results: (jobId: string, cursor: string, limit: number) =>
      json<ResultsPage>(
        `${jobPath(jobId)}/results?cursor=${encodeURIComponent(
          cursor
        )}&limit=${limit}`
      ),
    cancel: (jobId: string) =>
      json<JobSummary>(`${jobPath(jobId)}/cancel`, send('POST', {})),
    undo: (jobId: string) =>
      json<{ jobId: string; status: string }>(
        `${jobPath(jobId)}/undo`,
        send('POST', {})
      ),
    /**
     * The failed rows as the app writes them (the report's columns, a BOM),
     * delimited as asked: the bytes as they came, so the BOM stays (a
     * Response's text() would drop it).
     */
    failedRows: async (jobId: string, delimiter: DelimiterName = 'comma') =>
      (
        await call(
          `${jobPath(jobId)}/report.csv?only=failed&delimiter=${delimiter}`,
          { headers: { Accept: 'text/csv, text/tab-separated-values' } }
        )
      ).blob(),
  }
}

export type Api = ReturnType<typeof createApi>
