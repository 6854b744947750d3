import { RequestError } from '../input/requestError'

const refuse = (why: string) =>
  new RequestError(
    403,
    'CROSS_SITE_REQUEST',
    `${why} A request that carries only the admin cookie must come from the admin's own pages with Content-Type: application/json; scripts send the token in the VtexIdclientAutCookie header instead.`
  )

/** The host the browser addressed: the IO router forwards it as X-Forwarded-Host. */
const hostOf = (ctx: Pick<Context, 'get' | 'host'>) =>
  (ctx.get('X-Forwarded-Host') || ctx.host).split(',')[0].trim().toLowerCase()

/**
 * A browser adds the admin cookie to any request to this host, a form's on
 * another site included. So a state-changing request whose only credential
 * is that cookie must also be one no other site can make: JSON (a form
 * cannot send it without a CORS preflight, which this app never grants),
 * and from this origin whenever the browser says where it comes from
 * (`Origin`, `Sec-Fetch-Site`). A credential sent in a header needs none of
 * this: browsers never add one by themselves.
 */
export async function sameOrigin(ctx: Context, next: () => Promise<void>) {
  if (ctx.state.credentials.source !== 'adminCookie') {
    await next()

    return
  }

  const site = ctx.get('Sec-Fetch-Site')

  if (site && site !== 'same-origin' && site !== 'none')
    throw refuse(`The browser says this request comes from a ${site} page.`)

  const origin = ctx.get('Origin')

  if (origin) {
    let originHost: string | undefined

    try {
      originHost = new URL(origin).host.toLowerCase()
    } catch {
      originHost = undefined
    }

    if (originHost !== hostOf(ctx))
      throw refuse('The request comes from another origin.')
  }

  const type = (ctx.get('Content-Type') || '').split(';')[0].trim()
  const writesScores = ctx.method === 'PUT'

  // A score PUT may be CSV (a PUT is never a form's); an action must be JSON.
  if (!writesScores && type.toLowerCase() !== 'application/json')
    throw refuse(
      `This request's Content-Type is ${type ? `'${type}'` : 'missing'}.`
    )

  await next()
}
