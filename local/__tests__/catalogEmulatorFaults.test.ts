import http from 'http'

import { FaultRule } from '../catalogEmulator'
import { CONTROL_METHODS } from '../catalogEmulator/control'
import { failureRules, throttleOnceRules } from '../catalogEmulator/faults'
import { ADMIN, call, emulator, useSeededEmulator } from './emulatorHarness'

useSeededEmulator()

const product = (id: number) => `/api/catalog/pvt/product/${id}`

/** A raw request, to see what a client sees when the connection misbehaves. */
function rawGet(path: string, timeoutMs: number) {
  return new Promise<{
    outcome: 'error' | 'timeout' | 'end'
    status?: number
    body: string
  }>((resolve) => {
    let body = ''
    let status: number | undefined
    const req = http.get(
      `${emulator.url}${path}`,
      { headers: ADMIN, agent: false },
      (res) => {
        status = res.statusCode
        res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')))
        res.on('end', () => resolve({ outcome: 'end', status, body }))
        res.on('error', () => resolve({ outcome: 'error', status, body }))
      }
    )

    req.on('error', () => resolve({ outcome: 'error', status, body }))
    req.setTimeout(timeoutMs, () => {
      req.destroy()
      resolve({ outcome: 'timeout', status, body })
    })
  })
}

const configure = (faults: FaultRule[]) => {
  emulator.configure({ faults })
  emulator.resetStats()
}

describe('fault actions', () => {
  it('status: answers the status with the Catalog-like message', async () => {
    configure([
      { action: { type: 'status', status: 503, message: 'Circuit open' } },
    ])
    const answer = await call('GET', product(1))

    expect(answer.status).toBe(503)
    expect(answer.json).toEqual({ Message: 'Circuit open' })
    expect(emulator.stats()).toMatchObject({
      faultsInjected: 1,
      faultHits: { '0': 1 },
    })
  })

  it('429: sends the literal headers, leaves out the null ones, and holds them for the window', async () => {
    configure([
      {
        ids: [1],
        times: 1,
        action: { type: '429', retryAfter: '7', reset: null, windowMs: 300 },
      },
    ])
    const first = await call('GET', product(1))

    expect(first.status).toBe(429)
    expect(first.headers.get('retry-after')).toBe('7')
    expect(first.headers.has('ratelimit-reset')).toBe(false)
    // Another id, inside the window: the same account-wide 429.
    await new Promise((resolve) => setTimeout(resolve, 80))
    const inside = await call('GET', product(2))

    expect(inside.status).toBe(429)
    expect(inside.headers.get('retry-after')).toBe('7')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect((await call('GET', product(2))).status).toBe(200)
    expect(emulator.stats()).toMatchObject({
      rateLimited: 2,
      requestsInPenaltyWindow: 1,
      faultHits: { '0': 1 },
    })
  })

  it('429: without literal headers, sends the seconds left in the window', async () => {
    configure([{ times: 1, action: { type: '429', windowMs: 2500 } }])
    const first = await call('GET', product(3))

    expect(first.headers.get('retry-after')).toBe('3')
    expect(first.headers.get('ratelimit-reset')).toBe('3')
  })

  it('429 with windowMs 0 opens no window', async () => {
    configure([{ ids: [1], action: { type: '429', windowMs: 0 } }])
    expect((await call('GET', product(1))).status).toBe(429)
    expect((await call('GET', product(2))).status).toBe(200)
  })

  it('slow: answers normally after the delay', async () => {
    configure([{ ids: [4], action: { type: 'slow', delayMs: 150 } }])
    const started = Date.now()
    const slow = await call('GET', product(4))

    expect(slow.status).toBe(200)
    expect(slow.json.Id).toBe(4)
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    expect(emulator.stats().faultHits).toEqual({ '0': 1 })
  })

  it('hang: sends headers and half a body, then never ends', async () => {
    configure([{ ids: [5], action: { type: 'hang' } }])
    const answer = await rawGet(product(5), 200)

    expect(answer).toMatchObject({ outcome: 'timeout', status: 200 })
    expect(answer.body).toBe('{"Id":1,"Name":"')
  })

  it('reset-request: destroys the connection before any answer', async () => {
    configure([{ ids: [6], action: { type: 'reset-request' } }])
    const answer = await rawGet(product(6), 1000)

    expect(answer).toEqual({ outcome: 'error', status: undefined, body: '' })
  })

  it('reset-response: sends half a body, then destroys the connection', async () => {
    configure([{ ids: [7], action: { type: 'reset-response' } }])
    const answer = await rawGet(product(7), 1000)

    expect(answer.outcome).toBe('error')
    expect(answer.status).toBe(200)
    expect(answer.body).toBe('{"Id":1,"Name":"')
  })
})

