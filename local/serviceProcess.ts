/**
 * Entry of the service in a process of its own (tests, bench, the replicas of
 * `REPLICAS=n npm start`). Prints `SERVICE_READY {"url","runtimeUrl","pid"}`
 * once it listens; CATALOG_URL must be set.
 */
import { startLocalService } from './service'

async function main() {
  const service = await startLocalService({
    port: Number(process.env.PORT ?? 0),
    account: process.env.VTEX_ACCOUNT,
    workspace: process.env.VTEX_WORKSPACE,
    vbaseProxyUrl: process.env.VBASE_PROXY_URL,
  })

  process.stdout.write(
    `SERVICE_READY ${JSON.stringify({
      url: service.url,
      runtimeUrl: service.runtimeUrl,
      pid: process.pid,
    })}\n`
  )

  const stop = () => service.close().then(() => process.exit(0))

  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((error) => {
  process.stderr.write(
    `service failed to start: ${
      error instanceof Error ? error.message : String(error)
    }\n`
  )
  process.exit(1)
})
