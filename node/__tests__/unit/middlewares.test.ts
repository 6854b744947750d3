import { Readable } from 'stream'
import { inspect } from 'util'

import { CatalogError, CatalogObject } from '../../clients/catalog'
import { CallerCredentials } from '../../clients/credentials'
import { authenticate, credentialsOf } from '../../middlewares/authenticate'
import { handleErrors, methodNotAllowed } from '../../middlewares/handleErrors'
import { loadSettings } from '../../middlewares/loadSettings'
import { parseBatch } from '../../middlewares/parseBatch'
import { updateScores } from '../../middlewares/updateScores'
import type { ScoreEnvelope, ValidationEnvelope } from '../../scores/envelope'
import { RequestError } from '../../input/requestError'
import { PRODUCT_TARGET } from '../../scores/targets'
import { DEFAULT_SETTINGS } from '../../settings'
import { requestErrorOf } from '../helpers/requestErrorOf'

type Read = jest.Mock<Promise<CatalogObject>, [string, number, unknown]>
type Write = jest.Mock<
  Promise<unknown>,
  [string, number, CatalogObject, unknown]
>

interface FakeOptions {
  method?: string
  headers?: Record<string, string>
  cookies?: Record<string, string>
  query?: Record<string, string | string[]>
  body?: string
  state?: Partial<State>
  read?: Read
  write?: Write
  getAppSettings?: jest.Mock
}

/** A Koa/IO context reduced to what the middlewares use. */
function fakeContext(options: FakeOptions = {}) {
  const headers: Record<string, string> = {}

  for (const [name, value] of Object.entries(options.headers ?? {})) {
    headers[name.toLowerCase()] = value
  }

  const logger = { info: jest.fn(), warn: jest.fn(), error: jest.fn() }
  const set = jest.fn()
  const read: Read = options.read ?? jest.fn()
  const write: Write = options.write ?? jest.fn()
  const cookies = options.cookies ?? {}

  const ctx = {
    method: options.method ?? 'PUT',
    get: (name: string) => headers[name.toLowerCase()] ?? '',
    cookies: { get: (name: string) => cookies[name] },
    query: options.query ?? {},
    state: { ...options.state },
    set,
    status: 404,
    body: undefined as unknown,
    req: Object.assign(Readable.from([Buffer.from(options.body ?? '')]), {
      headers,
    }),
    // As the runtime's authTokens middleware sets it from the cookie.
    vtex: { logger, adminUserAuthToken: cookies.VtexIdclientAutCookie },
    clients: {
      catalog: { read, write },
      apps: { getAppSettings: options.getAppSettings ?? jest.fn() },
    },
  }

  return { ctx: ctx as unknown as Context, set, logger, read, write }
}

/** A whole product (the object check refuses a truncated one), with a ReleaseDate the drift guard accepts. */
const VALID_PRODUCT = {
  Name: 'x',
  DepartmentId: 1,
  CategoryId: 1,
  BrandId: 1,
  LinkId: 'x',
  RefId: null,
  IsVisible: true,
  Description: '',
  DescriptionShort: '',
  ReleaseDate: '2024-01-01T00:00:00',
  KeyWords: '',
  Title: 'x',
  IsActive: true,
  TaxCode: '',
  MetaTagDescription: '',
  ShowWithoutStock: false,
}

const TOKEN = 'eyJ-super-secret-user-token'
const APP_KEY = 'vtexappkey-store-ABCDEF'
const APP_TOKEN = 'APPTOKEN-super-secret-0123456789'

