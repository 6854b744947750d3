import {
  CatalogEmulator,
  startCatalogEmulator,
} from '../../../local/catalogEmulator'
import { LicenseManagerClient } from '../../clients/licenseManager'
import { testIOContext } from '../helpers/ioContext'

let emulator: CatalogEmulator
let client: LicenseManagerClient

beforeAll(async () => {
  emulator = await startCatalogEmulator({ seed: { products: 1 } })
  process.env.CATALOG_URL = emulator.url
  client = new LicenseManagerClient(testIOContext())
})

afterAll(async () => {
  delete process.env.CATALOG_URL
  await emulator.close()
})

describe('LicenseManagerClient.loginOf', () => {
  it('resolves a user token to its login without putting the token in any URL', async () => {
    emulator.licenseManager.resetStats()

    expect(await client.loginOf('local-admin-token')).toBe(
      'local-admin@example.com'
    )
    expect(await client.loginOf('local-unknown-token')).toBeUndefined()
    expect(emulator.licenseManager.stats()).toMatchObject({
      userLookups: 2,
      tokensInUrls: 0,
    })
  })
})
