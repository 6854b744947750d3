import { inspect } from 'util'

type Secret =
  | { kind: 'userToken'; token: string }
  | { kind: 'appKey'; appKey: string; appToken: string }

const REDACTED = '[redacted credentials]'

/**
 * The caller's own credentials, forwarded to the Catalog and nowhere else.
 * The secret is kept in a closure, and every way of printing the object
 * prints a placeholder, so a stray log line cannot leak it.
 */
export class CallerCredentials {
  public readonly kind: Secret['kind']
  public readonly headers: () => Record<string, string>

  private constructor(secret: Secret) {
    this.kind = secret.kind
    this.headers = (): Record<string, string> =>
      secret.kind === 'userToken'
        ? { VtexIdclientAutCookie: secret.token }
        : {
            'X-VTEX-API-AppKey': secret.appKey,
            'X-VTEX-API-AppToken': secret.appToken,
          }
  }

  public static userToken(token: string) {
    return new CallerCredentials({ kind: 'userToken', token })
  }

  public static appKey(appKey: string, appToken: string) {
    return new CallerCredentials({ kind: 'appKey', appKey, appToken })
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
