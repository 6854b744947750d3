import fc from 'fast-check'
import fs from 'fs'
import http from 'http'
import { Readable } from 'stream'
import { gzipSync } from 'zlib'

import { PRODUCT_PATH, Stack, startStack, USER_TOKEN } from '../helpers/e2e'
import { recordFigures } from '../helpers/invariants'

const TEN_MB = 10 * 1024 * 1024
let stack: Stack
const figures: Array<{
  scenario: string
  status: number
  code: string
  upstreamCalls: number
}> = []

beforeAll(async () => {
  stack = await startStack(
    { seed: { products: 20, categories: 2 } },
    { MAX_ITEMS: '5000' }
  )
})

afterAll(async () => {
  recordFigures('input', figures)
  await stack?.close()
})

beforeEach(() => stack.emulator.resetStats())

/** A raw request, so that headers (or their absence) are exactly what the test says. */
function rawPut(
  headers: Record<string, string | number>,
  body?: Buffer | string | Readable
) {
  return new Promise<{ status: number; body: any }>((resolve, reject) => {
    const url = new URL(`${stack.service.url}${PRODUCT_PATH}`)
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'PUT',
        headers: { VtexIdclientAutCookie: USER_TOKEN, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = []

        res.on('data', (chunk) => chunks.push(chunk))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')

          resolve({
            status: res.statusCode ?? 0,
            body: text ? JSON.parse(text) : undefined,
          })
        })
      }
    )

    // The service may answer before the whole body is sent; that is the point.
    req.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EPIPE' || error.code === 'ECONNRESET'
        ? undefined
        : reject(error)
    )
    if (body instanceof Readable) body.pipe(req)
    else req.end(body)
  })
}

async function expectRejected(
  scenario: string,
  answer: Promise<{ status: number; body: any }>,
  status: number,
  code: string
) {
  const { status: actual, body } = await answer
  const upstreamCalls = stack.emulator.stats().requests.total

  expect({ status: actual, code: body?.error?.code }).toEqual({ status, code })
  expect(body.error.message.length).toBeGreaterThan(10)
  expect(upstreamCalls).toBe(0)
  figures.push({ scenario, status: actual, code, upstreamCalls })
}

const vmRssMb = (pid: number) =>
  Number(
    /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  ) / 1024