describe('lying GETs', () => {
  it('wrong-object: a GET answers another object of the same kind', async () => {
    configure([{ ids: [2], action: { type: 'wrong-object', id: 9 } }])
    const answer = await call('GET', product(2))

    expect(answer.status).toBe(200)
    expect(answer.json).toEqual(emulator.getProduct(9))
    // Even an unknown id gets the other object, as a mock of the spec's example does.
    configure([{ ids: [404], action: { type: 'wrong-object', id: 9 } }])
    expect((await call('GET', product(404))).json.Id).toBe(9)
    expect(emulator.stats().faultHits).toEqual({ '0': 1 })
  })

  it('truncate: a GET answers only the kept fields, or {}', async () => {
    configure([
      { ids: [3], action: { type: 'truncate', keep: ['Id', 'Score'] } },
      { ids: [4], action: { type: 'truncate', keep: [] } },
      { ids: [999], action: { type: 'truncate', keep: [] } },
    ])
    const stored = emulator.getProduct(3) as Record<string, unknown>

    expect((await call('GET', product(3))).json).toEqual({
      Id: 3,
      Score: stored.Score,
    })
    expect((await call('GET', product(4))).json).toEqual({})
    // A 404 stays a 404.
    expect((await call('GET', product(999))).status).toBe(404)
    expect(emulator.stats().faultHits).toEqual({ '0': 1, '1': 1, '2': 1 })
  })

  it('edit-after-get: the GET answers the old object, then the store holds the edit, and a stale PUT undoes it', async () => {
    const original = emulator.getProduct(5) as Record<string, unknown>

    configure([
      {
        ids: [5],
        times: 1,
        action: { type: 'edit-after-get', patch: { Name: 'Edited elsewhere' } },
      },
    ])
    const read = await call('GET', product(5))

    expect(read.json).toEqual(original)
    expect(emulator.getProduct(5)).toEqual({
      ...original,
      Name: 'Edited elsewhere',
    })
    // The lost update the Catalog allows: no If-Match, the whole object is replaced.
    expect(
      (await call('PUT', product(5), ADMIN, { ...read.json, Score: 77 })).status
    ).toBe(200)
    expect(emulator.getProduct(5)).toMatchObject({
      Name: original.Name,
      Score: 77,
    })
    expect(emulator.stats().faultHits).toEqual({ '0': 1 })
    emulator.setProduct(5, original)
  })

  it('never match a PUT', async () => {
    configure([
      { ids: [6], action: { type: 'truncate', keep: [] } },
      { ids: [6], action: { type: 'wrong-object', id: 1 } },
      { ids: [6], action: { type: 'edit-after-get', patch: { Name: 'x' } } },
    ])
    const put = await call('PUT', product(6), ADMIN, emulator.getProduct(6))

    expect(put.status).toBe(200)
    expect(put.json.Id).toBe(6)
    expect(emulator.stats()).toMatchObject({
      faultsInjected: 0,
      faultHits: { '0': 0, '1': 0, '2': 0 },
    })
  })
})

describe('fault rules', () => {
  it('match on kind, method and ids; the first matching rule wins', async () => {
    configure([
      {
        name: 'category PUT',
        kind: 'category',
        method: 'PUT',
        action: { type: 'status', status: 500 },
      },
      { name: 'id 2', ids: [2], action: { type: 'status', status: 502 } },
      { name: 'any', ids: [2, 3], action: { type: 'status', status: 504 } },
    ])
    expect((await call('GET', '/api/catalog/pvt/category/1')).status).toBe(200)
    expect(
      (
        await call(
          'PUT',
          '/api/catalog/pvt/category/1',
          ADMIN,
          emulator.getCategory(1)
        )
      ).status
    ).toBe(500)
    expect((await call('GET', product(2))).status).toBe(502)
    expect((await call('GET', product(3))).status).toBe(504)
    expect((await call('GET', product(1))).status).toBe(200)
    expect(emulator.stats().faultHits).toEqual({
      'category PUT': 1,
      'id 2': 1,
      any: 1,
    })
  })

  it('times and timesPerId bound how often a rule fires', async () => {
    configure([
      { ids: [1], times: 2, action: { type: 'status', status: 503 } },
      { ids: [2, 3], timesPerId: 1, action: { type: 'status', status: 503 } },
    ])
    const statuses = []

    for (const id of [1, 1, 1, 2, 2, 3, 3])
      statuses.push((await call('GET', product(id))).status)
    expect(statuses).toEqual([503, 503, 200, 503, 200, 503, 200])
    expect(emulator.stats().faultHits).toEqual({ '0': 2, '1': 2 })
  })

  it('forMs: a phase that ends by itself (a circuit breaker closing)', async () => {
    configure([{ forMs: 150, action: { type: 'status', status: 503 } }])
    expect((await call('GET', product(1))).status).toBe(503)
    await new Promise((resolve) => setTimeout(resolve, 170))
    expect((await call('GET', product(1))).status).toBe(200)
    expect(emulator.stats().faultHits).toEqual({ '0': 1 })
  })

  it('probability: a seeded share of the matching calls', async () => {
    configure([{ probability: 0.3, action: { type: 'status', status: 503 } }])
    let failed = 0

    for (let i = 0; i < 100; i++)
      if ((await call('GET', product(1 + (i % 10)))).status === 503) failed++
    expect(failed).toBeGreaterThan(15)
    expect(failed).toBeLessThan(45)
    expect(emulator.stats().faultHits).toEqual({ '0': failed })
  })

  it('upstream rules come after the credentials check; edge rules before it', async () => {
    configure([{ action: { type: 'status', status: 503 } }])
    expect((await call('GET', product(1), {})).status).toBe(401)
    configure([{ stage: 'edge', action: { type: 'status', status: 503 } }])
    expect((await call('GET', product(1), {})).status).toBe(503)
  })

  it('lists every configured rule in faultHits, 0 until it fires, and resets with the stats', async () => {
    configure([
      { name: 'never', ids: [999], action: { type: 'hang' } },
      { ids: [1], action: { type: 'status', status: 500 } },
    ])
    expect(emulator.stats().faultHits).toEqual({ never: 0, '1': 0 })
    await call('GET', product(1))
    expect(emulator.stats().faultHits).toEqual({ never: 0, '1': 1 })
    emulator.resetStats()
    expect(emulator.stats().faultHits).toEqual({ never: 0, '1': 0 })
  })
})

