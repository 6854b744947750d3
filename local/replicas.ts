import { ChildProcess, spawn } from 'child_process'
import path from 'path'
import readline from 'readline'

/** One service process behind the front of `REPLICAS=n npm start`. */
export interface Replica {
  /** 1-based, as the banner and `X-Local-Replica` name it. */
  number: number
  pid: number
  /** The replica's own front. */
  url: string
  /** Its runtime, with no front (for an events bus that sets the router's headers). */
  runtimeUrl: string
  close(): Promise<void>
}

const ENTRY = path.join(__dirname, 'serviceProcess.js')

function startReplica(
  number: number,
  env: Record<string, string>,
  timeoutMs: number
): Promise<Replica> {
  const child: ChildProcess = spawn(process.execPath, [ENTRY], {
    env: { ...process.env, ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let closing = false
  const stop = () =>
    new Promise<void>((done) => {
      closing = true
      if (child.exitCode !== null || child.signalCode !== null) {
        done()

        return
      }

      child.once('exit', () => done())
      child.kill('SIGTERM')
    })

  return new Promise((resolve, reject) => {
    let ready = false
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`replica ${number} did not start in ${timeoutMs} ms`))
    }, timeoutMs)

    // The replica's log goes on, line by line, with its number in front.
    const relay = (stream: NodeJS.ReadableStream, out: NodeJS.WriteStream) =>
      readline.createInterface({ input: stream }).on('line', (line) => {
        const started = /^SERVICE_READY (\{.*\})$/.exec(line)

        if (started && !ready) {
          ready = true
          clearTimeout(timer)
          const { url, runtimeUrl } = JSON.parse(started[1]) as {
            url: string
            runtimeUrl: string
          }

          resolve({
            number,
            pid: child.pid as number,
            url,
            runtimeUrl,
            close: stop,
          })

          return
        }

        out.write(`[replica ${number}] ${line}\n`)
      })

    relay(child.stdout as NodeJS.ReadableStream, process.stdout)
    relay(child.stderr as NodeJS.ReadableStream, process.stderr)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      if (!ready) {
        reject(new Error(`replica ${number} exited (${code ?? signal})`))
      } else if (!closing) {
        process.stderr.write(
          `[replica ${number}] exited (${
            code ?? signal
          }); the front answers 502 in its turn\n`
        )
      }
    })
  })
}

/** Starts `count` service processes (compiled build), in parallel. */
export async function startReplicas(
  count: number,
  env: Record<string, string>,
  timeoutMs = 60_000
): Promise<Replica[]> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, i) => startReplica(i + 1, env, timeoutMs))
  )
  const replicas = started.flatMap((s) =>
    s.status === 'fulfilled' ? [s.value] : []
  )
  const failed = started.find(
    (s): s is PromiseRejectedResult => s.status === 'rejected'
  )

  if (failed) {
    await Promise.all(replicas.map((replica) => replica.close()))
    throw failed.reason
  }

  return replicas
}
