/** Public paths and their route ids, as declared in node/service.json. */
import service from '../node/service.json'

export interface PublicRoute {
  id: string
  path: string
}

export const PUBLIC_ROUTES: PublicRoute[] = Object.entries(service.routes)
  .filter(([, route]) => (route as { public?: boolean }).public)
  .map(([id, route]) => ({ id, path: route.path }))

/** Finds the route a path belongs to, ignoring the query string and a trailing slash. */
export function routeForPath(url: string): PublicRoute | undefined {
  const path = url.split('?')[0].replace(/\/+$/, '')

  return PUBLIC_ROUTES.find((route) => route.path === path)
}