describe('legacy options as rules', () => {
  it('throttleOnce is an edge 429 once per id, with its window', async () => {
    expect(
      throttleOnceRules({ kind: 'product', ids: [2], retryAfterSec: 2 })
    ).toEqual([
      {
        name: 'throttleOnce',
        stage: 'edge',
        kind: 'product',
        ids: [2],
        timesPerId: 1,
        action: { type: '429', windowMs: 2000 },
      },
    ])
    emulator.configure({ throttleOnce: { ids: [2], retryAfterSec: 1 } })
    emulator.resetStats()
    const first = await call('GET', product(2))

    expect(first.status).toBe(429)
    expect(first.headers.get('retry-after')).toBe('1')
    await new Promise((resolve) => setTimeout(resolve, 1050))
    expect((await call('GET', product(2))).status).toBe(200)
    expect(emulator.stats().faultHits).toEqual({ throttleOnce: 1 })
  })

  it('failure is the last rule, per method, with its status', async () => {
    expect(failureRules({ rate: 0 })).toEqual([])
    expect(
      failureRules({ rate: 0.5, status: 502, methods: ['GET', 'PUT'] })
    ).toHaveLength(2)
    emulator.configure({
      failure: { rate: 1, status: 502, methods: ['PUT'] },
      faults: [{ ids: [1], action: { type: 'status', status: 500 } }],
    })
    emulator.resetStats()
    expect((await call('GET', product(2))).status).toBe(200)
    expect(
      (await call('PUT', product(2), ADMIN, emulator.getProduct(2))).status
    ).toBe(502)
    // An explicit fault wins over the legacy failure.
    expect(
      (await call('PUT', product(1), ADMIN, emulator.getProduct(1))).status
    ).toBe(500)
    expect(emulator.stats().faultHits).toEqual({ '0': 1, failure: 1 })
  })
})

describe('control API', () => {
  it('is an explicit table of methods', () => {
    expect(
      Object.fromEntries(
        Object.entries(CONTROL_METHODS).map(([name, m]) => [name, m.method])
      )
    ).toEqual({
      stats: 'GET',
      snapshot: 'GET',
      reset: 'POST',
      breaker: 'POST',
      configure: 'POST',
      subscribers: 'POST',
    })
  })

  it('serves stats, configure and reset over HTTP, and refuses the rest', async () => {
    const configured = await call(
      'POST',
      '/_emulator/configure',
      {},
      {
        faults: [{ ids: [3], action: { type: 'status', status: 418 } }],
      }
    )

    expect(configured.status).toBe(204)
    expect((await call('GET', product(3))).status).toBe(418)
    const stats = await call('GET', '/_emulator/stats', {})

    expect(stats.json).toMatchObject({
      requests: { GET: 1 },
      faultHits: { '0': 1 },
    })
    expect((await call('POST', '/_emulator/reset', {})).status).toBe(204)
    expect(emulator.stats().requests.total).toBe(0)
    expect((await call('POST', '/_emulator/stats', {})).status).toBe(405)
    expect((await call('GET', '/_emulator/nope', {})).status).toBe(404)
    const snapshot = await call('GET', '/_emulator/snapshot', {})

    expect(Object.keys(snapshot.json.products)).toHaveLength(10)
  })
})
