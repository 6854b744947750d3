/** Public paths and their route ids, as declared in node/service.json. */
import service from '../node/service.json'

export interface PublicRoute {
  id: string
  path: string
  pattern: RegExp
}

/** `/jobs/:jobId` becomes a pattern with a named group per parameter. */
const patternOf = (path: string) =>
  new RegExp(
    `^${path
      .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      .replace(/:(\w+)/g, '(?<$1>[^/]+)')}$`
  )

export const PUBLIC_ROUTES: PublicRoute[] = Object.entries(service.routes)
  .filter(([, route]) => (route as { public?: boolean }).public)
  .map(([id, route]) => ({
    id,
    path: route.path,
    pattern: patternOf(route.path),
  }))

/**
 * Finds the route a path belongs to (ignoring the query string and a trailing
 * slash), with its parameters decoded. Throws a URIError when a parameter
 * holds a malformed escape (`%`, `%zz`): the front answers that with a 400.
 */
export function routeForPath(
  url: string
): { route: PublicRoute; params: Record<string, string> } | undefined {
  const path = url.split('?')[0].replace(/\/+$/, '')

  for (const route of PUBLIC_ROUTES) {
    const match = route.pattern.exec(path)

    if (match) {
      const params = Object.fromEntries(
        Object.entries(match.groups ?? {}).map(([k, v]) => [
          k,
          decodeURIComponent(v),
        ])
      )

      return { route, params }
    }
  }

  return undefined
}
