import { ExternalClient, InstanceOptions, IOContext } from '@vtex/api'

/** The production host of an account; the IO proxy upgrades the call to HTTPS. */
export const defaultAccountUrl = (account: string) =>
  `http://${account}.vtexcommercestable.com.br`

/** The IO proxy adds the app token as Proxy-Authorization; straight to a host, it must not go. */
export function withoutAppToken(
  data: unknown,
  headers?: Record<string, unknown>
) {
  if (headers) {
    delete headers['proxy-authorization']
    delete headers['Proxy-Authorization']
  }

  return data === undefined ? data : JSON.stringify(data)
}

/**
 * A client of VTEX APIs on the account's own host, the only host the
 * manifest's outbound-access policies name. Locally CATALOG_URL (a
 * local-runtime variable, never an app setting) points it at the emulator
 * or a store, without the IO proxy.
 */
export abstract class AccountHostClient extends ExternalClient {
  protected readonly direct: boolean

  constructor(context: IOContext, options?: InstanceOptions) {
    const override = process.env.CATALOG_URL

    super(override ?? defaultAccountUrl(context.account), context, {
      ...options,
      memoizable: false,
      headers: {
        ...options?.headers,
        ...(override ? {} : { 'X-Vtex-Use-Https': 'true' }),
      },
    })
    this.direct = Boolean(override)
  }

  /** Request options that keep the app token off a direct call. */
  protected transform() {
    return this.direct ? { transformRequest: [withoutAppToken] } : {}
  }
}
