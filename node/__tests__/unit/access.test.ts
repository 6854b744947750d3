import { AnswerCache } from '../../access/answerCache'
import {
  AccessPorts,
  ALLOWED_TTL_MS,
  authorizeJobCaller,
  JOB_RESOURCE,
  REFUSED_TTL_MS,
} from '../../access/authorize'
import { CallerCredentials } from '../../clients/credentials'
import { AccessServiceUnavailable } from '../../clients/upstream'
import type { TokenIdentity } from '../../clients/vtexId'

const ACCOUNT = 'store'

function ports(options: {
  identity?: Partial<TokenIdentity> | undefined
  appToken?: string
  access?: 'allowed' | 'forbidden' | 'unauthorized'
  vtexIdDown?: AccessServiceUnavailable
  licenseManagerDown?: AccessServiceUnavailable
}) {
  const identity =
    'identity' in options
      ? options.identity
      : { user: 'ana@example.com', account: ACCOUNT, audience: 'admin' }

  return {
    vtexId: {
      validate: jest.fn(async () => {
        if (options.vtexIdDown) throw options.vtexIdDown

        return identity as TokenIdentity | undefined
      }),
      appTokenLogin: jest.fn(async () => options.appToken),
    },
    licenseManager: {
      canAccessResource: jest.fn(async () => {
        if (options.licenseManagerDown) throw options.licenseManagerDown

        return options.access ?? 'allowed'
      }),
    },
  } satisfies AccessPorts
}

const fresh = () => new AnswerCache<never>(() => 0) as AnswerCache<any>

describe('authorizeJobCaller', () => {
  it("validates a user's token with VTEX ID and checks Product and SKU Management", async () => {
    const p = ports({})

    await expect(
      authorizeJobCaller(p, CallerCredentials.token('t'), ACCOUNT, fresh())
    ).resolves.toEqual({ kind: 'user', login: 'ana@example.com' })
    expect(p.vtexId.validate).toHaveBeenCalledWith('t')
    expect(p.licenseManager.canAccessResource).toHaveBeenCalledWith(
      't',
      JOB_RESOURCE
    )
    expect(JOB_RESOURCE).toBe('ManterFormularioProdutoSku')
  })

  it("names an IO app's bearer token as an app", async () => {
    const p = ports({
      identity: { user: 'acme.consumer@1.0.0', account: ACCOUNT },
    })

    await expect(
      authorizeJobCaller(
        p,
        CallerCredentials.token('app-token', 'bearer'),
        ACCOUNT,
        fresh()
      )
    ).resolves.toEqual({ kind: 'app', login: 'acme.consumer@1.0.0' })
  })

  it('exchanges an app key pair for its token and records the key name, never a secret', async () => {
    const p = ports({ appToken: 'issued' })
    const owner = await authorizeJobCaller(
      p,
      CallerCredentials.appKey('vtexappkey-x', 'secret'),
      ACCOUNT,
      fresh()
    )

    expect(owner).toEqual({ kind: 'appKey', login: 'vtexappkey-x' })
    expect(p.vtexId.appTokenLogin).toHaveBeenCalledWith(
      'vtexappkey-x',
      'secret'
    )
    expect(p.vtexId.validate).toHaveBeenCalledWith('issued')
    expect(JSON.stringify(owner)).not.toContain('secret')
  })

  it.each([
    [
      'a token VTEX ID does not know',
      { identity: undefined },
      401,
      'UNAUTHORIZED',
    ],
    [
      'a wrong app key pair',
      { appToken: undefined },
      401,
      'UNAUTHORIZED',
      true,
    ],
    [
      'a token of another account',
      { identity: { user: 'x@y.z', account: 'other', audience: 'admin' } },
      401,
      'WRONG_ACCOUNT',
    ],
    [
      "a shopper's token",
      { identity: { user: 'x@y.z', account: ACCOUNT, audience: 'webstore' } },
      403,
      'SHOPPER_TOKEN',
    ],
    [
      'a caller without the resource',
      { access: 'forbidden' as const },
      403,
      'FORBIDDEN',
    ],
    [
      'a token License Manager does not know',
      { access: 'unauthorized' as const },
      401,
      'UNAUTHORIZED',
    ],
  ])('refuses %s', async (_name, options, status, code, appKey = false) => {
    const p = ports(options)
    const credentials = appKey
      ? CallerCredentials.appKey('k', 's')
      : CallerCredentials.token('t')

    await expect(
      authorizeJobCaller(p, credentials, ACCOUNT, fresh())
    ).rejects.toMatchObject({ status, code })
  })

  it('never asks License Manager about a token VTEX ID refused', async () => {
    const p = ports({ identity: { user: 'x', account: 'other' } })

    await expect(
      authorizeJobCaller(p, CallerCredentials.token('t'), ACCOUNT, fresh())
    ).rejects.toMatchObject({ code: 'WRONG_ACCOUNT' })
    expect(p.licenseManager.canAccessResource).not.toHaveBeenCalled()
  })

  it.each([
    [
      'VTEX ID',
      { vtexIdDown: new AccessServiceUnavailable('VTEX ID', 502) },
      'VTEX_ID_UNAVAILABLE',
      5,
    ],
    [
      'License Manager',
      {
        licenseManagerDown: new AccessServiceUnavailable(
          'License Manager',
          503,
          30
        ),
      },
      'LICENSE_MANAGER_UNAVAILABLE',
      30,
    ],
    [
      'a VTEX ID that never answered',
      { vtexIdDown: new AccessServiceUnavailable('VTEX ID', undefined) },
      'VTEX_ID_UNAVAILABLE',
      5,
    ],
  ])(
    'answers 503 naming %s, with Retry-After, and keeps no verdict',
    async (_name, options, code, retryAfterSec) => {
      const cache = fresh()
      const p = ports(options)
      const call = () =>
        authorizeJobCaller(p, CallerCredentials.token('t'), ACCOUNT, cache)

      await expect(call()).rejects.toMatchObject({
        status: 503,
        code,
        retryAfterSec,
      })
      expect(cache.size).toBe(0)
    }
  )
})

