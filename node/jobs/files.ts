/** A stored JSON file and the ETag it was read with. */
export interface Versioned<T> {
  data: T
  etag: string
}

export interface WriteOptions {
  /** Write only if the file is still at this ETag (VBase If-Match). */
  ifMatch?: string
  /** `*`: create the file only if it does not exist (If-None-Match: *); a 412 when it does. */
  ifNoneMatch?: '*'
  /** The file expires after this many seconds (VBase X-VTEX-TTL). */
  ttlSec?: number
}

/** The job store as the lifecycle sees it; JobFilesClient is its VBase implementation. */
export interface JobFiles {
  read<T>(path: string): Promise<Versioned<T> | null>
  /** Resolves with the new ETag when the store tells it; rejects with JobFileConflict on a 412. */
  write<T>(
    path: string,
    data: T,
    options?: WriteOptions
  ): Promise<string | undefined>
  list(prefix: string): Promise<string[]>
  /** Deletes the file if it is still at this ETag; a file already gone is no error; a JobFileConflict on a 412. */
  remove(path: string, options: { ifMatch: string }): Promise<void>
}

/** A write refused because the file changed since it was read (412). */
export class JobFileConflict extends Error {
  constructor(public readonly path: string) {
    super(`${path} changed since it was read`)
    this.name = 'JobFileConflict'
  }
}

/** Where each part of a job lives in the bucket. */
export const jobPaths = {
  job: (id: string) => `jobs/${id}/job.json`,
  items: (id: string, chunk: number) => `jobs/${id}/chunks/${chunk}/items.json`,
  state: (id: string, chunk: number) => `jobs/${id}/chunks/${chunk}/state.json`,
  results: (id: string, chunk: number, attempt: number) =>
    `jobs/${id}/chunks/${chunk}/results-${attempt}.json`,
  /** The items a claim was about to write, with their Score before the job (jobs/journal.ts). */
  journal: (id: string, chunk: number, attempt: number) =>
    `jobs/${id}/chunks/${chunk}/journal-${attempt}.json`,
  journalPrefix: (id: string, chunk: number) =>
    `jobs/${id}/chunks/${chunk}/journal-`,
  cancel: (id: string) => `jobs/${id}/cancel.json`,
  final: (id: string) => `jobs/${id}/final.json`,
  /** The last time a read found the job stalled and sent its event again: how many readers send it once. */
  kick: (id: string) => `jobs/${id}/kick.json`,
  /** One small file per job, named so that the newest sorts first. */
  indexPrefix: 'index/',
  index: (createdAtMs: number, id: string) =>
    `index/${String(9_999_999_999_999 - createdAtMs).padStart(
      13,
      '0'
    )}-${id}.json`,
  /** The Idempotency-Key claims of keys whose hash starts with the same hex digit. */
  idempotencyShard: (keyHash: string) =>
    `idempotency/shard-${keyHash.slice(0, 1)}.json`,
}
