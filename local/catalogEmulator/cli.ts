/**
 * The emulator in a process of its own (the benchmark). Options come as JSON
 * in argv[2] or EMULATOR_OPTIONS; it prints `EMULATOR_READY {"url":...}`.
 * Counters and settings are reached over HTTP under /_emulator/.
 */
import { startCatalogEmulator } from './server'

async function main() {
  const options = JSON.parse(
    process.argv[2] ?? process.env.EMULATOR_OPTIONS ?? '{}'
  )
  const emulator = await startCatalogEmulator(options)

  process.stdout.write(
    `EMULATOR_READY ${JSON.stringify({
      url: emulator.url,
      pid: process.pid,
    })}\n`
  )
  const stop = () => emulator.close().then(() => process.exit(0))

  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((error) => {
  process.stderr.write(
    `emulator failed: ${
      error instanceof Error ? error.message : String(error)
    }\n`
  )
  process.exit(1)
})
