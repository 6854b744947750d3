import {
  CatalogEmulator,
  EmulatorOptions,
  SAMPLE_CREDENTIALS,
  startCatalogEmulator,
} from '../../../local/catalogEmulator'
import { spawnService, SpawnedService } from '../../../local/spawnService'
import { violations } from './openApi'

export const PRODUCT_PATH = '/_v/massive/product/score/update'
export const CATEGORY_PATH = '/_v/massive/catalog/score/update'

export const USER_TOKEN = Object.keys(SAMPLE_CREDENTIALS.userTokens).find(
  (token) => SAMPLE_CREDENTIALS.userTokens[token] === 'write'
) as string
export const READ_ONLY_TOKEN = Object.keys(SAMPLE_CREDENTIALS.userTokens).find(
  (token) => SAMPLE_CREDENTIALS.userTokens[token] === 'read'
) as string
export const FORBIDDEN_TOKEN = Object.keys(SAMPLE_CREDENTIALS.userTokens).find(
  (token) => SAMPLE_CREDENTIALS.userTokens[token] === 'none'
) as string
export const [APP_KEY, APP_KEY_ENTRY] = Object.entries(
  SAMPLE_CREDENTIALS.appKeys
).find(([, entry]) => entry.permission === 'write') as [
  string,
  { token: string }
]

export interface Stack {
  emulator: CatalogEmulator
  service: SpawnedService
  put(
    path: string,
    body: unknown,
    headers?: Record<string, string>
  ): Promise<{ status: number; body: any }>
  close(): Promise<void>
}

/**
 * The emulator in this process, the real service runtime in a child process,
 * wired together. On close, every PUT body the app sent must match the
 * Catalog OpenAPI's PUT schema (local/catalogEmulator/schemas).
 */
export async function startStack(
  emulatorOptions: EmulatorOptions,
  env: Record<string, string> = {}
): Promise<Stack> {
  const emulator = await startCatalogEmulator({
    recordPuts: true,
    // A request counts as sent into a 429 window when it arrives this long
    // after the window opened. Both processes share two loaded cores here:
    // a 429 the emulator answered at once was seen by the service 91 ms
    // later, and what it sent meanwhile was no fault of its flow control.
    // A pool that ignores Retry-After still shows, for up to a second.
    penaltyGraceMs: 150,
    ...emulatorOptions,
  })
  const service = await spawnServiceOn(emulator.url, env)

  emulator.events.setSubscribers([service.runtimeUrl])

  return {
    emulator,
    service,
    async put(path, body, headers = { VtexIdclientAutCookie: USER_TOKEN }) {
      const response = await fetch(`${service.url}${path}`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      })
      const text = await response.text()

      return {
        status: response.status,
        body: text ? JSON.parse(text) : undefined,
      }
    },
    async close() {
      const wrong = putBodyViolations(emulator)

      await service.close()
      await emulator.close()
      if (wrong.length > 0)
        throw new Error(
          `The app sent PUT bodies the Catalog OpenAPI refuses:\n${wrong
            .slice(0, 20)
            .join('\n')}`
        )
    },
  }
}

/** Every PUT body the emulator recorded that the Catalog OpenAPI's PUT schema refuses, one line each. */
export const putBodyViolations = (emulator: CatalogEmulator) =>
  emulator
    .puts()
    .flatMap(({ kind, id, body }) =>
      violations(kind, 'put', body).map((v) => `PUT ${kind} ${id}: ${v}`)
    )

/** Everything but Score, serialized: what must never change. */
export const withoutScore = (object: Record<string, unknown> | undefined) => {
  const { Score: _score, ...rest } = object ?? {}

  return JSON.stringify(rest)
}

export interface RawAnswer {
  status: number
  type: string
  headers: Headers
  bytes: Buffer
  text: string
  body: any
}

/** One request to a service, its answer read as bytes, text and (when JSON) a body. */
export async function request(
  service: SpawnedService,
  method: string,
  path: string,
  options: { body?: string | Buffer; headers?: Record<string, string> } = {}
): Promise<RawAnswer> {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: options.headers,
    body: options.body,
  })
  const bytes = Buffer.from(await response.arrayBuffer())
  const type = response.headers.get('content-type') ?? ''

  return {
    status: response.status,
    type,
    headers: response.headers,
    bytes,
    text: bytes.toString('utf8'),
    body: type.includes('json')
      ? JSON.parse(bytes.toString('utf8'))
      : undefined,
  }
}

/** Polls a job's summary until it is done, failed or cancelled (20 s at most). */
export async function finishedJob(
  service: SpawnedService,
  jobId: string,
  headers: Record<string, string>
) {
  for (let i = 0; i < 100; i++) {
    const { body } = await request(
      service,
      'GET',
      `/_v/massive/score/jobs/${jobId}`,
      { headers }
    )

    if (['done', 'failed', 'cancelled'].includes(body.status)) return body
    await new Promise((resolve) => setTimeout(resolve, 200))
  }

  throw new Error(`job ${jobId} did not finish`)
}

/**
 * The real runtime in a child process against an emulator (its Catalog and
 * its VBase), job chunks running with the sample app key pair, as on IO they
 * run with the app's token; `env` adds to or overrides that.
 */
export const spawnServiceOn = (
  emulatorUrl: string,
  env: Record<string, string> = {}
) =>
  spawnService({
    CATALOG_URL: emulatorUrl,
    VBASE_PROXY_URL: emulatorUrl,
    VTEX_APP_KEY: APP_KEY,
    VTEX_APP_TOKEN: APP_KEY_ENTRY.token,
    ...env,
  })

/** `request` as one caller: its credential on every call, a JSON body when there is one. */
export const requestAs =
  (auth: Record<string, string>) =>
  (
    service: SpawnedService,
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {}
  ) =>
    request(service, method, path, {
      body,
      headers: {
        ...auth,
        ...(body ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
    })
