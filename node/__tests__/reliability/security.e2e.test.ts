import {
  APP_KEY,
  APP_KEY_ENTRY,
  PRODUCT_PATH,
  Stack,
  startStack,
  USER_TOKEN,
} from '../helpers/e2e'
import { recordFigures } from '../helpers/invariants'

const CONCURRENCY = 4
// Secrets that must never be printed or echoed: valid ones, and invalid ones a caller might send.
const INVALID_TOKEN = 'SECRET-invalid-token-7f3a9c'
const INVALID_APP_TOKEN = 'SECRET-invalid-app-token-c91e'

let stack: Stack
const figures: Array<{
  scenario: string
  status: number
  upstreamCalls: number
}> = []
const answers: string[] = []

beforeAll(async () => {
  stack = await startStack(
    { seed: { products: 60, categories: 2 } },
    { CONCURRENCY: String(CONCURRENCY) }
  )
})

afterAll(async () => {
  recordFigures('security', figures)
  await stack?.close()
})

beforeEach(() => stack.emulator.resetStats())

const batch = Array.from({ length: 40 }, (_, i) => ({
  id: i + 1,
  score: 900 + i,
}))

async function attempt(
  scenario: string,
  headers: Record<string, string>,
  body: unknown = batch
) {
  const answer = await stack.put(PRODUCT_PATH, body, headers)
  const upstreamCalls = stack.emulator.stats().requests.total

  answers.push(JSON.stringify(answer.body))
  figures.push({ scenario, status: answer.status, upstreamCalls })

  return { ...answer, upstreamCalls }
}

describe('credentials', () => {
  it('answers 401 without credentials and calls nothing upstream', async () => {
    const { status, body, upstreamCalls } = await attempt('no credentials', {})

    expect(status).toBe(401)
    expect(body.error.code).toBe('UNAUTHORIZED')
    expect(upstreamCalls).toBe(0)
  })

  it.each([
    ['an app key without its token', { 'X-VTEX-API-AppKey': APP_KEY }],
    [
      'an app token without its key',
      { 'X-VTEX-API-AppToken': APP_KEY_ENTRY.token },
    ],
  ])('answers 401 to %s', async (scenario, headers) => {
    const { status, body, upstreamCalls } = await attempt(scenario, headers)

    expect(status).toBe(401)
    expect(body.error.message).toMatch(
      /both X-VTEX-API-AppKey and X-VTEX-API-AppToken/
    )
    expect(upstreamCalls).toBe(0)
  })

  it('stops at the first 401 for an invalid token', async () => {
    const before = stack.emulator.snapshot()
    const { status, body, upstreamCalls } = await attempt(
      'invalid user token',
      { VtexIdclientAutCookie: INVALID_TOKEN }
    )

    expect(status).toBe(401)
    expect(upstreamCalls).toBeLessThanOrEqual(CONCURRENCY)
    expect(body.failedResponses.quantity).toBe(batch.length)
    expect(
      body.failedResponses.elements.filter(
        (e: { code: string }) => e.code === 'NOT_ATTEMPTED'
      ).length
    ).toBeGreaterThanOrEqual(batch.length - CONCURRENCY)
    expect(stack.emulator.snapshot()).toEqual(before)
  })

  it('stops at the first 401 for an invalid app token', async () => {
    const { status, upstreamCalls } = await attempt('invalid app token', {
      'X-VTEX-API-AppKey': APP_KEY,
      'X-VTEX-API-AppToken': INVALID_APP_TOKEN,
    })

    expect(status).toBe(401)
    expect(upstreamCalls).toBeLessThanOrEqual(CONCURRENCY)
  })

  it('never lets its own token reach the Catalog', async () => {
    await attempt(
      'valid user token',
      { VtexIdclientAutCookie: USER_TOKEN },
      batch.slice(0, 5)
    )
    const stats = stack.emulator.stats()

    expect(stats.requests.total).toBe(10)
    expect(stats.proxyAuthorizationSeen).toBe(0)
    expect(stats.authorizationSeen).toBe(0)
  })
})

describe('path injection', () => {
  it.each([
    '1/../../x',
    '1?an=other',
    '1%2F..%2Fcategory%2F2',
    '../2',
    '1#x',
    '1 ',
    '+1',
  ])('rejects id %j in validation, with no upstream call', async (id) => {
    const { status, body, upstreamCalls } = await attempt(
      `id ${JSON.stringify(id)}`,
      { VtexIdclientAutCookie: USER_TOKEN },
      [{ id, score: 1 }]
    )

    expect(status).toBe(400)
    expect(body.failedResponses.elements[0][0]).toMatchObject({
      code: 'INVALID_ID',
    })
    expect(upstreamCalls).toBe(0)
  })
})

describe('secrets stay secret', () => {
  it('never prints or echoes a credential', () => {
    const output = stack.service.output()
    const everything = `${output}\n${answers.join('\n')}`

    expect(answers.length).toBeGreaterThan(5)
    for (const secret of [
      USER_TOKEN,
      APP_KEY_ENTRY.token,
      INVALID_TOKEN,
      INVALID_APP_TOKEN,
    ]) {
      expect(everything).not.toContain(secret)
    }
  })
})
