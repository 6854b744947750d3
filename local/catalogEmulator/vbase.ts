import { createHash } from 'crypto'
import fs from 'fs'
import http from 'http'
import path from 'path'

/**
 * The VBase HTTP API as the @vtex/api VBase client calls it
 * (`/vbase/v2/{account}/{workspace}/buckets/{app}/{bucket}/files/{path}`),
 * reached as an HTTP proxy: locally the service sets HTTP_PROXY to the
 * emulator, so the real client code path runs unchanged.
 *
 * Like VBase it answers an `ETag` on every read and write and honours
 * `If-Match` on writes and deletes (412 when the file changed), keeps a
 * file's `X-VTEX-TTL` (seconds), and lists a bucket's files by prefix.
 * It also honours `If-None-Match` on writes as RFC 9110 §13.1.2 defines it
 * (`*`: 412 when the file exists; ETags: 412 when one matches), which the
 * job store uses to create a file only if it is absent. @vtex/api's VBase
 * client sends only `If-Match` (saveJSON, saveFile, deleteFile), so that
 * VBase honours `If-None-Match` is an assumption the app states, not a
 * documented fact.
 * With `dir`, files are also kept on disk, so a restart keeps them.
 */
const FILE_PATH =
  /^\/vbase\/v\d+\/([^/]+)\/([^/]+)\/buckets\/(.+)\/files\/(.+)$/
const LIST_PATH = /^\/vbase\/v\d+\/([^/]+)\/([^/]+)\/buckets\/(.+)\/files\/?$/

export interface VBaseStats {
  reads: number
  writes: number
  deletes: number
  lists: number
  /** Writes and deletes refused with 412 because If-Match or If-None-Match did not hold. */
  preconditionFailed: number
}

interface StoredFile {
  body: Buffer
  type: string
  etag: string
  /** Epoch ms after which the file is gone (X-VTEX-TTL). */
  expiresAt?: number
}

export interface VBaseOptions {
  /** Keep files under this folder too (one JSON file per VBase file). */
  dir?: string
  /** Files per listing page (VBase answers a page and a `next` token); 1000 by default. */
  listPageSize?: number
  now?: () => number
}

const etagOf = (body: Buffer) =>
  `"${createHash('sha1').update(body).digest('hex')}"`

