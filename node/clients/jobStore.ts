/**
 * The job store's contract: versioned JSON files (an ETag on each read),
 * conditional writes and deletes, a TTL, and listing by prefix. The
 * lifecycle (jobs/) uses it; JobFilesClient (jobFiles.ts) is its VBase
 * implementation. It lives here so that clients/ imports nothing from jobs/.
 */
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