describe('the verdict cache', () => {
  it('asks once per credential while an allowed verdict lasts, then again', async () => {
    let now = 0
    const cache = new AnswerCache<any>(() => now)
    const p = ports({})
    const call = (token: string) =>
      authorizeJobCaller(p, CallerCredentials.token(token), ACCOUNT, cache)

    await call('a')
    await call('a')
    now = ALLOWED_TTL_MS - 1
    await call('a')
    expect(p.vtexId.validate).toHaveBeenCalledTimes(1)

    await call('b')
    expect(p.vtexId.validate).toHaveBeenCalledTimes(2)

    now = ALLOWED_TTL_MS
    await call('a')
    expect(p.vtexId.validate).toHaveBeenCalledTimes(3)
  })

  it('keeps a refusal for a shorter time, and per account', async () => {
    let now = 0
    const cache = new AnswerCache<any>(() => now)
    const p = ports({ access: 'forbidden' })
    const call = (account: string) =>
      authorizeJobCaller(p, CallerCredentials.token('t'), account, cache)

    await expect(call(ACCOUNT)).rejects.toMatchObject({ status: 403 })
    await expect(call(ACCOUNT)).rejects.toMatchObject({ status: 403 })
    expect(p.licenseManager.canAccessResource).toHaveBeenCalledTimes(1)

    await expect(call('other')).rejects.toMatchObject({
      code: 'WRONG_ACCOUNT',
    })
    now = REFUSED_TTL_MS
    await expect(call(ACCOUNT)).rejects.toMatchObject({ status: 403 })
    expect(p.licenseManager.canAccessResource).toHaveBeenCalledTimes(2)
  })

  it('is keyed by fingerprints, never holding a token, and bounded', () => {
    const cache = new AnswerCache<number>(() => 0, 2)

    cache.set('a', 1, 1000)
    cache.set('b', 2, 1000)
    cache.set('c', 3, 1000)
    expect(cache.size).toBe(2)
    expect(cache.get('a')).toBeUndefined()
    expect(cache.get('c')).toBe(3)
  })
})
