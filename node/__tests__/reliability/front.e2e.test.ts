/**
 * The local front must survive whatever reaches it: malformed paths, slow
 * clients, aborted connections, and random requests. After each, the service
 * process is still up and still answers.
 */
import { ChildProcess, spawn } from 'child_process'
import fc from 'fast-check'
import net from 'net'
import path from 'path'

import { PRODUCT_PATH, Stack, startStack, USER_TOKEN } from '../helpers/e2e'

let stack: Stack

const HEADERS_TIMEOUT_MS = 1_000
const REQUEST_TIMEOUT_MS = 2_000

beforeAll(async () => {
  stack = await startStack(
    { seed: { products: 20, categories: 2 } },
    {
      FRONT_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      FRONT_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    }
  )
})

afterAll(() => stack?.close())

beforeEach(() => stack.emulator.resetStats())

interface RawAnswer {
  /** 0 when the connection closed without an answer. */
  status: number
  text: string
}

/** Writes `request` on a fresh socket as is (optionally never finishing it), and reads what comes back. */
function rawRequest(
  request: string | Buffer,
  options: { keepOpen?: boolean; timeoutMs?: number } = {}
): Promise<RawAnswer> {
  const { port } = new URL(stack.service.url)

  return new Promise((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1')
    const chunks: Buffer[] = []
    const done = () => {
      clearTimeout(timer)
      const text = Buffer.concat(chunks).toString('latin1')
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)

      resolve({ status: status ? Number(status[1]) : 0, text })
    }

    const timer = setTimeout(() => socket.destroy(), options.timeoutMs ?? 8_000)

    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', () => undefined)
    socket.on('close', done)
    socket.write(request)
    if (!options.keepOpen) socket.end()
  })
}

/** One line of the service's output per event; stack frames look like "    at fn (file:1:2)". */
const stackFrames = (output: string) =>
  output.split('\n').filter((line) => /^\s+at .+:\d+:\d+\)?$/.test(line))

async function expectStillServing() {
  expect(() => process.kill(stack.service.pid, 0)).not.toThrow()

  const before = stack.emulator.stats().requests.total
  const { status, body } = await stack.put(PRODUCT_PATH, [{ id: 3, score: 77 }])

  expect(status).toBe(200)
  expect(body.successfulResponses.quantity).toBe(1)
  expect(stack.emulator.snapshot().products[3].Score).toBe(77)
  expect(stack.emulator.stats().requests.total).toBeGreaterThan(before)
}

describe('malformed paths', () => {
  it.each([
    '/_v/massive/score/jobs/%25%',
    '/_v/massive/score/jobs/%',
    '/_v/massive/score/jobs/%zz',
    '/_v/massive/score/jobs/%E0%A4%A',
    '/_v/massive/score/jobs/%C0%80/resume',
  ])(
    'GET %s answers 400 MALFORMED_PATH and the service stays up',
    async (path) => {
      const response = await fetch(`${stack.service.url}${path}`, {
        headers: { VtexIdclientAutCookie: USER_TOKEN },
      })
      const body = (await response.json()) as {
        error: { code: string; message: string }
      }

      expect(response.status).toBe(400)
      expect(body.error.code).toBe('MALFORMED_PATH')
      expect(body.error.message).toContain('%')
      expect(stack.emulator.stats().requests.total).toBe(0)
      await expectStillServing()
    }
  )
})

describe('slow and aborted clients', () => {
  it('cuts a client that never finishes its headers with 408', async () => {
    const answer = await rawRequest(
      `GET /_v/massive/score/jobs/x HTTP/1.1\r\nHost: local\r\nX-Slow: `,
      { keepOpen: true }
    )

    expect(answer.status).toBe(408)
  })

  it('cuts a client that never finishes its body with 408, and nothing is written', async () => {
    const answer = await rawRequest(
      `PUT ${PRODUCT_PATH} HTTP/1.1\r\nHost: local\r\nVtexIdclientAutCookie: ${USER_TOKEN}\r\n` +
        `Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{"id": 1, "score": 5}`,
      { keepOpen: true }
    )

    expect(answer.status).toBe(408)
    expect(stack.emulator.stats().requests.total).toBe(0)
    await expectStillServing()
  })

  it('logs an aborted upload in one line at most, with no stack trace', async () => {
    const before = stack.service.output()

    await rawRequest(
      `PUT ${PRODUCT_PATH} HTTP/1.1\r\nHost: local\r\nVtexIdclientAutCookie: ${USER_TOKEN}\r\n` +
        `Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n[{"id": 1,`
    )
    // Let the service write whatever it writes about it.
    await expectStillServing()

    const added = stack.service.output().slice(before.length)
    const aborted = added
      .split('\n')
      .filter((line) => /closed its connection|Parse Error|aborted/i.test(line))

    expect(aborted.length).toBeLessThanOrEqual(1)
    expect(stackFrames(added)).toEqual([])
    expect(stack.emulator.snapshot().products[1].Score).not.toBe(5)
  })
})