describe('credentialsOf', () => {
  it('reads the VtexIdclientAutCookie header', () => {
    const { ctx } = fakeContext({ headers: { VtexIdclientAutCookie: TOKEN } })
    const credentials = credentialsOf(ctx)

    expect(credentials.kind).toBe('token')
    expect(credentials.headers()).toEqual({ VtexIdclientAutCookie: TOKEN })
  })

  it('reads the VtexIdclientAutCookie cookie, marked as the admin cookie', () => {
    const { ctx } = fakeContext({ cookies: { VtexIdclientAutCookie: TOKEN } })
    const credentials = credentialsOf(ctx)

    expect(credentials.kind).toBe('token')
    expect(credentials.source).toBe('adminCookie')
    expect(credentials.headers()).toEqual({ VtexIdclientAutCookie: TOKEN })
  })

  it('prefers the header to the cookie', () => {
    const { ctx } = fakeContext({
      headers: { VtexIdclientAutCookie: TOKEN },
      cookies: { VtexIdclientAutCookie: 'cookie-token' },
    })
    const credentials = credentialsOf(ctx)

    expect(credentials.source).toBe('userHeader')
    expect(credentials.headers()).toEqual({ VtexIdclientAutCookie: TOKEN })
  })

  it("reads an IO app's Authorization: Bearer, and forwards it as a VTEX ID token", () => {
    const { ctx } = fakeContext({
      headers: { Authorization: `Bearer ${TOKEN}` },
    })
    const credentials = credentialsOf(ctx)

    expect(credentials.source).toBe('bearer')
    expect(credentials.headers()).toEqual({ VtexIdclientAutCookie: TOKEN })
  })

  it.each([['Basic dXNlcjpwYXNz'], ['Bearer'], ['Bearer a b']])(
    'refuses Authorization: %s with 401',
    (authorization) => {
      const { ctx } = fakeContext({ headers: { Authorization: authorization } })

      expect(requestErrorOf(() => credentialsOf(ctx))).toMatchObject({
        status: 401,
        code: 'UNAUTHORIZED',
      })
    }
  )

  it('keys caches by a hash that differs per secret and never holds it', () => {
    const a = CallerCredentials.token(TOKEN)
    const b = CallerCredentials.token(`${TOKEN}x`)

    expect(a.fingerprint).toMatch(/^[0-9a-f]{64}$/)
    expect(a.fingerprint).not.toBe(b.fingerprint)
    expect(a.fingerprint).toBe(
      CallerCredentials.token(TOKEN, 'bearer').fingerprint
    )
    expect(a.fingerprint).not.toContain(TOKEN)
  })

  it('reads an app key pair, whatever the header case', () => {
    const { ctx } = fakeContext({
      headers: {
        'x-vtex-api-appkey': APP_KEY,
        'X-VTEX-API-APPTOKEN': APP_TOKEN,
      },
    })
    const credentials = credentialsOf(ctx)

    expect(credentials.kind).toBe('appKey')
    expect(credentials.headers()).toEqual({
      'X-VTEX-API-AppKey': APP_KEY,
      'X-VTEX-API-AppToken': APP_TOKEN,
    })
  })

  it.each([
    [{ 'X-VTEX-API-AppKey': APP_KEY }],
    [{ 'X-VTEX-API-AppToken': APP_TOKEN }],
    [{ 'X-VTEX-API-AppKey': APP_KEY, VtexIdclientAutCookie: TOKEN }],
  ])('refuses half an app key pair (%p) with 401', (headers) => {
    const { ctx } = fakeContext({ headers })
    const error = requestErrorOf(() => credentialsOf(ctx))

    expect(error.status).toBe(401)
    expect(error.code).toBe('UNAUTHORIZED')
  })

  it('refuses a request without credentials with 401', () => {
    const { ctx } = fakeContext()
    const error = requestErrorOf(() => credentialsOf(ctx))

    expect(error.status).toBe(401)
    expect(error.code).toBe('UNAUTHORIZED')
  })

  describe('never prints the secret', () => {
    const printings = (credentials: CallerCredentials) => [
      JSON.stringify(credentials),
      JSON.stringify({ credentials }),
      String(credentials),
      `${credentials}`,
      inspect(credentials),
      inspect({ nested: { credentials } }, { depth: 10 }),
      inspect(credentials, { customInspect: false, showHidden: true }),
    ]

    it.each([
      ['a user token', () => CallerCredentials.token(TOKEN)],
      ['an app key pair', () => CallerCredentials.appKey(APP_KEY, APP_TOKEN)],
    ])('for %s', (_, make) => {
      for (const printed of printings(make())) {
        expect(printed).not.toContain(TOKEN)
        expect(printed).not.toContain(APP_KEY)
        expect(printed).not.toContain(APP_TOKEN)
      }

      expect(String(make())).toBe('[redacted credentials]')
    })
  })
})

