/**
 * Every caller the app exists for, and every refusal, through the real
 * runtime: store admins (token header, admin cookie), integrations (app key
 * pair), other IO apps (the AppClient subclass of the public docs, run as a
 * stand-in app that reaches the local front as an HTTP proxy for
 * app.io.vtex.com, as @vtex/api does on IO), and VTEX ID or License Manager
 * failing.
 */
import { execFile } from 'child_process'
import http from 'http'
import type { AddressInfo } from 'net'
import path from 'path'

import { spawnService, SpawnedService } from '../../../local/spawnService'
import {
  APP_KEY,
  APP_KEY_ENTRY,
  CATEGORY_PATH,
  PRODUCT_PATH,
  READ_ONLY_TOKEN,
  Stack,
  spawnServiceOn,
  startStack,
  USER_TOKEN,
} from '../helpers/e2e'

const APP_TOKEN = 'local-consumer-app-token'
const APP_WITHOUT_CATALOG_POLICY = 'local-idle-app-token'
const SHOPPER_TOKEN = 'local-shopper-token'
const OTHER_ACCOUNT_TOKEN = 'local-other-account-token'
const PRIVATE = '/vtex.massive-score-update/v0/local/master'
const JOBS = '/_v/massive/score/jobs'

let stack: Stack

beforeAll(async () => {
  stack = await startStack(
    {
      seed: { products: 60, categories: 10 },
      latency: { meanMs: 1, jitterMs: 1 },
      events: { retryDelayMs: 100 },
    },
    { JOB_CHUNK_SIZE: '20' }
  )
})

afterAll(async () => {
  await stack?.close()
})

let eventsBefore = 0

beforeEach(() => {
  stack.emulator.resetStats()
  stack.emulator.licenseManager.resetStats()
  eventsBefore = stack.emulator.events.stats().sent
})

/** Job events sent since the test began. */
const eventsSent = () => stack.emulator.events.stats().sent - eventsBefore

interface Answer {
  status: number
  headers: Headers
  body: any
}