export function createVBase(options: VBaseOptions = {}) {
  const now = options.now ?? (() => Date.now())
  const files = new Map<string, StoredFile>()
  let listPageSize = options.listPageSize ?? 1000
  // VTEX documents X-VTEX-TTL only for files @vtex/api saves as content; a test may play a VBase that ignores it on JSON.
  let honoursTtl = true
  const emptyStats = (): VBaseStats => ({
    reads: 0,
    writes: 0,
    deletes: 0,
    lists: 0,
    preconditionFailed: 0,
  })

  let stats = emptyStats()
  const diskPath = (key: string) =>
    path.join(
      options.dir as string,
      `${createHash('sha1').update(key).digest('hex')}.json`
    )

  if (options.dir) {
    fs.mkdirSync(options.dir, { recursive: true })
    for (const name of fs.readdirSync(options.dir)) {
      if (!name.endsWith('.json')) continue
      try {
        const saved = JSON.parse(
          fs.readFileSync(path.join(options.dir, name), 'utf8')
        ) as { key: string; body: string; type: string; expiresAt?: number }

        const body = Buffer.from(saved.body, 'base64')

        files.set(saved.key, {
          body,
          type: saved.type,
          etag: etagOf(body),
          expiresAt: saved.expiresAt,
        })
      } catch {
        // A file cut short by a crash is skipped, as if never written.
      }
    }
  }

  const persist = (key: string, file: StoredFile | undefined) => {
    if (!options.dir) return
    const target = diskPath(key)

    if (!file) {
      fs.rmSync(target, { force: true })

      return
    }

    // Write then rename, so a crash never leaves half a file.
    const temp = `${target}.${process.pid}.tmp`

    fs.writeFileSync(
      temp,
      JSON.stringify({
        key,
        body: file.body.toString('base64'),
        type: file.type,
        expiresAt: file.expiresAt,
      })
    )
    fs.renameSync(temp, target)
  }

  const live = (key: string) => {
    const file = files.get(key)

    if (file?.expiresAt !== undefined && file.expiresAt <= now()) {
      files.delete(key)
      persist(key, undefined)

      return undefined
    }

    return file
  }

  /** If-Match holds when absent, `*` with a file, or the file's ETag. */
  const matches = (header: string | undefined, file: StoredFile | undefined) =>
    header === undefined ||
    (header === '*' ? file !== undefined : file?.etag === header)

  /** If-None-Match holds when absent, `*` with no file, or none of its ETags the file's. */
  const noneMatches = (
    header: string | undefined,
    file: StoredFile | undefined
  ) => {
    if (header === undefined || file === undefined) return true
    if (header.trim() === '*') return false

    return !header
      .split(',')
      .map((tag) => tag.trim())
      .includes(file.etag)
  }

  /** Handles a proxied VBase request; returns false when the URL is not VBase's. */
  const handle = (
    req: http.IncomingMessage,
    res: http.ServerResponse
  ): boolean => {
    let url: URL

    try {
      url = new URL(req.url ?? '')
    } catch {
      return false
    }

    const answer = (
      status: number,
      body?: Buffer,
      headers: Record<string, string> = {}
    ) => {
      res.writeHead(status, {
        ...(body
          ? {
              'Content-Type': 'application/json',
              'Content-Length': body.length,
            }
          : { 'Content-Length': 0 }),
        ...headers,
      })
      res.end(body)
    }

    const listing = LIST_PATH.exec(url.pathname)

    if (listing && req.method === 'GET') {
      stats.lists += 1
      const bucketKey = `${listing.slice(1).map(decodeURIComponent).join('/')}/`

      const prefix = url.searchParams.get('prefix') ?? ''
      // A page of at most `limit` files after the path in `next` (an opaque token to the client).
      const limit = Math.min(
        listPageSize,
        Number(url.searchParams.get('limit')) || listPageSize
      )
      const after = url.searchParams.get('next')
      const from = after ? Buffer.from(after, 'base64url').toString('utf8') : ''
      const keys = [...files.keys()]
        .filter(
          (key) =>
            key.startsWith(bucketKey + prefix) &&
            key.slice(bucketKey.length) > from &&
            live(key)
        )
        .sort()
      const data = keys.slice(0, limit).map((key) => ({
        path: key.slice(bucketKey.length),
        hash: files.get(key)?.etag,
      }))
      const next =
        keys.length > limit
          ? Buffer.from(data[data.length - 1].path).toString('base64url')
          : null

      answer(200, Buffer.from(JSON.stringify({ data, next })))

      return true
    }

    const match = FILE_PATH.exec(url.pathname)

    if (!match) return false
    const key = match.slice(1).map(decodeURIComponent).join('/')
    const ifMatch = req.headers['if-match'] as string | undefined
    const ifNoneMatch = req.headers['if-none-match'] as string | undefined

    if (req.method === 'GET' || req.method === 'HEAD') {
      stats.reads += 1
      const file = live(key)

      if (file)
        answer(200, req.method === 'HEAD' ? undefined : file.body, {
          'Content-Type': file.type,
          ETag: file.etag,
        })
      else
        answer(
          404,
          Buffer.from('{"code":"FileNotFound","message":"File not found"}')
        )
    } else if (req.method === 'PUT') {
      const chunks: Buffer[] = []

      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        // The check and the write happen in one turn of the event loop: atomic.
        const current = live(key)

        if (!matches(ifMatch, current) || !noneMatches(ifNoneMatch, current)) {
          stats.preconditionFailed += 1
          answer(
            412,
            Buffer.from(
              '{"code":"PreconditionFailed","message":"The file changed since it was read"}'
            )
          )

          return
        }

        stats.writes += 1
        const body = Buffer.concat(chunks)
        const ttlSec = Number(req.headers['x-vtex-ttl'])
        const file: StoredFile = {
          body,
          type: req.headers['content-type'] ?? 'application/octet-stream',
          etag: etagOf(body),
          ...(honoursTtl && Number.isInteger(ttlSec) && ttlSec > 0
            ? { expiresAt: now() + ttlSec * 1000 }
            : {}),
        }

        files.set(key, file)
        persist(key, file)
        answer(204, undefined, { ETag: file.etag })
      })
    } else if (req.method === 'DELETE') {
      const file = live(key)

      if (!matches(ifMatch, file)) {
        stats.preconditionFailed += 1
        answer(412)
      } else {
        stats.deletes += 1
        files.delete(key)
        persist(key, undefined)
        answer(file ? 204 : 404)
      }
    } else {
      answer(405)
    }

    return true
  }

  const entryBySuffix = (suffix: string) =>
    [...files].find(([key]) => key.endsWith(suffix) && live(key))

  return {
    handle,
    stats: () => ({ ...stats, files: files.size }),
    resetStats: () => {
      stats = emptyStats()
    },
    /** Files per listing page from now on (a test of a client that follows `next`). */
    /** Whether writes' X-VTEX-TTL expire files (default true). */
    setHonoursTtl: (honours: boolean) => {
      honoursTtl = honours
    },
    setListPageSize: (size: number) => {
      listPageSize = Math.max(1, size)
    },
    /** Test access: the JSON stored at `{account}/{workspace}/{app}/{bucket}/{path}`, by suffix. */
    read: (suffix: string) => {
      const entry = entryBySuffix(suffix)

      return entry ? JSON.parse(entry[1].body.toString('utf8')) : undefined
    },
    /** Test access: the stored keys that contain `part`. */
    keys: (part = '') => [...files.keys()].filter((key) => key.includes(part)),
  }
}