describe('random requests (seeded fuzz)', () => {
  const ROUTES = [
    PRODUCT_PATH,
    '/_v/massive/catalog/score/update',
    '/_v/massive/score/jobs/',
    '/_v/massive/score/jobs/x/resume',
    '/',
    '',
  ]
  // Pieces the HTTP parser itself refuses are rare, so most requests reach the front's own code.
  const pathPiece = fc.oneof(
    { arbitrary: fc.constantFrom('é', '\u202e', ' '), weight: 1 },
    {
      arbitrary: fc.constantFrom(
        '%',
        '%2',
        '%zz',
        '%25%',
        '%00',
        '%2F',
        '..',
        '/',
        '//',
        '?',
        '?dryRun=maybe&async=%',
        '#',
        ';',
        'a'.repeat(3000),
        '1'
      ),
      weight: 12,
    }
  )
  const method = fc.oneof(
    {
      arbitrary: fc.constantFrom(
        'GET',
        'PUT',
        'POST',
        'DELETE',
        'PATCH',
        'OPTIONS',
        'HEAD',
        'TRACE',
        'put'
      ),
      weight: 10,
    },
    // Node's parser refuses methods it does not know, with a bare 400.
    { arbitrary: fc.stringMatching(/^[A-Z]{1,12}$/), weight: 1 }
  )
  const header = fc.oneof(
    {
      arbitrary: fc.constantFrom(
        `X-Big: ${'b'.repeat(20_000)}`,
        'Bad Header Without Colon',
        ': empty-name',
        'Content-Length: abc',
        'Content-Length: -1'
      ),
      weight: 1,
    },
    {
      arbitrary: fc.constantFrom(
        `VtexIdclientAutCookie: ${USER_TOKEN}`,
        'VtexIdclientAutCookie: nope',
        'X-VTEX-API-AppKey: vtexappkey-x',
        'Content-Type: application/json',
        'Content-Type: text/csv',
        'Content-Type: text/plain',
        'Content-Type: ;;;',
        'Content-Length: 5',
        'Content-Length: 99999999999999999999',
        'Transfer-Encoding: chunked',
        'Transfer-Encoding: gzip, chunked',
        'Content-Encoding: gzip',
        'Content-Encoding: bogus',
        'x-colossus-route-id: scoreJobResume',
        'x-vtex-account: another-store',
        'x-colossus-params: jobId=..%2F..',
        'Expect: 100-continue',
        'Cookie: VtexIdclientAutCookie=%'
      ),
      weight: 8,
    },
    {
      arbitrary: fc
        .tuple(
          fc.stringMatching(/^[A-Za-z-]{1,20}$/),
          fc.string({ maxLength: 40 })
        )
        .map(([name, value]) => `${name}: ${value.replace(/[\r\n]/g, '')}`),
      weight: 2,
    }
  )
  const body = fc.oneof(
    fc.constant(''),
    fc.constant('[{"id": 1, "score": 2}]'),
    fc.constant('id;score\r\n"1;2\r\n'),
    fc.constant('5\r\nhello\r\n0\r\n\r\n'),
    fc.constant('zz\r\nbroken chunk\r\n'),
    fc.string({ maxLength: 200 })
  )
  const request = fc
    .record({
      method,
      route: fc.constantFrom(...ROUTES),
      pieces: fc.array(pathPiece, { maxLength: 4 }),
      headers: fc.array(header, { maxLength: 6 }),
      body,
      version: fc.oneof(
        { arbitrary: fc.constant('HTTP/1.1'), weight: 10 },
        { arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/9'), weight: 1 }
      ),
    })
    .map(
      ({ method: m, route, pieces, headers, body: b, version }) =>
        `${m} ${route}${pieces.join('')} ${version}\r\nHost: local\r\n` +
        `${headers.map((h) => `${h}\r\n`).join('')}\r\n${b}`
    )

  it('300 random requests: every answer is a 4xx or 2xx (or a closed connection), and the service stays up', async () => {
    const requests = fc.sample(request, { numRuns: 300, seed: 1311 })
    const outputBefore = stack.service.output().length
    const statuses = new Map<number, number>()
    let answeredWithCode = 0

    // A few at a time, as clients would be.
    for (let i = 0; i < requests.length; i += 6) {
      const answers = await Promise.all(
        requests
          .slice(i, i + 6)
          .map((text) => rawRequest(Buffer.from(text, 'utf8')))
      )

      for (const { status, text } of answers) {
        statuses.set(status, (statuses.get(status) ?? 0) + 1)
        // The front or the runtime answered (Node's parser answers without a body).
        if (/"code":"[A-Z_]+"/.test(text)) answeredWithCode++
      }
    }

    const serverErrors = [...statuses.keys()].filter((s) => s >= 500)
    const added = stack.service.output().slice(outputBefore)

    expect(serverErrors).toEqual([])
    // Node's parser refuses many of them with a bare 400; a good share reach the front's own code.
    expect(answeredWithCode).toBeGreaterThan(60)
    expect(statuses.get(0) ?? 0).toBeLessThan(30)
    expect(added).not.toMatch(/uncaughtException|unhandledRejection/)
    expect(stackFrames(added)).toEqual([])
    await expectStillServing()
  })
})

describe('REPLICAS=2 npm start', () => {
  let child: ChildProcess | undefined
  let output = ''

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((done) => child?.once('exit', done))

      child.kill('SIGTERM')
      await exited
    }
  })

  it('runs two service processes behind one front, one banner line each, and spreads requests over both', async () => {
    child = spawn(
      process.execPath,
      [path.resolve(__dirname, '../../../build/local/start.js')],
      {
        env: {
          ...process.env,
          PORT: '0',
          REPLICAS: '2',
          CATALOG_URL: stack.emulator.url,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      }
    )
    child.stdout?.on('data', (chunk) => (output += chunk))
    child.stderr?.on('data', (chunk) => (output += chunk))

    const banner = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(output)), 45_000)

      child?.stdout?.on('data', () => {
        if (/^Catalog: /m.test(output)) {
          clearTimeout(timer)
          resolve(output)
        }
      })
    })
    const url = /listening on (http:\/\/localhost:\d+)/.exec(banner)?.[1]
    const pids = [...banner.matchAll(/^replica (\d): pid (\d+), runtime at /gm)]

    expect(pids.map((m) => m[1])).toEqual(['1', '2'])
    for (const [, , pid] of pids) {
      expect(Number(pid)).not.toBe(child.pid)
      expect(() => process.kill(Number(pid), 0)).not.toThrow()
    }

    // Every public route of service.json is in the banner.
    for (const route of ['productScore', 'categoryScore', 'scoreJob']) {
      expect(banner).toContain(`(${route})`)
    }

    const served: string[] = []

    for (const id of [11, 12, 13, 14]) {
      const response = await fetch(`${url}${PRODUCT_PATH}`, {
        method: 'PUT',
        headers: {
          'Content-Type': 'application/json',
          VtexIdclientAutCookie: USER_TOKEN,
        },
        body: JSON.stringify([{ id, score: 900 + id }]),
      })

      expect(response.status).toBe(200)
      served.push(response.headers.get('x-local-replica') ?? '')
    }

    expect(served).toEqual(['1', '2', '1', '2'])
    for (const id of [11, 12, 13, 14]) {
      expect(stack.emulator.snapshot().products[id].Score).toBe(900 + id)
    }

    const malformed = await fetch(`${url}/_v/massive/score/jobs/%25%`)

    expect(malformed.status).toBe(400)
  })
})
