/**
 * `npm start`: the real service on http://localhost:$PORT (default 8080).
 * It also starts the bundled emulator, which serves VBase for async jobs and,
 * unless CATALOG_URL is set, the Catalog, seeded with sample products and categories.
 * `REPLICAS=n` runs n service processes behind the front, as IO runs replicas.
 */
import path from 'path'

import {
  CatalogEmulator,
  SAMPLE_CREDENTIALS,
  startCatalogEmulator,
} from './catalogEmulator'
import {
  envTimeout,
  FrontOptions,
  forwardRoundRobin,
  startFront,
} from './front'
import { ADMIN_PAGE_PATH, buildAdminPage } from './adminPage'
import { seedAdminDemo } from './admin/demoSeed'
import { startReplicas } from './replicas'
import { ignoredEnvSettings } from '../node/settings'
import { PRIVATE_ROUTES, privatePrefix, PUBLIC_ROUTES } from './routes'
import { samplePrincipalOf, startLocalService } from './service'

export interface LocalStackOptions {
  port: number
  /** Service processes behind the front; 1 runs the runtime in this process. */
  replicas: number
  account?: string
  workspace?: string
  /** Pages the front serves before the routes (the local admin page). */
  pages?: FrontOptions['pages']
}

export interface LocalStack {
  /** The front: what callers use. */
  url: string
  emulator: CatalogEmulator
  /** Each replica's pid, its own front and its runtime (for an events bus). */
  replicas: Array<{
    number: number
    pid: number
    url: string
    runtimeUrl: string
  }>
  close(): Promise<void>
}

/** The emulator, then the service: in this process, or `replicas` processes behind a round-robin front. */
export async function startLocalStack(
  options: LocalStackOptions
): Promise<LocalStack> {
  // The emulator always serves VBase (for async jobs); it is the Catalog too unless CATALOG_URL is set.
  const emulator = await startCatalogEmulator({
    port: Number(process.env.EMULATOR_PORT ?? 0),
    latency: { meanMs: 20, jitterMs: 10 },
    seed: { products: 50, categories: 20 },
    // Jobs survive a restart: VBase files are kept on disk (git-ignored).
    vbaseDir:
      process.env.VBASE_DIR ?? path.resolve(__dirname, '../../.data/vbase'),
  })

  if (!process.env.CATALOG_URL) {
    // Job chunks run with the app's credentials: locally the emulator's sample app key pair.
    const [appKey, { token }] = Object.entries(SAMPLE_CREDENTIALS.appKeys)[0]

    process.env.VTEX_APP_KEY = process.env.VTEX_APP_KEY ?? appKey
    process.env.VTEX_APP_TOKEN = process.env.VTEX_APP_TOKEN ?? token
    process.env.CATALOG_URL = emulator.url
  }

  if (options.replicas <= 1) {
    const service = await startLocalService({
      port: options.port,
      account: options.account,
      workspace: options.workspace,
      vbaseProxyUrl: emulator.url,
      pages: options.pages,
    })

    // The events bus delivers job chunk events to the runtime, as IO does.
    emulator.events.setSubscribers([service.runtimeUrl])

    return {
      url: service.url,
      emulator,
      replicas: [
        {
          number: 1,
          pid: process.pid,
          url: service.url,
          runtimeUrl: service.runtimeUrl,
        },
      ],
      close: async () => {
        await service.close()
        await emulator.close()
      },
    }
  }

  const replicas = await startReplicas(options.replicas, {
    CATALOG_URL: process.env.CATALOG_URL,
    VBASE_PROXY_URL: emulator.url,
  })
  const front = await startFront({
    port: options.port,
    account: options.account,
    workspace: options.workspace,
    handle: forwardRoundRobin(replicas.map((replica) => replica.url)),
    pages: options.pages,
    principalOf: samplePrincipalOf,
    handlesPrivatePaths: false,
    headersTimeoutMs: envTimeout('FRONT_HEADERS_TIMEOUT_MS'),
    requestTimeoutMs: envTimeout('FRONT_REQUEST_TIMEOUT_MS'),
  })

  // Job chunk events go to any replica's runtime, round robin.
  emulator.events.setSubscribers(replicas.map((replica) => replica.runtimeUrl))

  return {
    url: front.url,
    emulator,
    replicas: replicas.map(({ number, pid, url, runtimeUrl }) => ({
      number,
      pid,
      url,
      runtimeUrl,
    })),
    close: async () => {
      await front.close()
      await Promise.all(replicas.map((replica) => replica.close()))
      await emulator.close()
    },
  }
}

