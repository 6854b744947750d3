import type { IOContext } from '@vtex/api'

import {
  CatalogEmulator,
  startCatalogEmulator,
} from '../../../local/catalogEmulator'
import { CatalogClient } from '../../clients/catalog'
import { CallerCredentials } from '../../clients/credentials'

let emulator: CatalogEmulator
let client: CatalogClient
const credentials = CallerCredentials.userToken('local-admin-token')

beforeAll(async () => {
  emulator = await startCatalogEmulator({ seed: { products: 3 } })
  process.env.CATALOG_URL = emulator.url
  client = new CatalogClient({
    account: 'store',
    workspace: 'master',
    authToken: 'app-token',
    region: 'aws-us-east-1',
    production: false,
    userAgent: 'test',
    tracer: { isTraceSampled: false },
    logger: { info() {}, warn() {}, error() {}, debug() {} },
  } as unknown as IOContext)
})

afterAll(async () => {
  delete process.env.CATALOG_URL
  await emulator.close()
})

beforeEach(() => emulator.resetStats())

describe('CatalogClient.write with beforeSend', () => {
  it('sends nothing when beforeSend throws, and lets its error through as is', async () => {
    const product = await client.read('product', 1, { credentials })
    const stale = new Error('read too long ago')

    await expect(
      client.write(
        'product',
        1,
        { ...product, Score: 5 },
        {
          credentials,
          beforeSend: () => {
            throw stale
          },
        }
      )
    ).rejects.toBe(stale)
    expect(emulator.stats().requests).toMatchObject({ GET: 1, PUT: 0 })
  })

  it('sends the PUT after a beforeSend that passes', async () => {
    const product = await client.read('product', 2, { credentials })
    const beforeSend = jest.fn()

    await client.write(
      'product',
      2,
      { ...product, Score: 6 },
      { credentials, beforeSend }
    )
    expect(beforeSend).toHaveBeenCalledTimes(1)
    expect(emulator.stats().putsById.product).toEqual({ 2: 1 })
    expect(emulator.getProduct(2)?.Score).toBe(6)
  })
})
