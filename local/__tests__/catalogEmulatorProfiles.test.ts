import {
  CatalogEmulator,
  effectiveSettings,
  itemsPerSecAllowed,
  PROFILES,
  ProfileName,
  resolveProfile,
  seededRandom,
  startCatalogEmulator,
  TokenBuckets,
} from '../catalogEmulator'
import { latencyMs } from '../catalogEmulator/latency'

const ADMIN = { VtexIdclientAutCookie: 'local-admin-token' }

// A fake clock: buckets, penalty windows, breaker phases and the other client read it.
let clock = 1_000_000
let emulator: CatalogEmulator

beforeAll(async () => {
  emulator = await startCatalogEmulator({
    seed: { products: 10, categories: 5 },
    now: () => clock,
  })
})

afterAll(() => emulator.close())

beforeEach(() => {
  emulator.configure({
    profile: null,
    rateLimit: null,
    latency: null,
    faults: null,
  })
  emulator.resetStats()
})

const call = async (method: 'GET' | 'PUT', path: string) => {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...ADMIN },
    body:
      method === 'PUT'
        ? JSON.stringify(
            path.includes('category')
              ? emulator.getCategory(Number(path.split('/').pop()))
              : emulator.getProduct(Number(path.split('/').pop()))
          )
        : undefined,
  })

  await response.text()

  return {
    status: response.status,
    headers: Object.fromEntries(
      [...response.headers].filter(([name]) => /rate|retry/i.test(name))
    ),
  }
}

const product = (id = 1) => `/api/catalog/pvt/product/${id}`
const category = (id = 1) => `/api/catalog/pvt/category/${id}`

/** A profile without latency, so the tests do not wait; the buckets are small. */
const small = (extra: object = {}) => ({
  buckets: { account: { ratePerSec: 1, burst: 2 } },
  ...extra,
})

describe('rate headers', () => {
  it.each([
    ['bare', {}, {}],
    ['none', {}, { 'retry-after': '1' }],
    [
      'on-429',
      {},
      {
        'retry-after': '1',
        'ratelimit-limit': '2',
        'ratelimit-remaining': '0',
        'ratelimit-reset': '1',
      },
    ],
    [
      'ietf',
      {
        'ratelimit-limit': '2',
        'ratelimit-remaining': '1',
        'ratelimit-reset': '1',
      },
      {
        'retry-after': '1',
        'ratelimit-limit': '2',
        'ratelimit-remaining': '0',
        'ratelimit-reset': '1',
      },
    ],
    [
      'x-ratelimit',
      {
        'x-ratelimit-limit': '2',
        'x-ratelimit-remaining': '1',
        'x-ratelimit-reset': '1',
      },
      {
        'retry-after': '1',
        'x-ratelimit-limit': '2',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': '1',
      },
    ],
  ])('%s: a 200 carries %j, a 429 %j', async (style, ok, limited) => {
    emulator.configure({ profile: small({ rateHeaders: style }) })
    const first = await call('GET', product())

    await call('GET', product())
    const third = await call('GET', product())

    expect(first).toEqual({ status: 200, headers: ok })
    expect(third).toEqual({ status: 429, headers: limited })
    expect(emulator.stats()).toMatchObject({
      rateLimited: 1,
      rateLimitedBy: { account: 1 },
    })
    clock += 5000
  })

  it('a profile with buckets sends no rate header by default; the legacy rateLimit keeps IETF headers', () => {
    expect(effectiveSettings({ profile: small() }).rateHeaders).toBe('none')
    expect(
      effectiveSettings({ rateLimit: { ratePerSec: 1, burst: 1 } }).rateHeaders
    ).toBe('ietf')
    expect(
      effectiveSettings({
        rateLimit: { ratePerSec: 1, burst: 1, headers: 'x-ratelimit' },
      }).rateHeaders
    ).toBe('x-ratelimit')
  })
})

