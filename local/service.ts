import fs from 'fs'
import http from 'http'
import path from 'path'

import manifest from '../manifest.json'
import { principalOf, SAMPLE_CREDENTIALS } from './catalogEmulator'
import { envTimeout, FrontOptions, startFront } from './front'

export interface LocalServiceOptions {
  port: number
  /** Where the service's VBase calls go (the emulator, reached as an HTTP proxy). */
  vbaseProxyUrl?: string
  host?: string
  account?: string
  workspace?: string
  /** Pages the front serves before the routes (the local admin page). */
  pages?: FrontOptions['pages']
}

export interface LocalService {
  /** The front: what callers use. */
  url: string
  port: number
  /** The runtime itself, with no front: for callers that set the router's headers themselves (an events bus). */
  runtimeUrl: string
  close(): Promise<void>
}

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

/** The IO router's view of the emulator's sample tokens, for private routes. */
export const samplePrincipalOf = (
  token: string,
  account: string,
  workspace: string
) => principalOf(token, SAMPLE_CREDENTIALS, account, workspace)

const logLine = (line: string) => process.stderr.write(`${line}\n`)

/**
 * After every request @vtex/api prints a billing record as a JSON line
 * (`{"__VTEX_IO_BILLING":"true",...}`, from `logBillingInfo` in
 * lib/service/worker/runtime/http/middlewares/timings.js, with
 * console.log), which IO's infrastructure collects from the output. No
 * one bills a local run: those lines are dropped here, and only here; the
 * route's own line, printed just before, stays.
 */
function silenceBillingLines() {
  const log = console.log.bind(console)

  console.log = (...args: unknown[]) => {
    if (
      typeof args[0] === 'string' &&
      args[0].startsWith('{"__VTEX_IO_BILLING":')
    ) {
      return
    }

    log(...args)
  }
}

/**
 * Serves the real @vtex/api worker behind the local front (`./front`).
 * Must run from the compiled build, in a process of its own (it changes cwd).
 */
export async function startLocalService(
  options: LocalServiceOptions
): Promise<LocalService> {
  process.env.VTEX_APP_ID =
    process.env.VTEX_APP_ID ??
    `${manifest.vendor}.${manifest.name}@${manifest.version}`
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

  silenceBillingLines()
  const worker = startWorker(getServiceJSON())

  // Koa prints the whole stack of every error that reaches the app, a client
  // that hung up mid-body included; one line says as much.
  worker.on('error', (error: NodeJS.ErrnoException) => {
    logLine(
      `runtime: ${error.code ?? 'error'}: ${String(error.message).slice(
        0,
        200
      )}`
    )
  })

  const handle = worker.callback() as http.RequestListener
  const front = await startFront({
    port: options.port,
    host: options.host,
    account: options.account,
    workspace: options.workspace,
    handle,
    pages: options.pages,
    principalOf: samplePrincipalOf,
    headersTimeoutMs: envTimeout('FRONT_HEADERS_TIMEOUT_MS'),
    requestTimeoutMs: envTimeout('FRONT_REQUEST_TIMEOUT_MS'),
  })

  const runtime = http.createServer(handle)

  runtime.on('clientError', (_error, socket) => socket.destroy())
  await new Promise<void>((resolve) =>
    runtime.listen(0, '127.0.0.1', () => resolve())
  )

  const { port: runtimePort } = runtime.address() as { port: number }

  return {
    url: front.url,
    port: front.port,
    runtimeUrl: `http://127.0.0.1:${runtimePort}`,
    close: async () => {
      runtime.closeAllConnections()
      await Promise.all([
        front.close(),
        new Promise<void>((resolve) => runtime.close(() => resolve())),
      ])
    },
  }
}
