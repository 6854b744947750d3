import { spawnCatalogEmulator, SpawnedEmulator } from '../catalogEmulator'

// Needs the build (`npx tsc -p tsconfig.build.json`), as `npm test` does first.
let emulator: SpawnedEmulator

beforeAll(async () => {
  emulator = await spawnCatalogEmulator({ seed: { products: 3 } })
})

afterAll(() => emulator?.close())

describe('Catalog emulator in a child process', () => {
  it('is driven through the control API: configure, stats, reset, snapshot', async () => {
    await emulator.configure({
      faults: [{ name: 'teapot', action: { type: 'status', status: 418 } }],
    })
    const answer = await fetch(`${emulator.url}/api/catalog/pvt/product/1`, {
      headers: { VtexIdclientAutCookie: 'local-admin-token' },
    })

    expect(answer.status).toBe(418)
    expect(await emulator.stats()).toMatchObject({
      requests: { GET: 1, total: 1 },
      faultHits: { teapot: 1 },
    })
    await emulator.resetStats()
    expect((await emulator.stats()).requests.total).toBe(0)
    expect(Object.keys((await emulator.snapshot()).products)).toEqual([
      '1',
      '2',
      '3',
    ])
  })
})
