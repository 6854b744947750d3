import http from 'http'
import type { AddressInfo } from 'net'

import {
  CatalogEmulator,
  startCatalogEmulator,
} from '../../../local/catalogEmulator'
import { LicenseManagerClient } from '../../clients/licenseManager'
import { AccessServiceUnavailable } from '../../clients/upstream'
import { VtexIdClient } from '../../clients/vtexId'
import { testIOContext } from '../helpers/ioContext'

let emulator: CatalogEmulator

beforeAll(async () => {
  emulator = await startCatalogEmulator({ seed: { products: 1 } })
})

afterAll(async () => {
  delete process.env.CATALOG_URL
  await emulator.close()
})

const clientsAt = (url: string, timeout = 3000) => {
  process.env.CATALOG_URL = url

  return {
    vtexId: new VtexIdClient(testIOContext(), { timeout, retries: 0 }),
    licenseManager: new LicenseManagerClient(testIOContext(), {
      timeout,
      retries: 0,
    }),
  }
}

describe('VtexIdClient.validate', () => {
  it('answers who a token is, asking with the account and never putting the token in a URL', async () => {
    const { vtexId } = clientsAt(emulator.url)

    emulator.licenseManager.resetStats()
    await expect(vtexId.validate('local-admin-token')).resolves.toEqual({
      user: 'local-admin@example.com',
      account: 'store',
      audience: 'admin',
      tokenType: 'user',
    })
    await expect(vtexId.validate('local-shopper-token')).resolves.toMatchObject(
      { audience: 'webstore' }
    )
    await expect(
      vtexId.validate('local-other-account-token')
    ).resolves.toMatchObject({ account: 'another-store' })
    await expect(vtexId.validate('nobody-knows-me')).resolves.toBeUndefined()
    expect(emulator.licenseManager.stats()).toMatchObject({
      validations: 4,
      tokensInUrls: 0,
    })
  })

  it('exchanges an app key pair for a token VTEX ID then knows', async () => {
    const { vtexId } = clientsAt(emulator.url)
    const token = await vtexId.appTokenLogin(
      'vtexappkey-local-SAMPLE',
      'local-app-token'
    )

    expect(token).toBeTruthy()
    await expect(vtexId.validate(token as string)).resolves.toMatchObject({
      user: 'vtexappkey-local-SAMPLE',
      account: 'store',
    })
    await expect(
      vtexId.appTokenLogin('vtexappkey-local-SAMPLE', 'wrong')
    ).resolves.toBeUndefined()
  })
})

describe('LicenseManagerClient.canAccessResource', () => {
  it('tells allowed, forbidden, an unknown key and an unknown token apart', async () => {
    const { licenseManager } = clientsAt(emulator.url)

    emulator.licenseManager.resetStats()
    await expect(
      licenseManager.canAccessResource(
        'local-admin-token',
        'ManterFormularioProdutoSku'
      )
    ).resolves.toBe('allowed')
    await expect(
      licenseManager.canAccessResource(
        'local-consumer-app-token',
        'ManterFormularioProdutoSku'
      )
    ).resolves.toBe('allowed')
    await expect(
      licenseManager.canAccessResource(
        'local-readonly-token',
        'ManterFormularioProdutoSku'
      )
    ).resolves.toBe('forbidden')
    await expect(
      licenseManager.canAccessResource('local-admin-token', 'CategoryForm.aspx')
    ).resolves.toBe('forbidden')
    await expect(
      licenseManager.canAccessResource('nobody', 'ManterFormularioProdutoSku')
    ).resolves.toBe('unauthorized')
    expect(emulator.licenseManager.stats()).toMatchObject({
      accessChecks: 5,
      unknownResources: 1,
    })
  })
})

describe('when VTEX ID or License Manager cannot answer', () => {
  let server: http.Server
  let url: string
  let mode: 'hang' | 'fail' = 'fail'
  const hung: http.ServerResponse[] = []

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume()
      if (mode === 'hang') {
        hung.push(res)

        return
      }

      res.writeHead(503, { 'Retry-After': '12' })
      res.end('{}')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    for (const res of hung) res.destroy()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  it('throws AccessServiceUnavailable with the status and Retry-After, not a refusal', async () => {
    mode = 'fail'
    const { vtexId, licenseManager } = clientsAt(url)

    await expect(vtexId.validate('t')).rejects.toMatchObject({
      service: 'VTEX ID',
      upstreamStatus: 503,
      retryAfterSec: 12,
    })
    await expect(
      licenseManager.canAccessResource('t', 'ManterFormularioProdutoSku')
    ).rejects.toMatchObject({ service: 'License Manager', upstreamStatus: 503 })
  })

  it('gives up on a hang after its timeout', async () => {
    mode = 'hang'
    const { vtexId } = clientsAt(url, 200)
    const started = Date.now()
    const error = await vtexId.validate('t').catch((e: unknown) => e)

    expect(error).toBeInstanceOf(AccessServiceUnavailable)
    expect((error as AccessServiceUnavailable).upstreamStatus).toBeUndefined()
    expect(hung.length).toBeGreaterThan(0)
    expect(Date.now() - started).toBeLessThan(2900)
  })
})
