import http from 'http'

/** One family of paths the emulator serves (see the ordered list in server.ts). */
export interface Route {
  name: string
  /** Takes the request and answers it (possibly later), or returns false to let the next route try. */
  handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    path: string
  ): boolean
}

const MAX_BODY = 1024 * 1024

export const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value))

export const sleep = (ms: number) =>
  new Promise((resolve) => setTimeout(resolve, ms))

/** Answers with a JSON body (or none when `body` is undefined). */
export function send(
  res: http.ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string | number> = {}
) {
  const text = body === undefined ? '' : JSON.stringify(body)

  res.writeHead(status, {
    ...(body === undefined
      ? {}
      : { 'Content-Type': 'application/json; charset=utf-8' }),
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  })
  res.end(text)
}

/** The parsed JSON body, or undefined when it is not JSON or larger than 1 MB. */
export function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0

    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_BODY) chunks.push(chunk)
    })
    req.on('error', reject)
    req.on('end', () => {
      try {
        resolve(
          size > MAX_BODY
            ? undefined
            : JSON.parse(Buffer.concat(chunks).toString('utf8'))
        )
      } catch {
        resolve(undefined)
      }
    })
  })
}