describe('per-endpoint and per-account buckets at once', () => {
  it('a call needs a token from both; each bucket opens its own window', async () => {
    emulator.configure({
      profile: {
        buckets: {
          account: { ratePerSec: 1, burst: 4 },
          endpoint: { ratePerSec: 1, burst: 2 },
        },
      },
    })
    const statuses = []

    // GET product: its endpoint bucket (2) runs out first.
    for (let i = 0; i < 3; i++)
      statuses.push((await call('GET', product())).status)
    // PUT product has its own endpoint bucket, and the account has 2 tokens left.
    for (let i = 0; i < 2; i++)
      statuses.push((await call('PUT', product())).status)
    // Now the account bucket is empty, whatever the endpoint.
    statuses.push((await call('GET', category())).status)
    expect(statuses).toEqual([200, 200, 429, 200, 200, 429])
    expect(emulator.stats()).toMatchObject({
      rateLimited: 2,
      rateLimitedBy: { 'GET product': 1, account: 1 },
      requestsInPenaltyWindow: 0,
    })
    // Inside the account's window, after the grace period: a violation.
    clock += 100
    expect((await call('PUT', category())).status).toBe(429)
    expect(emulator.stats().requestsInPenaltyWindow).toBe(1)
    clock += 5000
    expect((await call('GET', product())).status).toBe(200)
  })

  it('takes no token from one bucket when the other refuses', () => {
    let now = 0
    const buckets = new TokenBuckets(
      {
        account: { ratePerSec: 1, burst: 3 },
        endpoint: { ratePerSec: 1, burst: 1 },
      },
      () => now
    )

    expect(buckets.check('GET product')).toMatchObject({ allowed: true })
    expect(buckets.check('GET product')).toMatchObject({
      allowed: false,
      bucket: 'GET product',
    })
    // The refused call left the account's tokens alone: 2 remain.
    expect(buckets.check('PUT product')).toMatchObject({
      allowed: true,
      bucket: 'PUT product',
      remaining: 0,
    })
    expect(buckets.check('GET category')).toMatchObject({ allowed: true })
    expect(buckets.check('PUT category')).toMatchObject({
      allowed: false,
      bucket: 'account',
    })
    now = 10_000
    expect(buckets.check('PUT category')).toMatchObject({ allowed: true })
  })
})

describe('latency', () => {
  it('log-normal: a realistic spread and tail, the same for the same seed', () => {
    const model = PROFILES.documented.latency
    const draw = (seed: number) => {
      const random = seededRandom(seed)

      return Array.from({ length: 5000 }, () => latencyMs(model, random))
    }

    const samples = draw(7).sort((a, b) => a - b)
    const at = (q: number) => samples[Math.floor(q * samples.length)]

    expect(draw(7).sort((a, b) => a - b)).toEqual(samples)
    expect(at(0.5)).toBeGreaterThan(95)
    expect(at(0.5)).toBeLessThan(125)
    expect(at(0.05)).toBeGreaterThan(40)
    expect(at(0.95)).toBeLessThan(260)
    expect(at(0.999)).toBeGreaterThan(300)
  })

  it('the emulator draws it per call, from its seed, and reports what it drew', async () => {
    emulator.configure({
      profile: {
        latency: { medianMs: 20, sigma: 0.3, minMs: 10, maxMs: 40 },
      },
    })
    await Promise.all([1, 2, 3, 4, 5, 6].map((id) => call('GET', product(id))))
    const { latencyDrawn } = emulator.stats()

    expect(latencyDrawn.calls).toBe(6)
    expect(latencyDrawn.p50Ms).toBeGreaterThanOrEqual(10)
    expect(latencyDrawn.maxMs).toBeLessThanOrEqual(40)
  })

  it('grows with load: n calls in flight take max(1, n / capacity) times as long', async () => {
    expect(
      latencyMs({ meanMs: 50, jitterMs: 0 }, Math.random, { capacity: 2 }, 1)
    ).toBe(50)
    expect(
      latencyMs({ meanMs: 50, jitterMs: 0 }, Math.random, { capacity: 2 }, 6)
    ).toBe(150)
    emulator.configure({
      profile: { latency: { meanMs: 20, jitterMs: 0 }, load: { capacity: 1 } },
    })
    await Promise.all([1, 2, 3, 4].map((id) => call('GET', product(id))))
    const { latencyDrawn } = emulator.stats()

    expect(latencyDrawn.calls).toBe(4)
    // The last of four concurrent calls found four in flight.
    expect(latencyDrawn.maxMs).toBeGreaterThanOrEqual(60)
  })
})

