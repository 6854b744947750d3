import http from 'http'
import type net from 'net'

import {
  policiesAllow,
  PrivateMatch,
  privateRouteFor,
  routeForPath,
} from './routes'

/**
 * The local front: what the VTEX router does in front of a service. It picks
 * the route id from the path, sets the account and workspace, and hands the
 * request on. It must survive any request: a bad one gets a 4xx, a slow one
 * a timeout, an aborted one a line in the log.
 */
export interface FrontOptions {
  port: number
  host?: string
  account?: string
  workspace?: string
  /** Where a routed request goes: the runtime in this process, or replicas (`forwardRoundRobin`). */
  handle: http.RequestListener
  /** Time for a client to send its headers (default 10 s). */
  headersTimeoutMs?: number
  /** Time for a client to send its whole request, body included (default 60 s, the route timeout); the answer may take longer. */
  requestTimeoutMs?: number
  /** One line per event worth telling (default: stderr). */
  log?(line: string): void
  /**
   * Who a token is, as the IO router asks VTEX ID before it applies a private
   * route's policies; without it, private routes answer 404, as for another app.
   */
  principalOf?(
    token: string,
    account: string,
    workspace: string
  ): string | undefined
  /**
   * Whether `handle` is the runtime (default), which serves a private route
   * at `/{account}/{workspace}{path}` as the IO router forwards it; false when
   * it forwards to replicas' fronts, which check and rewrite it themselves.
   */
  handlesPrivatePaths?: boolean
  /** Pages served before any route (the local admin page); answers whether it served the request. */
  pages?(req: http.IncomingMessage, res: http.ServerResponse): boolean
}

export interface Front {
  url: string
  port: number
  close(): Promise<void>
}

// Headers only the VTEX router may set; a caller must not smuggle them in.
const ROUTER_HEADERS = [
  'x-colossus-route-id',
  'x-colossus-params',
  'x-vtex-credential',
  'x-vtex-account',
  'x-vtex-workspace',
]

const DEFAULT_HEADERS_TIMEOUT_MS = 10_000
const DEFAULT_REQUEST_TIMEOUT_MS = 60_000

function answer(
  res: http.ServerResponse,
  status: number,
  code: string,
  message: string
) {
  if (res.headersSent) {
    res.destroy()

    return
  }

  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
  })
  res.end(JSON.stringify({ error: { status, code, message } }))
}

const pathOf = (url: string) => url.split('?')[0].slice(0, 200)

/** The token a private route's caller sends: `Authorization: Bearer` (AppClient) or VtexIdclientAutCookie. */
function privateTokenOf(req: http.IncomingMessage): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')
  const cookie = req.headers.vtexidclientautcookie

  return bearer?.[1] ?? (typeof cookie === 'string' ? cookie : undefined)
}

/** Node's client error codes, as a person would say them. */
function clientErrorReason(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNRESET':
    case 'HPE_INVALID_EOF_STATE':
      return 'a client closed its connection before its request was complete'

    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 'a client was too slow to send its request; answered 408'

    case 'HPE_HEADER_OVERFLOW':
      return 'a request had too large headers; answered 400'

    default:
      return 'a malformed request; answered 400'
  }
}

const defaultLog = (line: string) => process.stderr.write(`${line}\n`)

export function envTimeout(name: string): number | undefined {
  const value = Number(process.env[name])

  return Number.isInteger(value) && value > 0 ? value : undefined
}

