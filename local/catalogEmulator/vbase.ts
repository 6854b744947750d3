import http from 'http'

/**
 * The VBase HTTP API as the @vtex/api VBase client calls it
 * (`/vbase/v2/{account}/{workspace}/buckets/{app}/{bucket}/files/{path}`),
 * reached as an HTTP proxy: locally the service sets HTTP_PROXY to the
 * emulator, so the real client code path runs unchanged.
 */
const FILE_PATH =
  /^\/vbase\/v\d+\/([^/]+)\/([^/]+)\/buckets\/(.+)\/files\/(.+)$/

export interface VBaseStats {
  reads: number
  writes: number
  deletes: number
}

export function createVBase() {
  const files = new Map<string, { body: Buffer; type: string }>()
  const stats: VBaseStats = { reads: 0, writes: 0, deletes: 0 }

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

    const match = FILE_PATH.exec(url.pathname)

    if (!match) return false
    const key = match.slice(1).map(decodeURIComponent).join('/')
    const answer = (
      status: number,
      body?: Buffer,
      type = 'application/json'
    ) => {
      res.writeHead(
        status,
        body
          ? { 'Content-Type': type, 'Content-Length': body.length }
          : { 'Content-Length': 0 }
      )
      res.end(body)
    }

    if (req.method === 'GET') {
      stats.reads += 1
      const file = files.get(key)

      if (file) answer(200, file.body, file.type)
      else
        answer(
          404,
          Buffer.from('{"code":"FileNotFound","message":"File not found"}')
        )
    } else if (req.method === 'PUT') {
      const chunks: Buffer[] = []

      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        stats.writes += 1
        files.set(key, {
          body: Buffer.concat(chunks),
          type: req.headers['content-type'] ?? 'application/octet-stream',
        })
        answer(204)
      })
    } else if (req.method === 'DELETE') {
      stats.deletes += 1
      answer(files.delete(key) ? 204 : 404)
    } else {
      answer(405)
    }

    return true
  }

  return {
    handle,
    stats: () => ({ ...stats, files: files.size }),
    /** Test access: the JSON stored at `{account}/{workspace}/{app}/{bucket}/{path}`, by suffix. */
    read: (suffix: string) => {
      const entry = [...files].find(([key]) => key.endsWith(suffix))

      return entry ? JSON.parse(entry[1].body.toString('utf8')) : undefined
    },
  }
}
