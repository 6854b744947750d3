/**
 * `npm start`: the real service on http://localhost:$PORT (default 8080).
 * It also starts the bundled emulator, which serves VBase for async jobs and,
 * unless CATALOG_URL is set, the Catalog, seeded with sample products and categories.
 */
import path from 'path'

import { SAMPLE_CREDENTIALS, startCatalogEmulator } from './catalogEmulator'
import { startLocalService } from './service'

async function main() {
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
    // Job chunks run with the app's credentials; locally the emulator's sample app key pair.
    const [appKey, { token }] = Object.entries(SAMPLE_CREDENTIALS.appKeys)[0]

    process.env.VTEX_APP_KEY = process.env.VTEX_APP_KEY ?? appKey
    process.env.VTEX_APP_TOKEN = process.env.VTEX_APP_TOKEN ?? token
    process.env.CATALOG_URL = emulator.url
    const [userToken] = Object.keys(SAMPLE_CREDENTIALS.userTokens)

    process.stdout.write(
      `Catalog emulator at ${emulator.url} (sample credential: VtexIdclientAutCookie: ${userToken})\n`
    )
  }

  const service = await startLocalService({
    port: Number(process.env.PORT ?? 8080),
    account: process.env.VTEX_ACCOUNT,
    workspace: process.env.VTEX_WORKSPACE,
    vbaseProxyUrl: emulator.url,
  })

  // The events bus delivers job chunk events to this replica.
  emulator.events.setSubscribers([service.url])
  const publicUrl = service.url.replace('127.0.0.1', 'localhost')

  process.stdout.write(
    `massive-score-update listening on ${publicUrl}\n` +
      `  PUT ${publicUrl}/_v/massive/product/score/update\n` +
      `  PUT ${publicUrl}/_v/massive/catalog/score/update\n` +
      `  GET ${publicUrl}/_v/massive/score/jobs/{jobId}\n` +
      `Catalog: ${process.env.CATALOG_URL}\n`
  )

  const stop = async () => {
    await service.close()
    await emulator.close()
    process.exit(0)
  }

  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main().catch((error) => {
  process.stderr.write(
    `npm start failed: ${
      error instanceof Error ? error.message : String(error)
    }\n`
  )
  process.exit(1)
})
