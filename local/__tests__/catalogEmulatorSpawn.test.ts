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

  it('takes a profile by name, and opens a breaker on demand', async () => {
    const get = () =>
      fetch(`${emulator.url}/api/catalog/pvt/product/2`, {
        headers: { VtexIdclientAutCookie: 'local-admin-token' },
      })

    await emulator.configure({ faults: null, profile: 'x-ratelimit' })
    expect((await get()).headers.get('x-ratelimit-limit')).toBe('250')
    await emulator.resetStats()
    await emulator.openBreaker(60_000)
    expect((await get()).status).toBe(503)
    expect(await emulator.stats()).toMatchObject({ breaker503s: 1 })
    await emulator.configure({ profile: null })
    expect((await get()).status).toBe(200)
    await expect(
      emulator.configure({ profile: 'nope' as 'documented' })
    ).rejects.toThrow(/answered 400: .*Unknown Catalog profile 'nope'/)
  })
})