describe('breaker phases', () => {
  it('on a schedule: every call 503, fast, for openMs out of every everyMs', async () => {
    emulator.configure({
      profile: { breaker: { openMs: 1000, everyMs: 3000, startMs: 500 } },
    })
    emulator.resetStats()
    const at = async (offsetMs: number) => {
      const started = clock

      clock += offsetMs
      const { status } = await call('GET', product())

      clock = started

      return status
    }

    expect(await at(0)).toBe(200)
    expect(await at(600)).toBe(503)
    expect(await at(1499)).toBe(503)
    expect(await at(1600)).toBe(200)
    expect(await at(3600)).toBe(503)
    expect(await at(4600)).toBe(200)
    expect(emulator.stats()).toMatchObject({
      breaker503s: 3,
      faultHits: { breaker: 3 },
    })
  })

  it('on demand: openBreaker(ms), also over the control API', async () => {
    emulator.openBreaker(2000)
    expect((await call('PUT', product())).status).toBe(503)
    clock += 2500
    expect((await call('PUT', product())).status).toBe(200)
    const opened = await fetch(`${emulator.url}/_emulator/breaker`, {
      method: 'POST',
      body: JSON.stringify({ forMs: 1000 }),
    })

    expect(opened.status).toBe(204)
    expect((await call('GET', category())).status).toBe(503)
    expect(emulator.stats().breaker503s).toBe(2)
    clock += 1500
  })

  it("the 'breaker' profile opens 5 s of every 20 s, from 2 s", () => {
    expect(resolveProfile('breaker')).toMatchObject({
      breaker: { openMs: 5000, everyMs: 20_000, startMs: 2000 },
      buckets: PROFILES.documented.buckets,
    })
  })
})

describe('another client eating part of the same bucket', () => {
  it('takes its share continuously and counts the tokens it got', async () => {
    emulator.configure({
      profile: {
        buckets: { account: { ratePerSec: 10, burst: 10 } },
        otherClient: { ratePerSec: 4 },
      },
    })
    emulator.resetStats()
    let allowed = 0

    for (let i = 0; i < 11; i++)
      if ((await call('GET', product())).status === 200) allowed++
    expect(allowed).toBe(10)
    // 2 s later: 20 tokens refilled, the other client took 8; the bucket holds its burst (10).
    clock += 2000
    allowed = 0
    for (let i = 0; i < 11; i++)
      if ((await call('GET', product())).status === 200) allowed++
    expect(allowed).toBe(10)
    expect(emulator.stats()).toMatchObject({
      otherClientTokens: 8,
      rateLimited: 2,
    })
    // 1 s later, with an empty bucket: we get what is left after its 4.
    clock += 1000
    allowed = 0
    for (let i = 0; i < 11; i++)
      if ((await call('GET', product())).status === 200) allowed++
    expect(allowed).toBe(6)
    expect(emulator.stats().otherClientTokens).toBe(12)
  })

  it('gets only the refill when it wants more than the bucket gives', () => {
    let now = 0
    const buckets = new TokenBuckets(
      { account: { ratePerSec: 5, burst: 5 } },
      () => now,
      50,
      { ratePerSec: 20 }
    )

    now = 1000
    buckets.settle()
    // 5 in the bucket + 5 refilled: all it could take.
    expect(buckets.otherClientTokens).toBe(10)
    expect(buckets.check('GET product')).toMatchObject({ allowed: false })
  })
})

describe('named profiles', () => {
  it.each(Object.keys(PROFILES) as ProfileName[])(
    '%s resolves to a documented Catalog',
    (name) => {
      const profile = resolveProfile(name)

      expect(profile?.buckets).toEqual({
        account: { ratePerSec: 750, burst: 750 },
        endpoint: { ratePerSec: 250, burst: 250 },
      })
      expect(profile?.latency).toEqual(PROFILES.documented.latency)
    }
  )

  it('is selected by name, and an unknown name is refused', async () => {
    emulator.configure({ profile: 'ietf' })
    const first = await call('GET', product())

    expect(first.headers['ratelimit-limit']).toBe('250')
    expect(() =>
      emulator.configure({ profile: 'nope' as ProfileName })
    ).toThrow(/Unknown Catalog profile/)
  })

  it('gives the items/s its buckets allow, after the other client', () => {
    expect(itemsPerSecAllowed(resolveProfile('documented'))).toBe(250)
    expect(itemsPerSecAllowed(resolveProfile('shared-bucket'))).toBe(150)
    expect(
      itemsPerSecAllowed(resolveProfile('shared-bucket'), 'category')
    ).toBe(250)
    expect(
      itemsPerSecAllowed({
        buckets: { account: { ratePerSec: 300, burst: 1 } },
        otherClient: { ratePerSec: 100, endpoint: 'PUT category' },
      })
    ).toBe(100)
    expect(itemsPerSecAllowed(undefined)).toBe(Infinity)
  })
})
