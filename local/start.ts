/**
 * `npm start`: the real service on http://localhost:$PORT (default 8080).
 * Unless CATALOG_URL is set, it also starts the bundled Catalog emulator,
 * seeded with sample products and categories, and points the service at it.
 */
import { SAMPLE_CREDENTIALS, startCatalogEmulator } from './catalogEmulator'
import { startLocalService } from './service'

async function main() {
  let closeEmulator: (() => Promise<void>) | undefined

  if (!process.env.CATALOG_URL) {
    const emulator = await startCatalogEmulator({
      port: Number(process.env.EMULATOR_PORT ?? 0),
      latency: { meanMs: 20, jitterMs: 10 },
    })

    process.env.CATALOG_URL = emulator.url
    closeEmulator = () => emulator.close()
    const [userToken] = Object.keys(SAMPLE_CREDENTIALS.userTokens)

    process.stdout.write(
      `Catalog emulator at ${emulator.url} (sample credential: VtexIdclientAutCookie: ${userToken})\n`
    )
  }

  const service = await startLocalService({
    port: Number(process.env.PORT ?? 8080),
    account: process.env.VTEX_ACCOUNT,
    workspace: process.env.VTEX_WORKSPACE,
  })

  const publicUrl = service.url.replace('127.0.0.1', 'localhost')

  process.stdout.write(
    `massive-score-update listening on ${publicUrl}\n` +
      `  PUT ${publicUrl}/_v/massive/product/score/update\n` +
      `  PUT ${publicUrl}/_v/massive/catalog/score/update\n` +
      `Catalog: ${process.env.CATALOG_URL}\n`
  )

  const stop = async () => {
    await service.close()
    await closeEmulator?.()
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
