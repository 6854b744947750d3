import type { CatalogKind } from '../clients/catalog'
import type { ScoreEnvelope } from '../scores/envelope'
import type { ScoreItem } from '../scores/validate'

export type JobStatus = 'queued' | 'running' | 'done' | 'failed'

export interface JobProgress {
  total: number
  done: number
  succeeded: number
  failed: number
}

/** Everything about a job but its items and results; never any credential. */
export interface JobMeta {
  id: string
  kind: CatalogKind
  account: string
  dryRun: boolean
  /** `?allowFieldDrift=true` when the job was created. */
  allowFieldDrift?: boolean
  status: JobStatus
  progress: JobProgress
  /** Items are stored, and results checkpointed, in chunks of this size. */
  chunkSize: number
  chunks: number
  /** Chunks whose results are stored; a resume starts at the next one. */
  chunksDone: number
  /** Progress as of the stored chunks only (a resume starts from here). */
  checkpoint: Omit<JobProgress, 'total'>
  createdAt: string
  startedAt?: string
  updatedAt: string
  finishedAt?: string
  /** Written every few seconds while a worker runs the job. */
  heartbeatAt: string
  /** Why the job stopped, when it failed (e.g. the Catalog refused the credentials). */
  error?: { status: number; code: string; message: string }
}

/** The part of @vtex/api's VBase client the store uses. */
export interface VBaseFiles {
  getJSON<T>(
    bucket: string,
    path: string,
    nullIfNotFound?: boolean
  ): Promise<T | null>
  saveJSON<T>(bucket: string, path: string, data: T): Promise<unknown>
}

const BUCKET = 'score-jobs'

/** Job state in VBase, so that any replica can answer for any job. */
export class JobStore {
  constructor(private readonly vbase: VBaseFiles) {}

  public async create(meta: JobMeta, items: ScoreItem[]) {
    for (let chunk = 0; chunk < meta.chunks; chunk++) {
      await this.vbase.saveJSON(
        BUCKET,
        `${meta.id}/items-${chunk}.json`,
        items.slice(chunk * meta.chunkSize, (chunk + 1) * meta.chunkSize)
      )
    }

    await this.saveMeta(meta)
  }

  public getMeta(id: string) {
    return this.vbase.getJSON<JobMeta>(BUCKET, `${id}/meta.json`, true)
  }

  public async saveMeta(meta: JobMeta) {
    await this.vbase.saveJSON(BUCKET, `${meta.id}/meta.json`, meta)
  }

  public async getItems(id: string, chunk: number) {
    return (
      (await this.vbase.getJSON<ScoreItem[]>(
        BUCKET,
        `${id}/items-${chunk}.json`,
        true
      )) ?? []
    )
  }

  public async saveResults(id: string, chunk: number, envelope: ScoreEnvelope) {
    await this.vbase.saveJSON(BUCKET, `${id}/results-${chunk}.json`, envelope)
  }

  public getResults(id: string, chunk: number) {
    return this.vbase.getJSON<ScoreEnvelope>(
      BUCKET,
      `${id}/results-${chunk}.json`,
      true
    )
  }
}
