import {
  CatalogEmulator,
  EmulatorOptions,
  startCatalogEmulator,
} from '../catalogEmulator'

export const ADMIN = { VtexIdclientAutCookie: 'local-admin-token' }

/** The emulator of the running test file; set by `useSeededEmulator`. */
export let emulator: CatalogEmulator

/**
 * One in-process emulator per test file, seeded small, with every fault,
 * limit and delay switched off and its counters zeroed before each test.
 */
export function useSeededEmulator(options: EmulatorOptions = {}) {
  beforeAll(async () => {
    emulator = await startCatalogEmulator({
      seed: { products: 10, categories: 5 },
      ...options,
    })
  })

  afterAll(() => emulator.close())

  beforeEach(() => {
    emulator.configure({
      rateLimit: null,
      failure: null,
      latency: null,
      throttleOnce: null,
      faults: null,
    })
    emulator.resetStats()
  })
}

/** One HTTP call to the emulator, answered with its status, text, JSON and headers. */
export async function call(
  method: string,
  path: string,
  headers: Record<string, string> = ADMIN,
  body?: unknown
) {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()

  return {
    status: response.status,
    text,
    json: text ? JSON.parse(text) : undefined,
    headers: response.headers,
  }
}
