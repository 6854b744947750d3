import type { Route } from './http'
import { createVBase } from './vbase'

export type VBaseStore = ReturnType<typeof createVBase>

/**
 * The service's VBase calls: locally it sets HTTP_PROXY to the emulator, so
 * they arrive as proxied requests with an absolute URL.
 */
export function vbaseRoute(vbase: VBaseStore): Route {
  return {
    name: 'vbase',
    handle: (req, res) =>
      Boolean(req.url?.startsWith('http://')) && vbase.handle(req, res),
  }
}
