import type { InstanceOptions, IOContext } from '@vtex/api'
import { AppClient } from '@vtex/api'

export type ScoreItem = { id: number | string; score: number | string }

export interface ScoreEnvelope {
  successfulResponses: { elements: unknown[]; quantity: number }
  failedResponses: { elements: unknown[]; quantity: number }
  total: number
}

const PRODUCT_SCORES = '/_v/private/massive/product/score/update'
const CATEGORY_SCORES = '/_v/private/massive/catalog/score/update'

export class MassiveScoreUpdate extends AppClient {
  constructor(context: IOContext, options?: InstanceOptions) {
    // A batch may take up to the route's 60 s; a job's state must be read fresh.
    super('vtex.massive-score-update@0.x', context, {
      timeout: 60_000,
      memoizable: false,
      ...options,
    })
  }

  /** A synchronous batch: up to maxItems (5,000 by default). */
  public updateProductScores(items: ScoreItem[], dryRun = false) {
    return this.http.put<ScoreEnvelope>(PRODUCT_SCORES, items, {
      params: { dryRun },
      metric: 'massive-score-update-products',
    })
  }

  /** The same for categories (synchronous only). */
  public updateCategoryScores(items: ScoreItem[], dryRun = false) {
    return this.http.put<ScoreEnvelope>(CATEGORY_SCORES, items, {
      params: { dryRun },
      metric: 'massive-score-update-categories',
    })
  }

  /** A job: up to maxAsyncItems (100,000 by default), answered 202 at once. */
  public startProductJob(items: ScoreItem[], idempotencyKey?: string) {
    return this.http.put<{ jobId: string; status: string }>(
      PRODUCT_SCORES,
      items,
      {
        params: { async: true },
        headers: idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {},
        metric: 'massive-score-update-job-create',
      }
    )
  }

  /** A job's summary: status, progress, counts by outcome. */
  public jobSummary(jobId: string) {
    return this.http.get<{ status: string; counts: Record<string, number> }>(
      `/_v/private/massive/score/jobs/${encodeURIComponent(jobId)}`,
      { metric: 'massive-score-update-job-summary' }
    )
  }
}
