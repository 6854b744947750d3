import { ChildProcess, spawn } from 'child_process'
import path from 'path'

export interface SpawnedService {
  url: string
  /** The runtime itself, with no front: where an events bus delivers. */
  runtimeUrl: string
  pid: number
  /** Everything the service wrote to stdout and stderr so far. */
  output(): string
  close(): Promise<void>
  /** SIGKILL: the worker dies mid-flight, as a recycled replica would. */
  kill(): Promise<void>
}

/**
 * Starts the compiled service (`build/local/serviceProcess.js`) in a child
 * process and resolves when it listens. Run `npm run build` first.
 */
export function spawnService(
  env: Record<string, string>,
  timeoutMs = 30_000
): Promise<SpawnedService> {
  // Under ts-jest this file runs from source; the service always runs compiled.
  const entry = __filename.endsWith('.ts')
    ? path.resolve(__dirname, '../build/local/serviceProcess.js')
    : path.join(__dirname, 'serviceProcess.js')

  const child: ChildProcess = spawn(process.execPath, [entry], {
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })

  let output = ''
  let started = false
  const stopWith = (signal: NodeJS.Signals) =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        done()

        return
      }

      child.once('exit', () => done())
      child.kill(signal)
    })

  return new Promise<SpawnedService>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`service did not start in ${timeoutMs} ms:\n${output}`))
    }, timeoutMs)

    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8')
      const ready = /SERVICE_READY (\{.*\})/.exec(output)

      if (ready && !started) {
        started = true
        clearTimeout(timer)
        const { url, runtimeUrl } = JSON.parse(ready[1]) as {
          url: string
          runtimeUrl: string
        }

        resolve({
          url,
          runtimeUrl,
          pid: child.pid as number,
          output: () => output,
          close: () => stopWith('SIGTERM'),
          kill: () => stopWith('SIGKILL'),
        })
      }
    }

    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      if (!started) reject(new Error(`service exited with ${code}:\n${output}`))
    })
  })
}
