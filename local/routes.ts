/** The routes of node/service.json, as the local front finds them: public by path, private by app, version, account and workspace. */
import manifest from '../manifest.json'
import service from '../node/service.json'

export interface RoutePolicy {
  effect: 'allow' | 'deny'
  actions: string[]
  principals: string[]
}

export interface ServiceRoute {
  id: string
  path: string
  public: boolean
  policies: RoutePolicy[]
  pattern: RegExp
}

/** `/jobs/:jobId` becomes a pattern with a named group per parameter. */
const patternOf = (path: string) =>
  new RegExp(
    `^${path
      .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      .replace(/:(\w+)/g, '(?<$1>[^/]+)')}$`
  )

const ROUTES: ServiceRoute[] = Object.entries(service.routes).map(
  ([id, route]) => {
    const declared = route as {
      path: string
      public?: boolean
      policies?: RoutePolicy[]
    }

    return {
      id,
      path: declared.path,
      public: Boolean(declared.public),
      policies: declared.policies ?? [],
      pattern: patternOf(declared.path),
    }
  }
)

export const PUBLIC_ROUTES = ROUTES.filter((route) => route.public)
export const PRIVATE_ROUTES = ROUTES.filter((route) => !route.public)

/** This app as the IO router names it: `vendor.name` and its major version. */
export const APP = {
  id: `${manifest.vendor}.${manifest.name}`,
  major: manifest.version.split('.')[0],
}

/** The private routes' host, as `@vtex/api`'s `formatPrivateRoute` builds it. */
export const PRIVATE_HOST = 'app.io.vtex.com'

/** The private prefix of this app in an account and workspace (`formatPrivateRoute`). */
export const privatePrefix = (account: string, workspace: string) =>
  `/${APP.id}/v${APP.major}/${account}/${workspace}`

function match(routes: ServiceRoute[], path: string) {
  for (const route of routes) {
    const found = route.pattern.exec(path.replace(/\/+$/, ''))

    if (found) {
      const params = Object.fromEntries(
        Object.entries(found.groups ?? {}).map(([k, v]) => [
          k,
          decodeURIComponent(v),
        ])
      )

      return { route, params }
    }
  }

  return undefined
}

/**
 * Finds the public route a path belongs to (ignoring the query string and a
 * trailing slash), with its parameters decoded. Throws a URIError when a
 * parameter holds a malformed escape (`%`, `%zz`): the front answers that with a 400.
 */
export function routeForPath(
  url: string
): { route: ServiceRoute; params: Record<string, string> } | undefined {
  return match(PUBLIC_ROUTES, url.split('?')[0])
}

export interface PrivateMatch {
  route: ServiceRoute
  params: Record<string, string>
  account: string
  workspace: string
  /** Where the runtime serves it, as the IO router forwards it: `/{account}/{workspace}{path}?{query}`. */
  runtimeUrl: string
}

/**
 * A private route, as AppClient calls it: `/{vendor}.{name}/v{major}/{account}/{workspace}{path}`,
 * either as a path or, through a proxy, as `http://app.io.vtex.com/…`.
 * Undefined when the URL is not this app's private URL.
 */
export function privateRouteFor(url: string): PrivateMatch | undefined {
  const absolute = /^https?:\/\/([^/]+)(\/.*)?$/i.exec(url)

  if (absolute && absolute[1].toLowerCase() !== PRIVATE_HOST) return undefined
  const [path, query] = (absolute ? absolute[2] ?? '/' : url).split(/\?(.*)/s)
  const parts = /^\/([^/]+)\/v([^/]+)\/([^/]+)\/([^/]+)(\/.*)$/.exec(path)

  if (!parts || parts[1] !== APP.id || parts[2] !== APP.major) return undefined
  const found = match(PRIVATE_ROUTES, parts[5])

  return found
    ? {
        ...found,
        account: parts[3],
        workspace: parts[4],
        runtimeUrl: `/${parts[3]}/${parts[4]}${parts[5]}${
          query !== undefined ? `?${query}` : ''
        }`,
      }
    : undefined
}

/** A principal matches a pattern with `*` wildcards (developers.vtex.com, "Controlling access to app resources"). */
const principalMatches = (pattern: string, principal: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`
  ).test(principal)

/**
 * Whether a route's resource-based policies let a principal use a method:
 * an allow that matches and no deny that does ("Policies denying access
 * have priority"); no policy at all allows no one.
 */
export function policiesAllow(
  policies: RoutePolicy[],
  method: string,
  principal: string
): boolean {
  const applies = (policy: RoutePolicy) =>
    policy.actions.some(
      (action) =>
        action === '*' || action.toLowerCase() === method.toLowerCase()
    ) &&
    policy.principals.some((pattern) => principalMatches(pattern, principal))

  const matching = policies.filter(applies)

  return (
    matching.some((policy) => policy.effect === 'allow') &&
    !matching.some((policy) => policy.effect === 'deny')
  )
}
