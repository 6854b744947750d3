import {
  CatalogEmulator,
  startCatalogEmulator,
} from '../../../local/catalogEmulator'
import { spawnService, SpawnedService } from '../../../local/spawnService'
import { PRODUCT_PATH, putBodyViolations, USER_TOKEN } from '../helpers/e2e'

const AUTH = { VtexIdclientAutCookie: USER_TOKEN }
const JOBS = '/_v/massive/score/jobs'

let emulator: CatalogEmulator

beforeAll(async () => {
  emulator = await startCatalogEmulator({
    seed: { products: 20_000, categories: 5 },
    latency: { meanMs: 1, jitterMs: 1 },
    recordPuts: true,
  })
})

afterAll(async () => {
  const wrong = putBodyViolations(emulator)

  await emulator.close()
  // Every PUT body the jobs sent matches the Catalog OpenAPI.
  expect(wrong).toEqual([])
})

const startService = (env: Record<string, string> = {}) =>
  spawnService({
    CATALOG_URL: emulator.url,
    VBASE_PROXY_URL: emulator.url,
    JOB_HEARTBEAT_MS: '200',
    JOB_STALE_MS: '1500',
    ...env,
  })

async function call(
  service: SpawnedService,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {}
) {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: {
      ...AUTH,
      ...(body ? { 'Content-Type': 'application/json' } : {}),
      ...headers,
    },
    body,
  })
  const text = await response.text()

  return {
    status: response.status,
    text,
    body: response.headers.get('content-type')?.includes('json')
      ? JSON.parse(text)
      : undefined,
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls the job until `until` holds; returns every status seen. */
async function poll(
  service: SpawnedService,
  jobId: string,
  until: (job: any) => boolean,
  limitMs = 90_000
) {
  const seen: any[] = []
  const started = Date.now()

  for (;;) {
    const { body } = await call(service, 'GET', `${JOBS}/${jobId}`)

    seen.push(body)
    if (until(body)) return seen
    if (Date.now() - started > limitMs)
      throw new Error(
        `job never reached the state; last: ${JSON.stringify(body).slice(
          0,
          300
        )}`
      )
    await sleep(150)
  }
}

describe('async jobs end to end (runtime, Catalog and VBase emulation)', () => {
  let service: SpawnedService

  beforeAll(async () => {
    service = await startService({ CONCURRENCY: '16' })
  })

  afterAll(() => service.close())

  it('runs a 20,000-item job with visible progress and accounts for every item', async () => {
    emulator.resetStats()
    const batch = Array.from({ length: 20_000 }, (_, i) => ({
      id: i + 1,
      score: 50_000 + (i % 1000),
    }))
    const queued = await call(
      service,
      'PUT',
      `${PRODUCT_PATH}?async=true`,
      JSON.stringify(batch)
    )

    expect(queued.status).toBe(202)
    expect(queued.body).toMatchObject({
      status: 'queued',
      statusUrl: `${JOBS}/${queued.body.jobId}`,
    })

    const seen = await poll(
      service,
      queued.body.jobId,
      (job) => job.status === 'done'
    )
    const midway = seen.filter(
      (job) => job.progress.done > 0 && job.progress.done < 20_000
    )
    const done = seen[seen.length - 1]

    // Progress was visible while it ran, and only ever went up.
    expect(midway.length).toBeGreaterThan(0)
    const dones = seen.map((job) => job.progress.done)

    expect(dones).toEqual([...dones].sort((a, b) => a - b))
    expect(done.progress).toEqual({
      total: 20_000,
      done: 20_000,
      succeeded: 20_000,
      failed: 0,
    })
    expect(done.result.total).toBe(20_000)
    expect(
      done.result.successfulResponses.elements.map(
        (e: { index: number }) => e.index
      )
    ).toEqual(batch.map((_, i) => i))
    expect(emulator.getProduct(12_345)?.Score).toBe(batch[12_344].score)
    expect(
      Object.values(emulator.stats().putsById.product).every(
        (count) => count === 1
      )
    ).toBe(true)
    expect(emulator.vbase.stats().writes).toBeGreaterThan(40)
  })

  it('answers with the same envelope as a sync run over the same data', async () => {
    const batch = [
      ...Array.from({ length: 1500 }, (_, i) => ({ id: 3000 + i, score: 7 })),
      { id: 999_999, score: 1 },
      { id: 10, score: emulator.getProduct(10)?.Score as number },
    ]
    // Dry runs read only, so the two runs see the same Catalog.
    const sync = await call(
      service,
      'PUT',
      `${PRODUCT_PATH}?dryRun=true`,
      JSON.stringify(batch)
    )
    const queued = await call(
      service,
      'PUT',
      `${PRODUCT_PATH}?dryRun=true&async=true`,
      JSON.stringify(batch)
    )
    const seen = await poll(
      service,
      queued.body.jobId,
      (job) => job.status === 'done'
    )

    expect(sync.status).toBe(200)
    expect(seen[seen.length - 1].result).toEqual(sync.body)
  })

  it('gives the report as CSV', async () => {
    const queued = await call(
      service,
      'PUT',
      `${PRODUCT_PATH}?async=true`,
      JSON.stringify([
        { id: 1, score: 5 },
        { id: 999_998, score: 2 },
      ])
    )

    await poll(service, queued.body.jobId, (job) => job.status === 'done')
    const report = await call(
      service,
      'GET',
      `${JOBS}/${queued.body.jobId}?format=csv`
    )

    expect(report.status).toBe(200)
    expect(report.text.split('\r\n')).toEqual([
      'id,score,previousScore,success,error,errorMessage',
      expect.stringMatching(/^1,5,\d*,true,,$/),
      '999998,2,,false,404,Catalog answered 404 to GET product 999998: Product not found',
      '',
    ])
  })

  it('shows a job only to callers the Catalog accepts', async () => {
    const queued = await call(
      service,
      'PUT',
      `${PRODUCT_PATH}?async=true`,
      JSON.stringify([{ id: 2, score: 6 }])
    )

    expect(
      (
        await call(service, 'GET', `${JOBS}/${queued.body.jobId}`, undefined, {
          VtexIdclientAutCookie: 'local-forbidden-token',
        })
      ).status
    ).toBe(403)
    expect(
      (
        await call(service, 'GET', `${JOBS}/${queued.body.jobId}`, undefined, {
          VtexIdclientAutCookie: 'nope',
        })
      ).status
    ).toBe(401)
    expect(
      (await fetch(`${service.url}${JOBS}/${queued.body.jobId}`)).status
    ).toBe(401)
    expect(
      (
        await call(
          service,
          'GET',
          `${JOBS}/00000000-0000-0000-0000-000000000000`
        )
      ).status
    ).toBe(404)
  })

  it('accepts CSV with a BOM, CRLF, odd quoting and extra columns, and cites lines in errors', async () => {
    const good =
      '\uFEFFname,Score,"ID"\r\n"Shirt, ""blue""",11,"100"\r\nMug,12,101\r\n'
    const ok = await call(service, 'PUT', PRODUCT_PATH, good, {
      'Content-Type': 'text/csv',
    })

    expect(ok.status).toBe(200)
    expect(
      ok.body.successfulResponses.elements.map((e: any) => [e.id, e.score])
    ).toEqual([
      [100, 11],
      [101, 12],
    ])

    const bad = 'id,score\r\n1,2\r\nx,3\r\n4,\r\n\r\n5,1.5\r\n'
    const rejected = await call(service, 'PUT', PRODUCT_PATH, bad, {
      'Content-Type': 'text/csv',
    })

    expect(rejected.status).toBe(400)
    expect(
      rejected.body.failedResponses.elements.map((problems: any[]) => [
        problems[0].line,
        problems[0].code,
      ])
    ).toEqual([
      [3, 'INVALID_ID'],
      [4, 'MISSING_FIELD'],
      [6, 'INVALID_SCORE'],
    ])

    const noHeader = await call(
      service,
      'PUT',
      PRODUCT_PATH,
      '1,2\r\n3,4\r\n',
      { 'Content-Type': 'text/csv' }
    )

    expect(noHeader.body.error.code).toBe('CSV_MISSING_COLUMNS')
    const unclosed = await call(
      service,
      'PUT',
      PRODUCT_PATH,
      'id,score\r\n"1,2\r\n',
      { 'Content-Type': 'text/csv' }
    )

    expect(unclosed.body.error).toMatchObject({
      status: 400,
      code: 'INVALID_CSV',
    })
  })
})

describe('a job whose worker dies', () => {
  it('is reported stale and resumes without writing any item twice', async () => {
    emulator.configure({ latency: { meanMs: 4, jitterMs: 1 } })
    emulator.resetStats()
    const first = await startService({ CONCURRENCY: '4' })
    const batch = Array.from({ length: 4000 }, (_, i) => ({
      id: 15_000 + i,
      score: 88_000 + i,
    }))
    const queued = await call(
      first,
      'PUT',
      `${PRODUCT_PATH}?async=true`,
      JSON.stringify(batch)
    )

    await poll(first, queued.body.jobId, (job) => job.progress.done >= 700)
    await first.kill()

    const second = await startService({ CONCURRENCY: '8' })

    try {
      const stale = await poll(
        second,
        queued.body.jobId,
        (job) => job.status === 'stale',
        10_000
      )

      expect(stale[stale.length - 1].resumeUrl).toBe(
        `${JOBS}/${queued.body.jobId}/resume`
      )
      const resumed = await call(
        second,
        'POST',
        `${JOBS}/${queued.body.jobId}/resume`
      )

      expect(resumed.status).toBe(202)
      expect(
        (await call(second, 'POST', `${JOBS}/${queued.body.jobId}/resume`))
          .status
      ).toBe(409)
      const done = await poll(
        second,
        queued.body.jobId,
        (job) => job.status === 'done'
      )
      const final = done[done.length - 1]

      expect(final.progress).toMatchObject({
        total: 4000,
        done: 4000,
        failed: 0,
      })
      expect(final.result.successfulResponses.quantity).toBe(4000)
      const puts = emulator.stats().putsById.product

      // Every item written exactly once, across both workers.
      expect(batch.every(({ id }) => puts[id] === 1)).toBe(true)
      expect(
        batch.every(({ id, score }) => emulator.getProduct(id)?.Score === score)
      ).toBe(true)
    } finally {
      await second.close()
      emulator.configure({ latency: { meanMs: 1, jitterMs: 1 } })
    }
  })
})