/** Every route of node/service.json, so the banner cannot fall behind: public ones, then the private ones other IO apps call. */
export function routeBanner(
  baseUrl: string,
  account = 'local',
  workspace = 'master'
): string {
  const prefix = privatePrefix(account, workspace)
  const width = Math.max(
    ...PRIVATE_ROUTES.map((route) => prefix.length + route.path.length)
  )
  const line = (path: string, id: string) =>
    `  ${baseUrl}${path.padEnd(width)}  (${id})\n`

  return (
    PUBLIC_ROUTES.map((route) => line(route.path, route.id)).join('') +
    'Private routes, for other IO apps (Authorization: Bearer, as AppClient sends it):\n' +
    PRIVATE_ROUTES.map((route) => line(prefix + route.path, route.id)).join('')
  )
}

async function main() {
  const replicaCount = Number(process.env.REPLICAS ?? 1)

  if (
    !Number.isInteger(replicaCount) ||
    replicaCount < 1 ||
    replicaCount > 16
  ) {
    throw new Error(
      `REPLICAS must be an integer from 1 to 16, not '${process.env.REPLICAS}'`
    )
  }

  const catalogFromEnv = Boolean(process.env.CATALOG_URL)

  for (const problem of ignoredEnvSettings())
    process.stderr.write(`Setting ignored: ${problem}\n`)

  // Against a store, jobs need an app key pair to run with: without one they are refused, not failed.
  const jobsRefused =
    catalogFromEnv && !(process.env.VTEX_APP_KEY && process.env.VTEX_APP_TOKEN)

  if (jobsRefused) process.env.LOCAL_STORE_WITHOUT_APP_KEY = 'true'
  const stack = await startLocalStack({
    port: Number(process.env.PORT ?? 8080),
    replicas: replicaCount,
    account: process.env.VTEX_ACCOUNT,
    workspace: process.env.VTEX_WORKSPACE,
    pages: await buildAdminPage(),
  })

  // The admin page's demo: guarded cases at ids of their own (the samples 1-50 stay as they are).
  if (!catalogFromEnv) seedAdminDemo(stack.emulator)

  if (!catalogFromEnv) {
    const [userToken] = Object.keys(SAMPLE_CREDENTIALS.userTokens)

    process.stdout.write(
      `Catalog emulator at ${stack.emulator.url} (sample credential: VtexIdclientAutCookie: ${userToken})\n`
    )
  }

  const publicUrl = stack.url.replace('127.0.0.1', 'localhost')

  process.stdout.write(
    `massive-score-update listening on ${publicUrl}\n` +
      `Admin page: ${publicUrl}${ADMIN_PAGE_PATH}\n` +
      routeBanner(
        publicUrl,
        process.env.VTEX_ACCOUNT,
        process.env.VTEX_WORKSPACE
      ) +
      stack.replicas
        .map(
          (replica) =>
            `replica ${replica.number}: pid ${replica.pid}${
              replica.pid === process.pid ? ' (this process)' : ''
            }, runtime at ${replica.runtimeUrl}\n`
        )
        .join('') +
      `Catalog: ${process.env.CATALOG_URL}\n` +
      (jobsRefused
        ? 'Jobs (?async=true) are refused: set VTEX_APP_KEY and VTEX_APP_TOKEN (an app key whose role has "Product and SKU Management") to run them against this store.\n'
        : '')
  )

  const stop = async () => {
    await stack.close()
    process.exit(0)
  }

  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(
      `npm start failed: ${
        error instanceof Error ? error.message : String(error)
      }\n`
    )
    process.exit(1)
  })
}