export async function startFront(options: FrontOptions): Promise<Front> {
  const log = options.log ?? defaultLog
  const account = options.account ?? 'local'
  const workspace = options.workspace ?? 'master'
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
  const headersTimeout = Math.min(
    options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
    requestTimeout
  )

  const server = http.createServer(
    {
      headersTimeout,
      requestTimeout,
      // Node checks both timeouts on this tick (30 s by default, longer than a short timeout).
      connectionsCheckingInterval: Math.min(1_000, headersTimeout),
    },
    (req, res) => {
      const url = req.url ?? '/'

      if (options.pages?.(req, res)) return
      let found:
        | (NonNullable<ReturnType<typeof routeForPath>> & Partial<PrivateMatch>)
        | undefined

      try {
        const asPrivate = options.principalOf ? privateRouteFor(url) : undefined

        if (asPrivate) {
          // What the IO router does first on a private route: authenticate, then apply its policies.
          const token = privateTokenOf(req)
          const principal = token
            ? options.principalOf?.(
                token,
                asPrivate.account,
                asPrivate.workspace
              )
            : undefined

          if (!principal) {
            answer(
              res,
              401,
              'UNAUTHENTICATED',
              'Private routes require a VTEX ID token (Authorization: Bearer, or VtexIdclientAutCookie).'
            )

            return
          }

          if (
            !policiesAllow(
              asPrivate.route.policies,
              req.method ?? '',
              principal
            )
          ) {
            answer(
              res,
              403,
              'ACCESS_DENIED',
              `No policy of route ${asPrivate.route.id} allows ${principal} to ${req.method}.`
            )

            return
          }
        }

        found = asPrivate ?? routeForPath(url)
      } catch {
        answer(
          res,
          400,
          'MALFORMED_PATH',
          `The path ${JSON.stringify(
            pathOf(url)
          )} is not a valid URL path: a '%' must start an escape such as %20.`
        )

        return
      }

      if (!found) {
        answer(res, 404, 'NOT_FOUND', `No route for ${pathOf(url)}.`)

        return
      }

      for (const header of ROUTER_HEADERS) delete req.headers[header]
      req.headers['x-vtex-account'] = found.account ?? account
      req.headers['x-vtex-workspace'] = found.workspace ?? workspace
      if (!found.route.public) {
        // @vtex/api serves a private route at /:account/:workspace{path}, by path, not by route id.
        if (options.handlesPrivatePaths ?? true) req.url = found.runtimeUrl
      } else {
        req.headers['x-colossus-route-id'] = found.route.id
        req.headers['x-colossus-params'] = new URLSearchParams(
          found.params
        ).toString()
      }

      try {
        options.handle(req, res)
      } catch (error) {
        log(
          `front: ${req.method} ${pathOf(url)} failed: ${
            error instanceof Error ? error.message : String(error)
          }`
        )
        answer(res, 500, 'INTERNAL_ERROR', 'The local front failed.')
      }
    }
  )

  server.keepAliveTimeout = 5_000

  // A malformed request, a slow one cut by a timeout, or one the client dropped: one line, no stack.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    log(`front: ${clientErrorReason(error)} (${error.code ?? 'no code'})`)

    // As Node's own handler does: answer only if nothing was written on this socket yet.
    if (socket.writable && (socket as net.Socket).bytesWritten === 0) {
      const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400

      socket.write(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`
      )
    }

    socket.destroy()
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve())
  })

  const { port } = server.address() as { port: number }

  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/**
 * Forwards each request to the next of `urls` in turn, as the IO router
 * spreads requests over replicas. The answer names the replica that served it
 * (`X-Local-Replica`, 1-based), so the spread can be seen.
 */
export function forwardRoundRobin(
  urls: string[],
  log: (line: string) => void = defaultLog
): http.RequestListener {
  let next = 0

  return (req, res) => {
    const index = next
    const target = new URL(urls[index])

    next = (next + 1) % urls.length

    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answerOf) => {
        res.writeHead(answerOf.statusCode ?? 502, {
          ...answerOf.headers,
          'x-local-replica': String(index + 1),
        })
        answerOf.pipe(res)
        answerOf.once('error', () => res.destroy())
      }
    )

    upstream.once('error', (error: NodeJS.ErrnoException) => {
      // Not `req.destroyed`: a request read to its end is destroyed too, and still waits for its answer.
      if (res.writableEnded || res.destroyed) return
      log(
        `front: replica ${index + 1} did not answer (${
          error.code ?? error.message
        })`
      )
      answer(
        res,
        502,
        'REPLICA_UNAVAILABLE',
        `Local replica ${index + 1} did not answer.`
      )
    })
    // The caller went away: so does the forwarded request.
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy()
    })
    req.pipe(upstream)
  }
}