describe('authenticate', () => {
  it('puts the credentials in the state and calls next', async () => {
    const { ctx } = fakeContext({ headers: { VtexIdclientAutCookie: TOKEN } })
    const next = jest.fn().mockResolvedValue(undefined)

    await authenticate(ctx, next)

    expect(next).toHaveBeenCalledTimes(1)
    expect(ctx.state.credentials).toBeInstanceOf(CallerCredentials)
    expect(ctx.state.credentials.headers()).toEqual({
      VtexIdclientAutCookie: TOKEN,
    })
  })

  it('does not call next without credentials', async () => {
    const { ctx } = fakeContext()
    const next = jest.fn()

    await expect(authenticate(ctx, next)).rejects.toMatchObject({
      status: 401,
    })
    expect(next).not.toHaveBeenCalled()
  })
})

describe('handleErrors', () => {
  it('leaves a successful answer alone', async () => {
    const { ctx, set } = fakeContext()

    await handleErrors(ctx, async () => {
      ctx.status = 200
      ctx.body = { ok: true }
    })

    expect(ctx.status).toBe(200)
    expect(ctx.body).toEqual({ ok: true })
    expect(set).not.toHaveBeenCalled()
  })

  it('answers a RequestError with its status and body', async () => {
    const { ctx, set, logger } = fakeContext()

    await handleErrors(ctx, async () => {
      throw new RequestError(413, 'BATCH_TOO_LARGE', 'Too many items.')
    })

    expect(ctx.status).toBe(413)
    expect(ctx.body).toEqual({
      error: {
        status: 413,
        code: 'BATCH_TOO_LARGE',
        message: 'Too many items.',
      },
    })
    expect(set).toHaveBeenCalledWith('Cache-Control', 'no-store')
    expect(logger.error).not.toHaveBeenCalled()
  })

  it('answers an unknown error with a 500 that does not repeat its message', async () => {
    const { ctx, set, logger } = fakeContext()

    await handleErrors(ctx, async () => {
      throw new Error(`request failed with header ${TOKEN}`)
    })

    expect(ctx.status).toBe(500)
    expect(ctx.body).toEqual({
      error: {
        status: 500,
        code: 'INTERNAL_ERROR',
        message: expect.any(String),
      },
    })
    expect(JSON.stringify(ctx.body)).not.toContain(TOKEN)
    expect(JSON.stringify(ctx.body)).not.toContain('request failed')
    expect(set).toHaveBeenCalledWith('Cache-Control', 'no-store')
    expect(logger.error).toHaveBeenCalledTimes(1)
  })

  it('answers a thrown non-Error with a 500', async () => {
    const { ctx } = fakeContext()

    await handleErrors(ctx, async () => {
      throw 'a bare string'
    })

    expect(ctx.status).toBe(500)
    expect(JSON.stringify(ctx.body)).not.toContain('a bare string')
  })

  it('answers other methods with 405 and an Allow header', async () => {
    const { ctx, set } = fakeContext({ method: 'POST' })

    await handleErrors(ctx, () => methodNotAllowed('PUT')(ctx))

    expect(ctx.status).toBe(405)
    expect(ctx.body).toMatchObject({
      error: { status: 405, code: 'METHOD_NOT_ALLOWED' },
    })
    expect(set).toHaveBeenCalledWith('Allow', 'PUT')
  })
})

describe('loadSettings', () => {
  const saved = process.env.SCORE_SETTINGS_FROM_ENV

  beforeEach(() => {
    delete process.env.SCORE_SETTINGS_FROM_ENV
  })

  afterAll(() => {
    if (saved === undefined) delete process.env.SCORE_SETTINGS_FROM_ENV
    else process.env.SCORE_SETTINGS_FROM_ENV = saved
  })

  it('resolves the app settings', async () => {
    const { ctx } = fakeContext({
      getAppSettings: jest.fn().mockResolvedValue({ concurrency: 3 }),
    })
    const next = jest.fn().mockResolvedValue(undefined)

    await loadSettings(ctx, next)

    expect(ctx.state.settings).toEqual({ ...DEFAULT_SETTINGS, concurrency: 3 })
    expect(next).toHaveBeenCalledTimes(1)
  })

  it('falls back to the defaults when the settings cannot be read', async () => {
    const { ctx, logger } = fakeContext({
      getAppSettings: jest.fn().mockRejectedValue(new Error('apps down')),
    })
    const next = jest.fn().mockResolvedValue(undefined)

    await loadSettings(ctx, next)

    expect(ctx.state.settings).toEqual(DEFAULT_SETTINGS)
    expect(logger.warn).toHaveBeenCalledTimes(1)
    expect(next).toHaveBeenCalledTimes(1)
  })
})

