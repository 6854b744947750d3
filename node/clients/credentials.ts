import { createHash } from 'crypto'
import { inspect } from 'util'

/**
 * How the caller sent its credential:
 * - `userHeader`: a `VtexIdclientAutCookie` header (scripts, Postman);
 * - `adminCookie`: the admin's `VtexIdclientAutCookie` cookie, which a browser
 *   adds by itself, so a state-changing request needs more (see `sameOrigin`);
 * - `bearer`: `Authorization: Bearer`, as `@vtex/api`'s `AppClient` sends an IO app's token;
 * - `appKey`: `X-VTEX-API-AppKey` and `X-VTEX-API-AppToken`.
 */
export type CredentialSource =
  | 'userHeader'
  | 'adminCookie'
  | 'bearer'
  | 'appKey'

type Secret =
  | { kind: 'token'; token: string }
  | { kind: 'appKey'; appKey: string; appToken: string }

const REDACTED = '[redacted credentials]'

/**
 * The caller's own credentials, forwarded to VTEX and nowhere else.
 * The secret is kept in a closure, and every way of printing the object
 * prints a placeholder, so a stray log line cannot leak it.
 */
export class CallerCredentials {
  /** `token`: a VTEX ID token (a user's or an app's); `appKey`: a key pair. */
  public readonly kind: Secret['kind']
  public readonly source: CredentialSource
  /** The headers VTEX reads this credential from (the Catalog, License Manager). */
  public readonly headers: () => Record<string, string>
  /** sha256 of the secret: what caches are keyed by, never the secret itself. */
  public readonly fingerprint: string

  private constructor(secret: Secret, source: CredentialSource) {
    this.kind = secret.kind
    this.source = source
    // A VTEX ID token, a user's or an IO app's, is read by VTEX's APIs from this header.
    this.headers = (): Record<string, string> =>
      secret.kind === 'token'
        ? { VtexIdclientAutCookie: secret.token }
        : {
            'X-VTEX-API-AppKey': secret.appKey,
            'X-VTEX-API-AppToken': secret.appToken,
          }
    this.fingerprint = createHash('sha256')
      .update(
        secret.kind === 'token'
          ? `token\n${secret.token}`
          : `appKey\n${secret.appKey}\n${secret.appToken}`
      )
      .digest('hex')
  }

  /** A VTEX ID token: a user's (header or admin cookie) or an IO app's (bearer). */
  public static token(
    token: string,
    source: Exclude<CredentialSource, 'appKey'> = 'userHeader'
  ) {
    return new CallerCredentials({ kind: 'token', token }, source)
  }

  public static appKey(appKey: string, appToken: string) {
    return new CallerCredentials({ kind: 'appKey', appKey, appToken }, 'appKey')
  }

  public toJSON() {
    return REDACTED
  }

  public toString() {
    return REDACTED
  }

  public [inspect.custom]() {
    return REDACTED
  }
}
