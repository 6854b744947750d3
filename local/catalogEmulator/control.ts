import type { CatalogEmulator, EmulatorConfig } from './types'
import { readJson, Route, send } from './http'

/** One method of the control API, reached at `/_emulator/{name}`. */
export interface ControlMethod {
  method: 'GET' | 'POST'
  /** What it answers (JSON), or undefined for a 204. */
  run(emulator: CatalogEmulator, body: unknown): unknown
}

/** The control API: what spawn.ts (and the bench) call on an emulator in another process. */
export const CONTROL_METHODS: Record<string, ControlMethod> = {
  stats: { method: 'GET', run: (emulator) => emulator.stats() },
  snapshot: { method: 'GET', run: (emulator) => emulator.snapshot() },
  reset: { method: 'POST', run: (emulator) => emulator.resetStats() },
  /** The service replicas the events bus delivers to: `{ "urls": [...] }`. */
  subscribers: {
    method: 'POST',
    run: (emulator, body) => {
      const urls = (body as { urls?: unknown } | undefined)?.urls

      emulator.events.setSubscribers(
        Array.isArray(urls) ? urls.filter((u) => typeof u === 'string') : []
      )
    },
  },
  breaker: {
    method: 'POST',
    run: (emulator, body) =>
      emulator.openBreaker(Number((body as { forMs?: number })?.forMs ?? 0)),
  },
  configure: {
    method: 'POST',
    run: (emulator, body) =>
      emulator.configure((body ?? {}) as Partial<EmulatorConfig>),
  },
}

const CONTROL_PATH = /^\/_emulator\/(\w+)$/

export function controlRoute(
  emulator: () => CatalogEmulator,
  methods: Record<string, ControlMethod> = CONTROL_METHODS
): Route {
  return {
    name: 'control',
    handle(req, res, path) {
      const match = CONTROL_PATH.exec(path)

      if (!match) return false
      const control = Object.prototype.hasOwnProperty.call(methods, match[1])
        ? methods[match[1]]
        : undefined

      if (!control) {
        send(res, 404, { error: 'Unknown emulator control' })

        return true
      }

      if (req.method !== control.method) {
        send(res, 405, { error: `${match[1]} takes ${control.method}` })

        return true
      }

      const body = control.method === 'POST' ? readJson(req) : undefined

      Promise.resolve(body)
        .then((parsed) => control.run(emulator(), parsed))
        .then((answer) =>
          answer === undefined ? send(res, 204) : send(res, 200, answer)
        )
        .catch((error) =>
          send(res, 400, {
            error: error instanceof Error ? error.message : 'control failed',
          })
        )

      return true
    },
  }
}
