import { AppClient, InstanceOptions, IOContext } from '@vtex/api'

export interface ScoreItem {
  id: number | string
  score: number | string
}

/**
 * vtex.massive-score-update, called from another VTEX IO app with that app's
 * own token. Declare `"vtex.massive-score-update": "0.x"` in the app's
 * manifest dependencies, and the Catalog policy its token needs
 * (`ManterFormularioProdutoSku` for products).
 */
export class MassiveScoreUpdate extends AppClient {
  constructor(context: IOContext, options?: InstanceOptions) {
    // A batch may take up to the route's 60 s; a job's state must be read fresh.
    super('vtex.massive-score-update@0.x', context, {
      timeout: 60_000,
      memoizable: false,
      ...options,
    })
  }

  /** Updates the Score of up to 5,000 products; `dryRun` reads only. */
  public updateProductScores(items: ScoreItem[], dryRun = false) {
    return this.http.put('/_v/private/massive/product/score/update', items, {
      params: dryRun ? { dryRun: 'true' } : {},
      metric: 'massive-score-update-products',
    })
  }

  /** Updates the Score of up to 5,000 categories; `dryRun` reads only. */
  public updateCategoryScores(items: ScoreItem[], dryRun = false) {
    return this.http.put('/_v/private/massive/catalog/score/update', items, {
      params: dryRun ? { dryRun: 'true' } : {},
      metric: 'massive-score-update-categories',
    })
  }

  /** Starts a job for up to 100,000 products; answers its `jobId`. */
  public startProductJob(items: ScoreItem[]) {
    return this.http.put<{ jobId: string; status: string }>(
      '/_v/private/massive/product/score/update',
      items,
      { params: { async: 'true' }, metric: 'massive-score-update-job' }
    )
  }

  /** A job's summary: status, counts by outcome. */
  public job(jobId: string) {
    return this.http.get<{ status: string; total: number }>(
      `/_v/private/massive/score/jobs/${encodeURIComponent(jobId)}`,
      { metric: 'massive-score-update-job-summary' }
    )
  }
}
