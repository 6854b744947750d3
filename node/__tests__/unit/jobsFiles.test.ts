import type { JobFilesClient as Client } from '../../clients/jobFiles'
import { testIOContext } from '../helpers/ioContext'

let JobFilesClient: typeof Client

// @vtex/api reads VTEX_APP_ID when it loads: set it, then load the client.
beforeAll(async () => {
  process.env.VTEX_APP_ID =
    process.env.VTEX_APP_ID ?? 'vtex.massive-score-update@0.1.0'
  jest.resetModules()
  ;({ JobFilesClient } = await import('../../clients/jobFiles'))
})

/** The client with its HTTP PUT captured: what config each write is sent with. */
function capturing(answer: () => Promise<unknown>) {
  const client = new JobFilesClient(testIOContext(), { retries: 2 })
  const configs: Array<Record<string, unknown>> = []
  const http = (client as unknown as { http: Record<string, unknown> }).http

  http.putRaw = jest.fn(
    async (_url: string, _data: unknown, config: Record<string, unknown>) => {
      configs.push(config)

      return answer()
    }
  )

  return { client, configs }
}

describe('JobFilesClient.write', () => {
  it('sends a write with If-Match once (no retry), and lets plain writes keep the client retries', async () => {
    const { client, configs } = capturing(async () => ({
      headers: { etag: '"e2"' },
    }))

    expect(
      await client.write('jobs/a/state.json', {}, { ifMatch: '"e1"' })
    ).toBe('"e2"')
    await client.write('jobs/a/items.json', [])

    expect(configs[0]).toMatchObject({
      retries: 0,
      headers: expect.objectContaining({ 'If-Match': '"e1"' }),
    })
    expect(configs[1]).not.toHaveProperty('retries')
  })

  it('creates a file with If-None-Match: * sent once', async () => {
    const { client, configs } = capturing(async () => ({
      headers: { etag: '"e1"' },
    }))

    await client.write('idempotency/shard-a.json', {}, { ifNoneMatch: '*' })

    expect(configs[0]).toMatchObject({
      retries: 0,
      headers: expect.objectContaining({ 'If-None-Match': '*' }),
    })
    expect(configs[0].headers).not.toHaveProperty('If-Match')
  })

  it('turns a 412 into a JobFileConflict', async () => {
    const { client } = capturing(async () => {
      throw Object.assign(new Error('412'), { response: { status: 412 } })
    })

    await expect(
      client.write('jobs/a/state.json', {}, { ifMatch: '"e1"' })
    ).rejects.toMatchObject({ name: 'JobFileConflict' })
  })
})
