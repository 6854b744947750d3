import type { InstanceOptions, IOContext } from '@vtex/api'
import { VBase } from '@vtex/api'

import type { JobFiles, Versioned, WriteOptions } from './jobStore'
import { JobFileConflict } from './jobStore'

export const JOBS_BUCKET = 'score-jobs'

const appName = () => (process.env.VTEX_APP_ID ?? '').split('@')[0]
const fileRoute = (path: string) =>
  `/buckets/${appName()}/${JOBS_BUCKET}/files/${path}`

/** A bound on the pages one listing follows (a `next` that never ends is a bug, not data). */
const MAX_LIST_PAGES = 1000

interface AxiosLikeError {
  response?: { status?: number }
}

/**
 * The job store: @vtex/api's VBase client on the `score-jobs` bucket, with
 * ETags on reads and `If-Match` and a TTL on writes. A 412 (the file changed
 * since it was read, or exists when it had to be absent) becomes a JobFileConflict. Reads are never memoized:
 * a lease must be read as it is now. Reads and plain writes are retried by
 * @vtex/api; a write with If-Match or If-None-Match is sent once (the lifecycle reads the
 * state back on a 412 or a lost answer).
 */
export class JobFilesClient extends VBase implements JobFiles {
  constructor(context: IOContext, options?: InstanceOptions) {
    super(context, { ...options, memoizable: false })
  }

  public async read<T>(path: string): Promise<Versioned<T> | null> {
    const response = await this.getRawJSON<T>(JOBS_BUCKET, path, true)

    if (!response || response.data === null || response.data === undefined)
      return null

    return { data: response.data, etag: String(response.headers?.etag ?? '') }
  }

  public async write<T>(
    path: string,
    data: T,
    options: WriteOptions = {}
  ): Promise<string | undefined> {
    try {
      const conditional = Boolean(options.ifMatch || options.ifNoneMatch)
      const response = await this.http.putRaw(fileRoute(path), data, {
        metric: 'score-jobs-save',
        // A conditional write is never re-sent: a retry of one that landed would meet its own ETag (412).
        ...(conditional ? { retries: 0 } : {}),
        headers: {
          'Content-Type': 'application/json',
          ...(options.ifMatch ? { 'If-Match': options.ifMatch } : {}),
          ...(options.ifNoneMatch
            ? { 'If-None-Match': options.ifNoneMatch }
            : {}),
          ...(options.ttlSec ? { 'X-VTEX-TTL': options.ttlSec } : {}),
        },
      })
      const etag = response.headers?.etag

      return etag ? String(etag) : undefined
    } catch (error) {
      if ((error as AxiosLikeError)?.response?.status === 412)
        throw new JobFileConflict(path)
      throw error
    }
  }

  public async remove(path: string, options: { ifMatch: string }) {
    try {
      await this.deleteFile(JOBS_BUCKET, path, undefined, options.ifMatch)
    } catch (error) {
      const status = (error as AxiosLikeError)?.response?.status

      if (status === 404) return
      if (status === 412) throw new JobFileConflict(path)
      throw error
    }
  }

  /** Every file under `prefix`: VBase answers a page at a time, and each page's `next` is followed. */
  public async list(prefix: string): Promise<string[]> {
    const paths: string[] = []
    let next: string | undefined

    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const listing = await this.listFiles(JOBS_BUCKET, {
        prefix,
        ...(next ? { next } : {}),
      })

      for (const file of listing?.data ?? []) paths.push(file.path)
      next = listing?.next || undefined
      if (!next) return paths
    }

    throw new Error(
      `More than ${MAX_LIST_PAGES} pages of files under ${prefix}`
    )
  }
}