describe('parseBatch', () => {
  const run = async (options: FakeOptions) => {
    const fake = fakeContext({
      headers: { 'Content-Type': 'application/json' },
      ...options,
      state: { settings: DEFAULT_SETTINGS, ...options.state },
    })
    const next = jest.fn().mockResolvedValue(undefined)

    await parseBatch(fake.ctx, next)

    return { ...fake, next }
  }

  it('puts the validated items in the state and calls next', async () => {
    const { ctx, next } = await run({
      body: '[{"id":"1","score":"4"},{"id":2,"score":0}]',
    })

    expect(next).toHaveBeenCalledTimes(1)
    expect(ctx.state.items).toEqual([
      { index: 0, id: 1, score: 4 },
      { index: 1, id: 2, score: 0 },
    ])
    expect(ctx.state.dryRun).toBe(false)
  })

  it.each([
    ['true', true],
    ['', true],
    ['false', false],
  ])('reads dryRun=%p as %p', async (dryRun, expected) => {
    const { ctx } = await run({
      body: '[{"id":1,"score":1}]',
      query: { dryRun },
    })

    expect(ctx.state.dryRun).toBe(expected)
  })

  it.each([
    [undefined, false],
    ['true', true],
    ['false', false],
  ])('reads allowFieldDrift=%p as %p', async (allowFieldDrift, expected) => {
    const { ctx } = await run({
      body: '[{"id":1,"score":1}]',
      query: allowFieldDrift === undefined ? {} : { allowFieldDrift },
    })

    expect(ctx.state.allowFieldDrift).toBe(expected)
  })

  it('answers invalid items with the 400 envelope and does not call next', async () => {
    const { ctx, next, set } = await run({
      body: '[{"id":1,"score":1},{"id":"x","score":1.5},null]',
    })
    const body = ctx.body as ValidationEnvelope

    expect(next).not.toHaveBeenCalled()
    expect(ctx.status).toBe(400)
    expect(set).toHaveBeenCalledWith('Cache-Control', 'no-store')
    expect(body.error.code).toBe('INVALID_ITEMS')
    expect(body.total).toBe(3)
    expect(body.failedResponses.quantity).toBe(2)
    expect(
      body.failedResponses.elements.map((e) => e.map((p) => p.code))
    ).toEqual([['INVALID_ID', 'INVALID_SCORE'], ['INVALID_ITEM']])
    expect(ctx.state.items).toBeUndefined()
  })

  it.each([
    [{ query: { dryRun: 'maybe' } }, 400, 'INVALID_QUERY'],
    [{ query: { allowFieldDrift: 'yes' } }, 400, 'INVALID_QUERY'],
    [{ query: { dryRun: ['true', 'false'] } }, 400, 'INVALID_QUERY'],
    [
      { headers: { 'Content-Type': 'text/plain' } },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [{ body: '[{"id":1,' }, 400, 'INVALID_JSON'],
    [{ body: '  ' }, 400, 'EMPTY_BODY'],
    [{ body: '{"id":1,"score":1}' }, 400, 'PAYLOAD_NOT_A_LIST'],
    [{ body: '[]' }, 400, 'EMPTY_BATCH'],
    [
      {
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': String(11 * 1024 * 1024),
        },
      },
      413,
      'PAYLOAD_TOO_LARGE',
    ],
    [
      {
        body: '[{"id":1,"score":1},{"id":2,"score":1}]',
        state: { settings: { ...DEFAULT_SETTINGS, maxItems: 1 } },
      },
      413,
      'BATCH_TOO_LARGE',
    ],
  ])(
    'rejects %p with %p %s and does not call next',
    async (options: FakeOptions, status, code) => {
      const { ctx } = fakeContext({
        headers: { 'Content-Type': 'application/json' },
        body: '[{"id":1,"score":1}]',
        ...options,
        state: { settings: DEFAULT_SETTINGS, ...options.state },
      })
      const next = jest.fn()

      await expect(parseBatch(ctx, next)).rejects.toMatchObject({
        status,
        code,
      })
      expect(next).not.toHaveBeenCalled()
    }
  )

  it.each([
    [{ dryrun: 'true' }, "'dryrun' is written 'dryRun'"],
    [{ DryRun: 'true', async: 'true' }, "'DryRun' is written 'dryRun'"],
    [{ force: 'true' }, "Unknown query parameter 'force'"],
  ])(
    'refuses the unknown query parameters %p before reading the body',
    async (query, detail) => {
      const { ctx } = fakeContext({
        headers: { 'Content-Type': 'application/json' },
        body: '[{"id":1,"score":1}]',
        query,
        state: { settings: DEFAULT_SETTINGS },
      })
      const next = jest.fn()
      const error = await parseBatch(ctx, next).catch((e) => e)

      expect(error).toMatchObject({
        status: 400,
        code: 'UNKNOWN_QUERY_PARAMETER',
      })
      expect(error.message).toContain(detail)
      expect(error.message).toContain(
        "This route accepts: 'dryRun', 'async', 'allowFieldDrift'."
      )
      expect(next).not.toHaveBeenCalled()
      expect(ctx.state.items).toBeUndefined()
    }
  )

  it('refuses an Idempotency-Key on a synchronous batch, and takes it with ?async=true', async () => {
    const headers = {
      'Content-Type': 'application/json',
      'Idempotency-Key': 'k-1',
    }
    const refused = fakeContext({
      headers,
      body: '[{"id":1,"score":1}]',
      query: { dryRun: 'true' },
      state: { settings: DEFAULT_SETTINGS },
    })
    const next = jest.fn()

    await expect(parseBatch(refused.ctx, next)).rejects.toMatchObject({
      status: 400,
      code: 'IDEMPOTENCY_KEY_NOT_SUPPORTED',
      message: expect.stringContaining('send the batch with ?async=true'),
    })
    expect(next).not.toHaveBeenCalled()

    const { ctx, next: jobNext } = await run({
      headers,
      body: '[{"id":1,"score":1}]',
      query: { async: 'true' },
    })

    expect(jobNext).toHaveBeenCalledTimes(1)
    expect(ctx.state.async).toBe(true)
  })

  it('reads a CSV with the route kind, keeps its delimiter and tells invalid rows in its words', async () => {
    const { ctx, next } = await run({
      headers: { 'Content-Type': 'text/csv' },
      body: 'Product ID;Score\r\n5;40\r\n',
    })

    expect(next).toHaveBeenCalledTimes(1)
    expect(ctx.state.items).toEqual([{ index: 0, id: 5, score: 40 }])
    expect(ctx.state.csvDelimiter).toBe(';')

    const invalid = await run({
      headers: { 'Content-Type': 'text/csv' },
      body: 'Product ID;Score\r\n5;4,5\r\n',
    })
    const body = invalid.ctx.body as ValidationEnvelope

    expect(invalid.next).not.toHaveBeenCalled()
    expect(body.failedResponses.elements[0][0]).toMatchObject({
      index: 0,
      line: 2,
      code: 'INVALID_SCORE',
      errorMessage: expect.stringMatching(
        /^Line 2, 'Score' column \(B\): '4,5' is not a whole number\. Write the Score with no decimals or thousands separators/
      ),
    })
  })

  it('is answered as 400 INVALID_QUERY behind handleErrors', async () => {
    const { ctx } = fakeContext({
      headers: { 'Content-Type': 'application/json' },
      body: '[{"id":1,"score":1}]',
      query: { dryRun: 'maybe' },
      state: { settings: DEFAULT_SETTINGS },
    })
    const next = jest.fn()

    await handleErrors(ctx, () => parseBatch(ctx, next))

    expect(ctx.status).toBe(400)
    expect(ctx.body).toMatchObject({
      error: { status: 400, code: 'INVALID_QUERY' },
    })
    expect(next).not.toHaveBeenCalled()
  })
})

