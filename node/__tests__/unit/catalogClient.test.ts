import {
  CatalogEmulator,
  startCatalogEmulator,
} from '../../../local/catalogEmulator'
import { CatalogClient } from '../../clients/catalog'
import { accountFlow } from '../../clients/catalogFlow'
import { CallerCredentials } from '../../clients/credentials'
import { testIOContext } from '../helpers/ioContext'

let emulator: CatalogEmulator
let client: CatalogClient
const credentials = CallerCredentials.token('local-admin-token')

beforeAll(async () => {
  emulator = await startCatalogEmulator({ seed: { products: 3 } })
  process.env.CATALOG_URL = emulator.url
  // No VBase outside the runtime: the flow memory is one that remembers nothing.
  client = new CatalogClient(testIOContext(), undefined, () => ({
    read: async () => undefined,
    write: async () => undefined,
  }))
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

describe('CatalogClient pipeline', () => {
  it('releases the flow-control slot when beforeSend throws, and the controller learns nothing', async () => {
    const flow = accountFlow('store')
    const before = flow.snapshot()

    await expect(
      client.write(
        'product',
        3,
        { Id: 3 },
        {
          credentials,
          beforeSend: () => {
            throw new Error('stale')
          },
        }
      )
    ).rejects.toThrow('stale')
    const after = flow.snapshot()

    expect(after.inFlight).toBe(0)
    expect(after.admitted).toBe(before.admitted + 1)
    expect(after).toMatchObject({
      rateLimited: before.rateLimited,
      overloaded: before.overloaded,
    })
    expect(emulator.stats().requests.PUT).toBe(0)
  })

  it('reports every answer to the account controller, 429s included', async () => {
    const flow = accountFlow('store')
    const before = flow.snapshot()

    emulator.configure({
      faults: [
        {
          name: 'limited',
          times: 1,
          action: { type: '429', retryAfter: '1', windowMs: 1000 },
        },
      ],
    })
    await expect(client.read('product', 1, { credentials })).rejects.toThrow(
      /429/
    )
    expect(emulator.stats().faultHits.limited).toBe(1)
    expect(flow.snapshot().rateLimited).toBe(before.rateLimited + 1)
    // The pause is the account's: the next call waits the window out, then goes.
    await client.read('product', 1, { credentials })
    expect(emulator.stats().requestsInPenaltyWindow).toBe(0)
    expect(emulator.stats().byStatus['200']).toBeGreaterThanOrEqual(1)
    emulator.configure({ faults: null })
  })
})