describe('bodies at and over 10 MB', () => {
  const padded = (size: number) => {
    const head = '[{"id": 1, "score": 7}'

    return Buffer.from(`${head}${' '.repeat(size - head.length - 1)}]`)
  }

  it('accepts a body of exactly 10 MB', async () => {
    const { status, body } = await rawPut(
      { 'Content-Type': 'application/json' },
      padded(TEN_MB)
    )

    expect(status).toBe(200)
    expect(body.successfulResponses.quantity).toBe(1)
  })

  it('refuses 10 MB + 1 byte announced by Content-Length', async () => {
    await expectRejected(
      '10 MB + 1 byte, Content-Length',
      rawPut({ 'Content-Type': 'application/json' }, padded(TEN_MB + 1)),
      413,
      'PAYLOAD_TOO_LARGE'
    )
  })

  it('refuses an oversized chunked body, and memory stays bounded', async () => {
    const before = vmRssMb(stack.service.pid)

    for (let i = 0; i < 3; i++) {
      const chunks = Array.from({ length: 24 }, () =>
        Buffer.alloc(1024 * 1024, 0x20)
      )
      // No Content-Length: the service must stop buffering at the limit on its own.
      await expectRejected(
        `24 MB chunked body #${i + 1}`,
        rawPut({ 'Content-Type': 'application/json' }, Readable.from(chunks)),
        413,
        'PAYLOAD_TOO_LARGE'
      )
    }

    expect(vmRssMb(stack.service.pid) - before).toBeLessThan(64)
  })

  it('refuses more than maxItems items', async () => {
    const items = Array.from({ length: 5001 }, (_, i) => ({
      id: i + 1,
      score: 1,
    }))

    const answer = rawPut(
      { 'Content-Type': 'application/json' },
      JSON.stringify(items)
    )

    await expectRejected(
      '5,001 items (maxItems 5,000)',
      answer,
      413,
      'BATCH_TOO_LARGE'
    )
    // The refusal says where such a batch can go: a job, and its own limit.
    expect((await answer).body.error.message).toContain(
      'Send it with ?async=true to run it as a job (up to 100000 items)'
    )
  })

  it('takes a gzip body, inflated under the same 10 MB limit', async () => {
    const zipped = gzipSync(Buffer.from('[{"id": 4, "score": 12}]'))
    const { status, body } = await rawPut(
      { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      zipped
    )

    expect(status).toBe(200)
    expect(body.successfulResponses.elements[0]).toMatchObject({
      id: 4,
      score: 12,
    })

    // 11 MB of spaces compress to a few KB: the limit counts what they inflate to.
    stack.emulator.resetStats()
    await expectRejected(
      'gzip body inflating to 11 MB',
      rawPut(
        { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
        gzipSync(Buffer.alloc(11 * 1024 * 1024, 0x20))
      ),
      413,
      'PAYLOAD_TOO_LARGE'
    )
  })
})

describe('content type and empty bodies', () => {
  it('refuses a non-JSON Content-Type', async () => {
    await expectRejected(
      'Content-Type text/plain',
      rawPut({ 'Content-Type': 'text/plain' }, '[{"id":1,"score":1}]'),
      415,
      'UNSUPPORTED_MEDIA_TYPE'
    )
  })

  it('reads a body without Content-Type as JSON', async () => {
    const { status } = await rawPut({}, '[{"id": 2, "score": 3}]')

    expect(status).toBe(200)
  })

  it('refuses an empty body and a whitespace-only body', async () => {
    await expectRejected(
      'empty body',
      rawPut({ 'Content-Type': 'application/json' }, ''),
      400,
      'EMPTY_BODY'
    )
    await expectRejected(
      'whitespace-only body',
      rawPut({ 'Content-Type': 'application/json' }, ' \n\t '),
      400,
      'EMPTY_BODY'
    )
  })

  it('refuses invalid JSON and a non-array', async () => {
    await expectRejected(
      'invalid JSON',
      rawPut({ 'Content-Type': 'application/json' }, '[{"id": 1,'),
      400,
      'INVALID_JSON'
    )
    await expectRejected(
      'an object, not an array',
      rawPut({ 'Content-Type': 'application/json' }, '{"id": 1, "score": 1}'),
      400,
      'PAYLOAD_NOT_A_LIST'
    )
  })
})

describe('random invalid batches through the real service', () => {
  it('never writes anything and always answers a precise 4xx', async () => {
    const invalidItem = fc.oneof(
      fc.record({
        id: fc.constantFrom('12a', 0, -3, 1.5, '1/../../x', null),
        score: fc.integer(),
      }),
      fc.record({
        id: fc.integer({ min: 1, max: 20 }),
        score: fc.constantFrom('x', 1.5, 2 ** 31, null),
      }),
      fc.jsonValue().filter((v) => typeof v !== 'object' || v === null)
    )
    const validItem = fc.record({
      id: fc.integer({ min: 1, max: 20 }),
      score: fc.integer({ min: 0, max: 99 }),
    })
    const batches = fc.sample(
      fc
        .tuple(fc.array(validItem, { maxLength: 8 }), invalidItem)
        .map(([valid, bad]) => [...valid, bad]),
      { numRuns: 25, seed: 42 }
    )
    const before = stack.emulator.snapshot()

    for (const batch of batches) {
      const { status } = await stack.put(PRODUCT_PATH, batch)

      expect(status).toBe(400)
    }

    expect(stack.emulator.stats().requests.total).toBe(0)
    expect(stack.emulator.snapshot()).toEqual(before)
    figures.push({
      scenario: `${batches.length} random invalid batches`,
      status: 400,
      code: 'INVALID_ITEMS',
      upstreamCalls: 0,
    })
  })
})