describe('updateScores', () => {
  const savedDeadline = process.env.BATCH_DEADLINE_MS

  beforeEach(() => {
    delete process.env.BATCH_DEADLINE_MS
  })

  afterAll(() => {
    if (savedDeadline !== undefined)
      process.env.BATCH_DEADLINE_MS = savedDeadline
  })

  const batchState = (ids: number[], extra: Partial<State> = {}) => ({
    settings: { ...DEFAULT_SETTINGS, concurrency: 1 },
    credentials: CallerCredentials.token(TOKEN),
    items: ids.map((id, index) => ({ index, id, score: id * 10 })),
    dryRun: false,
    ...extra,
  })

  it('runs the batch and answers 200 with the envelope', async () => {
    const read: Read = jest.fn(
      async (_kind: string, id: number, _options: unknown) => {
        if (id === 2)
          throw new CatalogError('GET', 'product', 2, 404, 'Not found')

        return { ...VALID_PRODUCT, Id: id, Score: id === 3 ? 30 : 1 }
      }
    )
    const write: Write = jest.fn().mockResolvedValue({})
    const { ctx, set, logger } = fakeContext({
      read,
      write,
      state: batchState([1, 2, 3]),
    })

    await updateScores(PRODUCT_TARGET)(ctx)

    const body = ctx.body as ScoreEnvelope

    expect(ctx.status).toBe(200)
    expect(set).toHaveBeenCalledWith('Cache-Control', 'no-store')
    expect(body.total).toBe(3)
    expect(body.successfulResponses.elements).toEqual([
      { index: 0, id: 1, score: 10, previousScore: 1, success: 'true' },
      {
        index: 2,
        id: 3,
        score: 30,
        previousScore: 30,
        unchanged: true,
        success: 'true',
      },
    ])
    expect(body.failedResponses.elements).toEqual([
      expect.objectContaining({
        index: 1,
        id: 2,
        error: 404,
        code: 'NOT_FOUND',
        attempts: 1,
      }),
    ])
    expect(read).toHaveBeenCalledWith(
      'product',
      1,
      expect.objectContaining({
        credentials: ctx.state.credentials,
        timeoutMs: DEFAULT_SETTINGS.requestTimeoutMs,
      })
    )
    expect(write).toHaveBeenCalledTimes(1)
    expect(write).toHaveBeenCalledWith(
      'product',
      1,
      { ...VALID_PRODUCT, Id: 1, Score: 10 },
      expect.objectContaining({ credentials: ctx.state.credentials })
    )
    expect(logger.info).toHaveBeenCalledWith(
      expect.objectContaining({
        total: 3,
        succeeded: 2,
        failed: 1,
        status: 200,
      })
    )
    expect(JSON.stringify(logger.info.mock.calls)).not.toContain(TOKEN)
  })

  it('answers as a sheet with Accept: text/csv, in the upload delimiter, with a BOM', async () => {
    const read: Read = jest.fn(
      async (_kind: string, id: number, _options: unknown) => {
        if (id === 2)
          throw new CatalogError('GET', 'product', 2, 404, 'Not found; =1')

        return { ...VALID_PRODUCT, Id: id, Score: id === 3 ? 30 : 1 }
      }
    )
    const write: Write = jest.fn().mockResolvedValue({})
    const { ctx, set } = fakeContext({
      read,
      write,
      headers: { Accept: 'text/csv' },
      state: batchState([1, 2, 3], { csvDelimiter: ';' }),
    })

    await updateScores(PRODUCT_TARGET)(ctx)

    expect(ctx.status).toBe(200)
    expect(set).toHaveBeenCalledWith('Content-Type', 'text/csv; charset=utf-8')
    expect(set).toHaveBeenCalledWith('Vary', 'Accept')
    const lines = (ctx.body as string).split('\r\n')

    expect(lines[0]).toBe(
      '\uFEFFid;score;previousScore;success;code;error;errorMessage'
    )
    expect(lines[1]).toBe('1;10;1;true;UPDATED;;')
    expect(lines[2]).toMatch(/^2;20;;false;NOT_FOUND;404;"/)
    expect(lines[3]).toBe('3;30;30;true;UNCHANGED;;')
    expect(lines).toHaveLength(5)
  })

  it('marks the answer as a dry run and writes nothing', async () => {
    const read: Read = jest
      .fn()
      .mockResolvedValue({ ...VALID_PRODUCT, Id: 1, Score: 1 })
    const write: Write = jest.fn()
    const { ctx } = fakeContext({
      read,
      write,
      state: batchState([1], { dryRun: true }),
    })

    await updateScores(PRODUCT_TARGET)(ctx)

    expect(ctx.status).toBe(200)
    expect((ctx.body as ScoreEnvelope).dryRun).toBe(true)
    expect(write).not.toHaveBeenCalled()
  })

  it('answers 403 and leaves later items NOT_ATTEMPTED when the Catalog refuses the caller', async () => {
    const read: Read = jest
      .fn()
      .mockRejectedValue(
        new CatalogError('GET', 'product', 1, 403, 'Forbidden')
      )
    const write: Write = jest.fn()
    const { ctx } = fakeContext({ read, write, state: batchState([1, 2, 3]) })

    await updateScores(PRODUCT_TARGET)(ctx)

    const body = ctx.body as ScoreEnvelope

    expect(ctx.status).toBe(403)
    expect(read).toHaveBeenCalledTimes(1)
    expect(write).not.toHaveBeenCalled()
    expect(body.total).toBe(3)
    expect(body.successfulResponses.quantity).toBe(0)
    expect(
      body.failedResponses.elements.map((e) => [
        e.id,
        e.error,
        e.code,
        e.attempts,
      ])
    ).toEqual([
      [1, 403, 'FORBIDDEN', 1],
      [2, 403, 'NOT_ATTEMPTED', 0],
      [3, 403, 'NOT_ATTEMPTED', 0],
    ])
  })

  it('answers 502 with every item listed when the Catalog cannot be reached', async () => {
    const read: Read = jest.fn(
      async (_kind: string, id: number, _o: unknown) => {
        throw new CatalogError(
          'GET',
          'product',
          id,
          undefined,
          '',
          'ECONNREFUSED'
        )
      }
    )
    const write: Write = jest.fn()
    const ids = Array.from({ length: 50 }, (_, i) => i + 1)
    const { ctx } = fakeContext({
      read,
      write,
      state: batchState(ids, {
        settings: { ...DEFAULT_SETTINGS, concurrency: 4 },
      }),
    })

    await updateScores(PRODUCT_TARGET)(ctx)

    const body = ctx.body as ScoreEnvelope

    expect(ctx.status).toBe(502)
    expect(body.total).toBe(50)
    expect(body.failedResponses.quantity).toBe(50)
    expect(body.failedResponses.elements.map((e) => e.id)).toEqual(ids)
    expect(body.failedResponses.elements.every((e) => e.error === 502)).toBe(
      true
    )
    // It stopped early instead of retrying 50 items until the deadline.
    expect((read as jest.Mock).mock.calls.length).toBeLessThan(20)
  })

  it('answers 503 when nothing succeeded and the Catalog answered unavailable', async () => {
    process.env.BATCH_DEADLINE_MS = '1500'
    const read: Read = jest.fn(
      async (_kind: string, id: number, _o: unknown) => {
        throw new CatalogError('GET', 'product', id, 503, 'Service Unavailable')
      }
    )
    const write: Write = jest.fn()
    const { ctx } = fakeContext({
      read,
      write,
      state: batchState([1, 2, 3], {
        settings: { ...DEFAULT_SETTINGS, concurrency: 3 },
      }),
    })

    await updateScores(PRODUCT_TARGET)(ctx)

    const body = ctx.body as ScoreEnvelope

    expect(ctx.status).toBe(503)
    expect(body.total).toBe(3)
    expect(body.failedResponses.elements.map((e) => e.code)).toEqual([
      'DEADLINE_EXCEEDED',
      'DEADLINE_EXCEEDED',
      'DEADLINE_EXCEEDED',
    ])
    expect(body.failedResponses.elements[0].errorMessage).toMatch(
      /Last error: 503/
    )
  })
})
