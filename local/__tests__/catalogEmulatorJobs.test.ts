import fs from 'fs'
import http from 'http'
import os from 'os'
import path from 'path'

import { startCatalogEmulator } from '../catalogEmulator'
import { createEventsBus } from '../catalogEmulator/events'
import { createVBase } from '../catalogEmulator/vbase'

/** Sends one request through `handle` as the service's proxied call would arrive. */
async function viaProxy(
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => boolean,
  method: string,
  url: string,
  body?: string,
  headers: Record<string, string> = {}
) {
  const server = http.createServer((req, res) => {
    if (!handle(req, res)) {
      res.writeHead(599)
      res.end()
    }
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }

  try {
    return await new Promise<{
      status: number
      headers: http.IncomingHttpHeaders
      text: string
    }>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, method, path: url, headers },
        (res) => {
          let text = ''

          res.on('data', (chunk) => (text += chunk))
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text })
          )
        }
      )

      req.on('error', reject)
      req.end(body)
    })
  } finally {
    server.close()
  }
}

const FILE =
  'http://infra.io.vtex.com/vbase/v2/acc/master/buckets/app/jobs/files/a/state.json'

describe('emulated VBase', () => {
  it('answers ETags and refuses a write whose If-Match is stale with 412', async () => {
    const vbase = createVBase()
    const first = await viaProxy(vbase.handle, 'PUT', FILE, '{"v":1}', {
      'Content-Type': 'application/json',
    })
    const read = await viaProxy(vbase.handle, 'GET', FILE)

    expect(first.status).toBe(204)
    expect(read.headers.etag).toBe(first.headers.etag)
    const winner = await viaProxy(vbase.handle, 'PUT', FILE, '{"v":2}', {
      'If-Match': String(read.headers.etag),
    })
    const loser = await viaProxy(vbase.handle, 'PUT', FILE, '{"v":3}', {
      'If-Match': String(read.headers.etag),
    })

    expect(winner.status).toBe(204)
    expect(loser.status).toBe(412)
    expect(vbase.read('a/state.json')).toEqual({ v: 2 })
    expect(vbase.stats().preconditionFailed).toBe(1)
  })

  it('creates a file with If-None-Match: * only while it is absent, and never over another write', async () => {
    const vbase = createVBase()
    const creates = await Promise.all(
      [1, 2, 3, 4, 5].map((v) =>
        viaProxy(vbase.handle, 'PUT', FILE, `{"v":${v}}`, {
          'If-None-Match': '*',
        })
      )
    )

    expect(creates.map((c) => c.status).sort()).toEqual([
      204, 412, 412, 412, 412,
    ])
    const winner = creates.findIndex((c) => c.status === 204) + 1

    expect(vbase.read('a/state.json')).toEqual({ v: winner })
    expect(vbase.stats().preconditionFailed).toBe(4)
    // A stale ETag in If-None-Match does not block; the current one does.
    const read = await viaProxy(vbase.handle, 'GET', FILE)

    expect(
      (
        await viaProxy(vbase.handle, 'PUT', FILE, '{"v":9}', {
          'If-None-Match': String(read.headers.etag),
        })
      ).status
    ).toBe(412)
    expect(
      (
        await viaProxy(vbase.handle, 'PUT', FILE, '{"v":9}', {
          'If-None-Match': '"stale"',
        })
      ).status
    ).toBe(204)
  })

  it('expires files after their X-VTEX-TTL, lists by prefix, and keeps files on disk across a restart', async () => {
    let now = 0
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vbase-'))
    const vbase = createVBase({ dir, now: () => now })

    await viaProxy(vbase.handle, 'PUT', FILE, '{"v":1}', { 'X-VTEX-TTL': '10' })
    await viaProxy(
      vbase.handle,
      'PUT',
      FILE.replace('a/state', 'index/x'),
      '{}'
    )
    const listing = await viaProxy(
      vbase.handle,
      'GET',
      'http://infra.io.vtex.com/vbase/v2/acc/master/buckets/app/jobs/files?prefix=index/'
    )

    expect(
      JSON.parse(listing.text).data.map((f: { path: string }) => f.path)
    ).toEqual(['index/x.json'])
    const restarted = createVBase({ dir, now: () => now })

    expect(restarted.read('a/state.json')).toEqual({ v: 1 })
    now = 11_000
    expect((await viaProxy(restarted.handle, 'GET', FILE)).status).toBe(404)
    fs.rmSync(dir, { recursive: true, force: true })
  })
})

