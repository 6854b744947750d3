import http from 'http'
import net from 'net'

import { Front, forwardRoundRobin, startFront } from '../front'

const fronts: Front[] = []
const servers: http.Server[] = []

afterAll(async () => {
  await Promise.all(fronts.map((front) => front.close()))
  await Promise.all(
    servers.map((server) => new Promise((done) => server.close(done)))
  )
})

async function front(
  handle: http.RequestListener,
  lines: string[] = []
): Promise<Front> {
  const started = await startFront({
    port: 0,
    account: 'store',
    workspace: 'ws',
    handle,
    log: (line) => lines.push(line),
  })

  fronts.push(started)

  return started
}

/** An upstream that answers with the headers it received. */
async function echoServer(name: string): Promise<string> {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' })
    res.end(JSON.stringify({ name, headers: req.headers }))
  })

  servers.push(server)
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))

  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`
}

describe('startFront', () => {
  it('sets the router headers from the path and drops the ones a caller smuggled in', async () => {
    const upstream = await echoServer('runtime')
    const { url } = await front(forwardRoundRobin([upstream]))
    const response = await fetch(
      `${url}/_v/massive/score/jobs/a%20b/resume?x=1`,
      {
        method: 'POST',
        headers: {
          'x-colossus-route-id': 'productScore',
          'x-vtex-account': 'someone-else',
          'x-vtex-credential': 'stolen',
        },
      }
    )
    const { headers } = (await response.json()) as {
      headers: Record<string, string>
    }

    expect(headers['x-colossus-route-id']).toBe('scoreJobResume')
    expect(headers['x-colossus-params']).toBe('jobId=a+b')
    expect(headers['x-vtex-account']).toBe('store')
    expect(headers['x-vtex-workspace']).toBe('ws')
    expect(headers['x-vtex-credential']).toBeUndefined()
  })

  it('answers 404 for a path no route has, without calling the handler', async () => {
    const handle = jest.fn()
    const { url } = await front(handle)
    const response = await fetch(`${url}/_v/other`)

    expect(response.status).toBe(404)
    expect(
      ((await response.json()) as { error: { code: string } }).error.code
    ).toBe('NOT_FOUND')
    expect(handle).not.toHaveBeenCalled()
  })

  it('answers 500 when the handler throws, and keeps serving', async () => {
    const lines: string[] = []
    let calls = 0
    const { url } = await front((_req, res) => {
      calls++
      if (calls === 1) throw new Error('boom')
      res.end('ok')
    }, lines)

    expect((await fetch(`${url}/_v/massive/score/jobs/x`)).status).toBe(500)
    expect(lines).toEqual(['front: GET /_v/massive/score/jobs/x failed: boom'])
    expect(await (await fetch(`${url}/_v/massive/score/jobs/x`)).text()).toBe(
      'ok'
    )
  })
})

describe('forwardRoundRobin', () => {
  it('spreads requests over the replicas in turn, naming the one that served', async () => {
    const urls = [await echoServer('one'), await echoServer('two')]
    const { url } = await front(forwardRoundRobin(urls))
    const served: Array<[string, string | null]> = []

    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${url}/_v/massive/score/jobs/x`)
      const { name } = (await response.json()) as { name: string }

      served.push([name, response.headers.get('x-local-replica')])
    }

    expect(served).toEqual([
      ['one', '1'],
      ['two', '2'],
      ['one', '1'],
      ['two', '2'],
    ])
  })

  it('answers 502 REPLICA_UNAVAILABLE in the turn of a replica that is down', async () => {
    const lines: string[] = []
    // A port nothing listens on: bound, then closed.
    const probe = net.createServer()

    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done))
    const deadPort = (probe.address() as net.AddressInfo).port

    await new Promise((done) => probe.close(done))

    const log = (line: string) => lines.push(line)
    const { url } = await front(
      forwardRoundRobin(
        [await echoServer('alive'), `http://127.0.0.1:${deadPort}`],
        log
      ),
      lines
    )

    expect((await fetch(`${url}/_v/massive/score/jobs/x`)).status).toBe(200)

    const down = await fetch(`${url}/_v/massive/score/jobs/x`)

    expect(down.status).toBe(502)
    expect(
      ((await down.json()) as { error: { code: string } }).error.code
    ).toBe('REPLICA_UNAVAILABLE')
    expect(lines).toEqual(['front: replica 2 did not answer (ECONNREFUSED)'])
  })
})