async function call(
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: unknown,
  service: SpawnedService = stack.service
): Promise<Answer> {
  const response = await fetch(`${service.url}${url}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()

  return {
    status: response.status,
    headers: response.headers,
    body:
      text && /json/.test(response.headers.get('content-type') ?? '')
        ? JSON.parse(text)
        : text,
  }
}

/** The stand-in IO app: MassiveScoreUpdate (local/consumer) with its own token, as on IO. */
function consumer(
  consumerCall: 'products' | 'categories' | 'job',
  token: string,
  items: unknown[]
): Promise<{ ok: boolean; status?: number; body: any }> {
  const entry = path.resolve(
    __dirname,
    '../../../build/local/consumer/standIn.js'
  )

  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [entry],
      {
        env: {
          ...process.env,
          // What makes @vtex/api call http://app.io.vtex.com through the IO proxy, here the local front.
          VTEX_IO: 'true',
          HTTP_PROXY: stack.service.url,
          NO_PROXY: '',
          CONSUMER_TOKEN: token,
          CONSUMER_CALL: consumerCall,
          CONSUMER_ITEMS: JSON.stringify(items),
          VTEX_ACCOUNT: 'local',
          VTEX_WORKSPACE: 'master',
        },
        timeout: 60_000,
      },
      (error, stdout) => {
        const line = stdout.split('\n').find((l) => l.startsWith('{'))

        if (!line) reject(error ?? new Error(`no answer: ${stdout}`))
        else resolve(JSON.parse(line))
      }
    )
  })
}

async function finished(jobId: string, headers: Record<string, string>) {
  for (let i = 0; i < 150; i++) {
    const { body } = await call('GET', `${JOBS}/${jobId}`, headers)

    if (['done', 'failed', 'cancelled'].includes(body.status)) return body
    await new Promise((resolve) => setTimeout(resolve, 100))
  }

  throw new Error(`job ${jobId} did not finish`)
}

const ADMIN = { VtexIdclientAutCookie: USER_TOKEN }
const scoreOf = (id: number) => stack.emulator.getProduct(id)?.Score

describe('store admins', () => {
  it('update by the VtexIdclientAutCookie header', async () => {
    const answer = await call('PUT', PRODUCT_PATH, ADMIN, [
      { id: 1, score: 71 },
    ])

    expect(answer.status).toBe(200)
    expect(scoreOf(1)).toBe(71)
  })

  it('update from the admin by the cookie alone, JSON from the same origin', async () => {
    const answer = await call(
      'PUT',
      PRODUCT_PATH,
      {
        Cookie: `VtexIdclientAutCookie=${USER_TOKEN}`,
        Origin: stack.service.url,
        'Sec-Fetch-Site': 'same-origin',
      },
      [{ id: 2, score: 72 }]
    )

    expect(answer.status).toBe(200)
    expect(scoreOf(2)).toBe(72)
  })

  it('cannot be made to act by another site: a cookie-only action needs JSON and the same origin', async () => {
    const cookie = { Cookie: `VtexIdclientAutCookie=${USER_TOKEN}` }
    const created = await call('PUT', `${PRODUCT_PATH}?async=true`, ADMIN, [
      { id: 3, score: 73 },
    ])
    const job = await finished(created.body.jobId, ADMIN)

    expect(job.status).toBe('done')
    expect(scoreOf(3)).toBe(73)
    const undo = `${JOBS}/${created.body.jobId}/undo`
    const form = await call('POST', undo, {
      ...cookie,
      'Content-Type': 'application/x-www-form-urlencoded',
    })
    const otherOrigin = await call('POST', undo, {
      ...cookie,
      'Content-Type': 'application/json',
      Origin: 'https://evil.example',
    })
    const crossSite = await call('POST', undo, {
      ...cookie,
      'Content-Type': 'application/json',
      'Sec-Fetch-Site': 'cross-site',
    })

    for (const refused of [form, otherOrigin, crossSite]) {
      expect(refused.status).toBe(403)
      expect(refused.body.error.code).toBe('CROSS_SITE_REQUEST')
    }

    // Nothing was undone, and no undo job exists.
    const listed = await call('GET', JOBS, ADMIN)

    expect(listed.body.jobs.some((j: { undoOf?: string }) => j.undoOf)).toBe(
      false
    )
    expect(scoreOf(3)).toBe(73)

    const sameOrigin = await call('POST', undo, {
      ...cookie,
      'Content-Type': 'application/json',
      Origin: stack.service.url,
    })

    expect(sameOrigin.status).toBe(202)
    await finished(sameOrigin.body.jobId, ADMIN)
    expect(scoreOf(3)).not.toBe(73)
  })

  it('grant no cross-origin preflight, so no other site can send a PUT', async () => {
    const preflight = await call('OPTIONS', PRODUCT_PATH, {
      Origin: 'https://evil.example',
      'Access-Control-Request-Method': 'PUT',
    })

    expect(preflight.status).toBe(405)
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe('integrations', () => {
  it('update and run jobs with an app key pair, recorded by key name', async () => {
    const pair = {
      'X-VTEX-API-AppKey': APP_KEY,
      'X-VTEX-API-AppToken': APP_KEY_ENTRY.token,
    }
    const sync = await call('PUT', PRODUCT_PATH, pair, [{ id: 4, score: 74 }])
    const created = await call('PUT', `${PRODUCT_PATH}?async=true`, pair, [
      { id: 5, score: 75 },
    ])

    expect(sync.status).toBe(200)
    expect(created.status).toBe(202)
    const job = await finished(created.body.jobId, pair)

    expect(job.startedBy).toEqual({ kind: 'appKey', login: APP_KEY })
    expect([scoreOf(4), scoreOf(5)]).toEqual([74, 75])
  })
})

describe('other VTEX IO apps, through the AppClient subclass of the docs', () => {
  it('update products and categories with their own token, which reaches the Catalog', async () => {
    const products = await consumer('products', APP_TOKEN, [
      { id: 6, score: 76 },
    ])
    const categories = await consumer('categories', APP_TOKEN, [
      { id: 1, score: 11 },
    ])

    expect(products).toMatchObject({
      ok: true,
      body: { successfulResponses: { quantity: 1 } },
    })
    expect(categories.ok).toBe(true)
    expect(scoreOf(6)).toBe(76)
    expect(stack.emulator.getCategory(1)?.Score).toBe(11)
    // The app's token was checked by the Catalog: no VTEX ID call for a synchronous batch.
    expect(stack.emulator.licenseManager.stats().validations).toBe(0)
    expect(stack.emulator.licenseManager.stats().tokensInUrls).toBe(0)
  })

  it('run a job, which records the calling app', async () => {
    const summary = await consumer('job', APP_TOKEN, [{ id: 7, score: 77 }])

    expect(summary).toMatchObject({
      ok: true,
      body: {
        status: 'done',
        startedBy: { kind: 'app', login: 'acme.score-consumer@1.0.0' },
      },
    })
    expect(scoreOf(7)).toBe(77)
  })

  it('are refused without a token VTEX ID knows, before the app runs', async () => {
    const answer = await consumer('products', 'unknown-app-token', [
      { id: 8, score: 78 },
    ])

    expect(answer).toMatchObject({ ok: false, status: 401 })
    expect(stack.emulator.stats().requests.total).toBe(0)
  })

  it('are the only principals the private routes allow: a user token is refused by policy', async () => {
    const answer = await call(
      'PUT',
      `${PRIVATE}/_v/private/massive/product/score/update`,
      ADMIN,
      [{ id: 8, score: 78 }]
    )

    expect(answer.status).toBe(403)
    expect(stack.emulator.stats().requests.total).toBe(0)
  })

  it('without the Catalog policy in their manifest are refused by the Catalog, and may not run jobs', async () => {
    const before = scoreOf(8)
    const sync = await consumer('products', APP_WITHOUT_CATALOG_POLICY, [
      { id: 8, score: 78 },
    ])
    const job = await consumer('job', APP_WITHOUT_CATALOG_POLICY, [
      { id: 8, score: 78 },
    ])

    expect(sync).toMatchObject({ ok: false, status: 403 })
    expect(job).toMatchObject({
      ok: false,
      status: 403,
      body: { error: { code: 'FORBIDDEN' } },
    })
    expect(scoreOf(8)).toBe(before)
    expect(stack.emulator.stats().requests.PUT ?? 0).toBe(0)
  })
})

describe('refusals', () => {
  it.each([
    ['a token of another account', OTHER_ACCOUNT_TOKEN, 401, 'WRONG_ACCOUNT'],
    ["a shopper's token", SHOPPER_TOKEN, 403, 'SHOPPER_TOKEN'],
    [
      'a user without Product and SKU Management',
      READ_ONLY_TOKEN,
      403,
      'FORBIDDEN',
    ],
    ['a token VTEX ID does not know', 'no-such-token', 401, 'UNAUTHORIZED'],
  ])(
    '%s may not start or read jobs, and nothing is written',
    async (_name, token, status, code) => {
      const headers = { VtexIdclientAutCookie: token }
      const created = await call('PUT', `${PRODUCT_PATH}?async=true`, headers, [
        { id: 9, score: 79 },
      ])
      const listed = await call('GET', JOBS, headers)

      expect(created.status).toBe(status)
      expect(created.body.error.code).toBe(code)
      expect(listed.status).toBe(status)
      expect(stack.emulator.stats().requests.total).toBe(0)
      expect(eventsSent()).toBe(0)
    }
  )

  it('a category job, which no published policy lets the app write: 400, nothing stored', async () => {
    const answer = await call('PUT', `${CATEGORY_PATH}?async=true`, ADMIN, [
      { id: 2, score: 5 },
    ])

    expect(answer.status).toBe(400)
    expect(answer.body.error.code).toBe('CATEGORY_JOBS_UNAVAILABLE')
    expect(stack.emulator.stats().requests.total).toBe(0)
    expect(eventsSent()).toBe(0)
  })
})

describe('job ids', () => {
  it.each([[37], [5000]])(
    'a %i-character job id is a 404, never a 500',
    async (length) => {
      const answer = await call('GET', `${JOBS}/${'a'.repeat(length)}`, ADMIN)

      expect(answer.status).toBe(404)
      expect(answer.body.error.code).toBe('JOB_NOT_FOUND')
      expect(answer.body.error.message.length).toBeLessThan(200)
    }
  )
})

describe('when VTEX ID or License Manager fail', () => {
  let proxy: http.Server
  let service: SpawnedService
  let fault: { path: RegExp; mode: 'hang' | '503' } | undefined
  const hits: string[] = []
  const hung: http.ServerResponse[] = []

  beforeAll(async () => {
    const target = new URL(stack.emulator.url)

    // A front for the account host that fails the access calls on demand and passes the rest on.
    proxy = http.createServer((req, res) => {
      if (fault && fault.path.test(req.url ?? '')) {
        hits.push(req.url ?? '')
        req.resume()
        if (fault.mode === 'hang') hung.push(res)
        else {
          res.writeHead(503, { 'Retry-After': '7' })
          res.end('{}')
        }

        return
      }

      const upstream = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        }
      )

      req.pipe(upstream)
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    // The account host (VTEX ID, License Manager, Catalog) behind the failing proxy; VBase as usual.
    service = await spawnServiceOn(stack.emulator.url, {
      CATALOG_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    })
  })

  afterAll(async () => {
    for (const res of hung) res.destroy()
    await service?.close()
    proxy.closeAllConnections()
    await new Promise((resolve) => proxy.close(resolve))
  })

  it('a hung VTEX ID answers 503 VTEX_ID_UNAVAILABLE within seconds, with Retry-After', async () => {
    fault = { path: /credential\/validate/, mode: 'hang' }
    const started = Date.now()
    const answer = await call('GET', JOBS, ADMIN, undefined, service)

    expect(answer.status).toBe(503)
    expect(answer.body.error.code).toBe('VTEX_ID_UNAVAILABLE')
    expect(answer.headers.get('retry-after')).toBe('5')
    expect(Date.now() - started).toBeLessThan(6_000)
    expect(hits.length).toBeGreaterThan(0)
  })

  it('a License Manager answering 503 gives 503 LICENSE_MANAGER_UNAVAILABLE with its Retry-After, and writes nothing', async () => {
    fault = { path: /license-manager/, mode: '503' }
    hits.length = 0
    const answer = await call(
      'PUT',
      `${PRODUCT_PATH}?async=true`,
      ADMIN,
      [{ id: 10, score: 80 }],
      service
    )

    expect(answer.status).toBe(503)
    expect(answer.body.error.code).toBe('LICENSE_MANAGER_UNAVAILABLE')
    expect(answer.headers.get('retry-after')).toBe('7')
    expect(hits.length).toBe(1)
    expect(eventsSent()).toBe(0)
  })

  it('once they are back, the same caller is served: an outage is never kept as a verdict', async () => {
    fault = undefined
    const answer = await call('GET', JOBS, ADMIN, undefined, service)

    expect(answer.status).toBe(200)
  })
})

describe('job creation', () => {
  it("is limited per account (429 with Retry-After), and refused callers spend none of the account's budget", async () => {
    const fresh = await spawnServiceOn(stack.emulator.url, {})
    const create = (headers: Record<string, string>, n: number) =>
      call(
        'PUT',
        `${PRODUCT_PATH}?async=true&dryRun=true`,
        headers,
        [{ id: 12, score: n }],
        fresh
      )

    try {
      const refused = []

      for (let n = 0; n < 12; n++)
        refused.push(
          await create({ VtexIdclientAutCookie: READ_ONLY_TOKEN }, n)
        )
      const answers = []

      for (let n = 0; n < 12; n++) answers.push(await create(ADMIN, n))

      expect(refused.map((a) => a.status)).toEqual(Array(12).fill(403))
      expect(answers.slice(0, 10).map((a) => a.status)).toEqual(
        Array(10).fill(202)
      )
      for (const limited of answers.slice(10)) {
        expect(limited.status).toBe(429)
        expect(limited.body.error.code).toBe('TOO_MANY_JOBS')
        expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
      }
    } finally {
      await fresh.close()
    }
  })
})

describe('retention', () => {
  it('a job past its retention is gone, though VBase ignored its TTL and still holds its files', async () => {
    stack.emulator.vbase.setHonoursTtl(false)
    const short = await spawnServiceOn(stack.emulator.url, {
      JOB_RETENTION_SEC: '2',
    })

    try {
      const created = await call(
        'PUT',
        `${PRODUCT_PATH}?async=true&dryRun=true`,
        ADMIN,
        [{ id: 13, score: 83 }],
        short
      )
      const { jobId } = created.body

      expect(created.status).toBe(202)
      await new Promise((resolve) => setTimeout(resolve, 2_500))
      const summary = await call(
        'GET',
        `${JOBS}/${jobId}`,
        ADMIN,
        undefined,
        short
      )
      const listed = await call('GET', JOBS, ADMIN, undefined, short)

      expect(summary.status).toBe(404)
      expect(summary.body.error.code).toBe('JOB_NOT_FOUND')
      expect(
        listed.body.jobs.map((j: { jobId: string }) => j.jobId)
      ).not.toContain(jobId)
      expect(
        stack.emulator.vbase.keys().some((key) => key.includes(jobId))
      ).toBe(true)
    } finally {
      stack.emulator.vbase.setHonoursTtl(true)
      await short.close()
    }
  })
})

describe('a local run against a store without an app key pair', () => {
  it('refuses jobs with how to fix it, and still runs synchronous batches', async () => {
    const local = await spawnService({
      CATALOG_URL: stack.emulator.url,
      VBASE_PROXY_URL: stack.emulator.url,
      LOCAL_STORE_WITHOUT_APP_KEY: 'true',
    })

    try {
      const job = await call(
        'PUT',
        `${PRODUCT_PATH}?async=true`,
        ADMIN,
        [{ id: 11, score: 81 }],
        local
      )
      const sync = await call(
        'PUT',
        PRODUCT_PATH,
        ADMIN,
        [{ id: 11, score: 81 }],
        local
      )

      expect(job.status).toBe(503)
      expect(job.body.error).toMatchObject({ code: 'JOBS_UNAVAILABLE' })
      expect(job.body.error.message).toContain('VTEX_APP_KEY')
      expect(sync.status).toBe(200)
      expect(scoreOf(11)).toBe(81)
    } finally {
      await local.close()
    }
  })
})