describe('emulated events bus', () => {
  it('delivers with the headers the IO runtime reads, and redelivers a failed delivery to the next subscriber', async () => {
    const seen: Array<{
      replica: string
      headers: http.IncomingHttpHeaders
      url: string
      body: string
    }> = []
    const replica = (name: string, status: number) =>
      http.createServer((req, res) => {
        let body = ''

        req.on('data', (c) => (body += c))
        req.on('end', () => {
          seen.push({
            replica: name,
            headers: req.headers,
            url: req.url ?? '',
            body,
          })
          res.writeHead(status)
          res.end()
        })
      })
    const failing = replica('failing', 500)
    const healthy = replica('healthy', 204)

    await Promise.all(
      [failing, healthy].map(
        (s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
      )
    )
    const urlOf = (s: http.Server) =>
      `http://127.0.0.1:${(s.address() as { port: number }).port}`
    const bus = createEventsBus({
      declarations: [
        { handlerId: 'onChunk', sender: 'vtex.app', keys: ['chunk'] },
      ],
      senderApp: 'vtex.app@1.2.3',
      retryDelayMs: 1,
    })

    bus.setSubscribers([urlOf(failing), urlOf(healthy)])
    const sent = await viaProxy(
      bus.handle,
      'PUT',
      'http://infra.io.vtex.com/courier/v0/acc/master/events/chunk?resource=x',
      '{"n":1}'
    )

    expect(sent.status).toBe(200)
    await bus.idle()
    expect(seen.map((s) => s.replica)).toEqual(['failing', 'healthy'])
    expect(seen[1]).toMatchObject({
      url: '/acc/master/_events',
      body: '{"n":1}',
      headers: {
        'x-event-handler-id': 'onChunk',
        'x-event-key': 'chunk',
        'x-event-sender': 'vtex.app@1.2.3',
        'x-vtex-account': 'acc',
        'x-vtex-workspace': 'master',
      },
    })
    expect(bus.stats()).toMatchObject({
      sent: 1,
      deliveries: 2,
      delivered: 1,
      failedDeliveries: 1,
      redeliveries: 1,
    })

    // A key nobody handles is counted, never delivered; `duplicate` sends copies.
    bus.publish({ account: 'acc', workspace: 'master', key: 'other', body: {} })
    bus.configure({ duplicate: 2 })
    bus.setSubscribers([urlOf(healthy)])
    bus.publish({ account: 'acc', workspace: 'master', key: 'chunk', body: {} })
    await bus.idle()
    expect(bus.stats()).toMatchObject({ unrouted: 1, delivered: 4 })

    bus.close()

    // With redelivery off, a failed delivery is dropped: nothing is sent again.
    const once = createEventsBus({
      declarations: [
        { handlerId: 'onChunk', sender: 'vtex.app', keys: ['chunk'] },
      ],
      senderApp: 'vtex.app@1.2.3',
      retryDelayMs: 1,
      redeliver: false,
    })

    seen.length = 0
    once.setSubscribers([urlOf(failing), urlOf(healthy)])
    once.publish({
      account: 'acc',
      workspace: 'master',
      key: 'chunk',
      body: {},
    })
    await once.idle()
    once.close()
    expect(seen.map((s) => s.replica)).toEqual(['failing'])
    expect(once.stats()).toMatchObject({
      sent: 1,
      deliveries: 1,
      delivered: 0,
      failedDeliveries: 1,
      redeliveries: 0,
      dropped: 1,
    })
    failing.close()
    healthy.close()
  })
})

describe('emulated License Manager and VTEX ID', () => {
  it('grants the Catalog edit resources to write credentials only, and validates tokens with their account and audience', async () => {
    const emulator = await startCatalogEmulator({
      seed: { products: 1, categories: 1 },
    })
    const post = (url: string, body: unknown) =>
      fetch(`${emulator.url}${url}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      })

    try {
      const access = (token: string, key = 'ManterFormularioProdutoSku') =>
        fetch(`${emulator.url}/api/license-manager/resources/${key}/access`, {
          headers: { VtexIdclientAutCookie: token },
        }).then((r) => r.status)

      expect(await access('local-admin-token')).toBe(200)
      expect(await access('local-admin-token', 'ProdutoForm.aspx')).toBe(200)
      expect(await access('local-readonly-token')).toBe(403)
      expect(await access('local-shopper-token')).toBe(403)
      expect(await access('local-other-account-token')).toBe(403)
      // A key License Manager does not know, such as the unpublished CategoryForm.aspx.
      expect(await access('local-admin-token', 'CategoryForm.aspx')).toBe(404)
      expect(await access('nope')).toBe(401)
      const login = await post('/api/vtexid/apptoken/login', {
        appkey: 'vtexappkey-local-SAMPLE',
        apptoken: 'local-app-token',
      })
      const { token } = (await login.json()) as { token: string }

      expect(await access(token)).toBe(200)
      const validate = (value: string) =>
        post('/api/vtexid/credential/validate?an=mystore', { token: value })

      expect(await (await validate(token)).json()).toMatchObject({
        authStatus: 'Success',
        user: 'vtexappkey-local-SAMPLE',
        account: 'mystore',
        audience: 'admin',
      })
      expect(await (await validate('local-admin-token')).json()).toMatchObject({
        user: 'local-admin@example.com',
        account: 'mystore',
        tokenType: 'user',
      })
      expect(
        await (await validate('local-shopper-token')).json()
      ).toMatchObject({ audience: 'webstore' })
      expect(
        await (await validate('local-other-account-token')).json()
      ).toMatchObject({ account: 'another-store' })
      const unknown = await validate('nope')

      expect(unknown.status).toBe(401)
      expect(await unknown.json()).toEqual({ authStatus: 'WrongCredentials' })
      expect(emulator.licenseManager.stats()).toMatchObject({
        accessChecks: 8,
        unknownResources: 1,
        appTokenLogins: 1,
        validations: 5,
        tokensInUrls: 0,
      })
      // A credential in a URL is counted as a leak.
      await post(`/api/vtexid/credential/validate?authToken=${token}`, {})
      expect(emulator.licenseManager.stats().tokensInUrls).toBe(1)
      // None of it counts as a Catalog call.
      expect(emulator.stats().requests.total).toBe(0)
    } finally {
      await emulator.close()
    }
  })
})
