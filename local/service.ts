import fs from 'fs'
import http from 'http'
import path from 'path'

import { routeForPath } from './routes'

export interface LocalServiceOptions {
  port: number
  /** Where the service's VBase calls go (the emulator, reached as an HTTP proxy). */
  vbaseProxyUrl?: string
  host?: string
  account?: string
  workspace?: string
}

export interface LocalService {
  url: string
  port: number
  close(): Promise<void>
}

// Headers only the VTEX router may set; a caller must not smuggle them in.
const ROUTER_HEADERS = [
  'x-colossus-route-id',
  'x-vtex-credential',
  'x-vtex-account',
  'x-vtex-workspace',
]

/**
 * Lays out the compiled app the way the IO runtime expects it
 * (`<cwd>/service/service.json`, `<cwd>/service/src/node/index`).
 */
function prepareRuntimeDir(): string {
  const compiledNode = path.resolve(__dirname, '../node')
  const runtimeDir = path.resolve(__dirname, '../runtime')
  const entryDir = path.join(runtimeDir, 'service/src/node')

  fs.mkdirSync(entryDir, { recursive: true })
  fs.copyFileSync(
    path.join(compiledNode, 'service.json'),
    path.join(runtimeDir, 'service/service.json')
  )
  fs.writeFileSync(
    path.join(entryDir, 'index.js'),
    `module.exports = require(${JSON.stringify(
      path.join(compiledNode, 'index.js')
    )})\n`
  )

  return runtimeDir
}

/**
 * Serves the real @vtex/api worker behind a thin front that does what the
 * VTEX router does: pick the route id from the path and set the account.
 * Must run from the compiled build, in a process of its own (it changes cwd).
 */
export async function startLocalService(
  options: LocalServiceOptions
): Promise<LocalService> {
  process.env.VTEX_APP_ID =
    process.env.VTEX_APP_ID ?? 'vtex.massive-score-update@0.1.0'
  process.env.SCORE_SETTINGS_FROM_ENV = 'true'
  if (options.vbaseProxyUrl) {
    // The IO runtime reaches VBase at http://infra.io.vtex.com when VTEX_IO is set;
    // the proxy sends those calls to the emulator, and nothing else goes through it.
    process.env.VTEX_IO = 'true'
    process.env.HTTP_PROXY = options.vbaseProxyUrl
    process.env.NO_PROXY = '127.0.0.1,localhost'
  }
  process.chdir(prepareRuntimeDir())

  // The order matters: @vtex/api sets up its globals before the worker loads.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@vtex/api')
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startWorker } = require('@vtex/api/lib/service/worker')
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { getServiceJSON } = require('@vtex/api/lib/service/loaders')

  const worker = startWorker(getServiceJSON())
  const handle = worker.callback() as http.RequestListener
  const account = options.account ?? 'local'
  const workspace = options.workspace ?? 'master'

  const server = http.createServer((req, res) => {
    // An IO event (from the emulator's events bus) goes to the runtime as it is.
    if (
      req.method === 'POST' &&
      req.headers['x-event-handler-id'] &&
      /^\/[^/]+\/[^/]+\/_events$/.test((req.url ?? '').split('?')[0])
    ) {
      handle(req, res)

      return
    }

    const found = routeForPath(req.url ?? '/')

    if (!found) {
      res.writeHead(404, { 'Content-Type': 'application/json' })
      res.end(
        JSON.stringify({
          error: {
            status: 404,
            code: 'NOT_FOUND',
            message: `No route for ${req.url?.split('?')[0]}.`,
          },
        })
      )

      return
    }

    for (const header of ROUTER_HEADERS) delete req.headers[header]
    req.headers['x-colossus-route-id'] = found.route.id
    req.headers['x-colossus-params'] = new URLSearchParams(
      found.params
    ).toString()
    req.headers['x-vtex-account'] = account
    req.headers['x-vtex-workspace'] = workspace
    handle(req, res)
  })

  // Batches are long; the route timeout in service.json is the bound, not Node's defaults.
  server.requestTimeout = 0
  server.headersTimeout = 60_000
  server.keepAliveTimeout = 5_000

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
