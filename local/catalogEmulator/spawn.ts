import { spawn } from 'child_process'
import path from 'path'

import type { CatalogObject } from './fields'
import type { EmulatorConfig, EmulatorOptions, EmulatorStats } from './server'

export interface SpawnedEmulator {
  url: string
  pid: number
  stats(): Promise<EmulatorStats>
  resetStats(): Promise<void>
  configure(patch: Partial<EmulatorConfig>): Promise<void>
  /** A breaker phase on demand: every Catalog call is answered 503 for `forMs`. */
  openBreaker(forMs: number): Promise<void>
  snapshot(): Promise<
    Record<'products' | 'categories', Record<string, CatalogObject>>
  >
  close(): Promise<void>
}

/** Starts the compiled emulator (`build/local/catalogEmulator/cli.js`) in a child process. */
export function spawnCatalogEmulator(
  options: EmulatorOptions = {},
  timeoutMs = 15_000
): Promise<SpawnedEmulator> {
  const entry = __filename.endsWith('.ts')
    ? path.resolve(__dirname, '../../build/local/catalogEmulator/cli.js')
    : path.join(__dirname, 'cli.js')
  const child = spawn(process.execPath, [entry, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })

  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`emulator did not start in ${timeoutMs} ms`))
    }, timeoutMs)

    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`emulator exited with ${code}`))
    })
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
      const ready = /EMULATOR_READY (\{.*\})/.exec(output)

      if (!ready) return
      clearTimeout(timer)
      child.stdout.removeAllListeners('data')
      child.stdout.resume()
      const { url } = JSON.parse(ready[1]) as { url: string }
      const control = async <T = unknown>(
        action: string,
        body?: unknown
      ): Promise<T> => {
        const response = await fetch(`${url}/_emulator/${action}`, {
          method: body === undefined && action !== 'reset' ? 'GET' : 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        })

        // A refused control (e.g. an unknown profile name) must not pass silently.
        if (!response.ok)
          throw new Error(
            `emulator control '${action}' answered ${
              response.status
            }: ${await response.text()}`
          )

        return (
          response.status === 204 ? undefined : await response.json()
        ) as T
      }

      resolve({
        url,
        pid: child.pid as number,
        stats: () => control<EmulatorStats>('stats'),
        resetStats: async () => void (await control('reset')),
        configure: async (patch) => void (await control('configure', patch)),
        openBreaker: async (forMs) =>
          void (await control('breaker', { forMs })),
        snapshot: () =>
          control<
            Record<'products' | 'categories', Record<string, CatalogObject>>
          >('snapshot'),
        close: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done()
            child.once('exit', () => done())
            child.kill('SIGTERM')
          }),
      })
    })
  })
}
