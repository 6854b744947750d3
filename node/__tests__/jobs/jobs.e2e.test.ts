import {
  CatalogEmulator,
  startCatalogEmulator,
} from '../../../local/catalogEmulator'
import type { SpawnedService } from '../../../local/spawnService'
import { keyHashOf } from '../../jobs/idempotency'
import {
  APP_KEY,
  APP_KEY_ENTRY,
  FORBIDDEN_TOKEN,
  PRODUCT_PATH,
  putBodyViolations,
  READ_ONLY_TOKEN,
  USER_TOKEN,
  requestAs,
  spawnServiceOn,
} from '../helpers/e2e'

const AUTH = { VtexIdclientAutCookie: USER_TOKEN }
const JOBS = '/_v/massive/score/jobs'

let emulator: CatalogEmulator

beforeAll(async () => {
  emulator = await startCatalogEmulator({
    seed: { products: 20_000, categories: 5 },
    latency: { meanMs: 1, jitterMs: 1 },
    events: { retryDelayMs: 100 },
    recordPuts: true,
  })
})

afterAll(async () => {
  const wrong = putBodyViolations(emulator)

  await emulator.close()
  // Every PUT body the jobs sent matches the Catalog OpenAPI.
  expect(wrong).toEqual([])
})

/** A replica of the service: the real runtime in its own process, with the app's key pair as its token. */
const startReplica = (env: Record<string, string> = {}) =>
  spawnServiceOn(emulator.url, {
    JOB_CHUNK_SIZE: '200',
    JOB_LEASE_MS: '3000',
    // This suite creates dozens of jobs per replica; the creation limit has its own test.
    JOB_CREATION_BURST: '1000',
    REQUEST_TIMEOUT_MS: '1000',
    CONCURRENCY: '16',
    ...env,
  })

const call = requestAs(AUTH)

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls the summary until `until` holds; returns every summary seen. */
async function poll(
  service: SpawnedService,
  jobId: string,
  until: (job: any) => boolean,
  limitMs = 120_000
) {
  const seen: any[] = []
  const started = Date.now()

  for (;;) {
    const { body } = await call(service, 'GET', `${JOBS}/${jobId}`)

    seen.push(body)
    if (until(body)) return seen
    if (Date.now() - started > limitMs)
      throw new Error(
        `job never got there; last: ${JSON.stringify(body).slice(0, 400)}`
      )
    await sleep(200)
  }
}

const finished = (job: any) =>
  ['done', 'failed', 'cancelled'].includes(job?.status)

const batchOf = (n: number, from: number, score: number) =>
  Array.from({ length: n }, (_, i) => ({ id: from + i, score: score + i }))

/** Chunk states as stored in the emulator's VBase. */
const chunkStatesOf = (jobId: string) =>
  emulator.vbase
    .keys(`jobs/${jobId}/chunks/`)
    .filter((key) => key.endsWith('/state.json'))
    .map((key) => emulator.vbase.read(key.slice(key.indexOf(`jobs/${jobId}`))))

describe('jobs through the real runtime, on the emulated events bus and VBase', () => {
  let replica: SpawnedService

  beforeAll(async () => {
    replica = await startReplica()
    emulator.events.setSubscribers([replica.runtimeUrl])
  })

  afterAll(() => replica.close())

  it('runs a job chunk by chunk on events and answers a constant-size summary', async () => {
    emulator.resetStats()
    emulator.events.resetStats()
    emulator.licenseManager.resetStats()
    const batch = batchOf(2000, 1, 50_000)
    const queued = await call(
      replica,
      'PUT',
      `${PRODUCT_PATH}?async=true`,
      JSON.stringify(batch)
    )

    expect(queued.status).toBe(202)
    expect(queued.body).toMatchObject({
      status: 'queued',
      statusUrl: `${JOBS}/${queued.body.jobId}`,
    })
    const seen = await poll(replica, queued.body.jobId, finished)
    const done = seen[seen.length - 1]

    expect(done).toMatchObject({
      status: 'done',
      progress: { total: 2000, done: 2000, chunks: 10, chunksDone: 10 },
      counts: { UPDATED: 2000 },
      succeeded: 2000,
      failed: 0,
      startedBy: { kind: 'user', login: 'local-admin@example.com' },
    })
    // Progress only went up, and the summary's size does not grow with the job.
    const dones = seen.map((job) => job.progress.done)

    expect(dones).toEqual([...dones].sort((a, b) => a - b))
    expect(JSON.stringify(done).length).toBeLessThan(2000)
    // One event per chunk, each delivered; every product written once.
    expect(emulator.events.stats()).toMatchObject({
      sent: 10,
      delivered: 10,
      byKey: { 'score-job-chunk': 10 },
    })
    const puts = emulator.stats().putsById.product

    expect(batch.every(({ id }) => puts[id] === 1)).toBe(true)
    expect(emulator.getProduct(1234)?.Score).toBe(batch[1233].score)
    // Status reads spent no Catalog call, and asked VTEX ID and License
    // Manager once: polls with the same token are answered from the verdict cache.
    expect(seen.length).toBeGreaterThan(1)
    expect(emulator.stats().requests.GET).toBe(2000)
    expect(emulator.licenseManager.stats()).toMatchObject({
      accessChecks: 1,
      validations: 1,
    })
    // No caller secret is stored in VBase.
    expect(
      JSON.stringify(emulator.vbase.keys().map((k) => emulator.vbase.read(k)))
    ).not.toContain(USER_TOKEN)
  })

  it('pages results, and streams the report and the failed rows as CSV', async () => {
    const queued = await call(
      replica,
      'PUT',
      `${PRODUCT_PATH}?async=true`,
      JSON.stringify([
        { id: 1, score: 5 },
        { id: 999_998, score: 2 },
        ...batchOf(300, 100, 7),
      ])
    )

    await poll(replica, queued.body.jobId, finished)
    const page = await call(
      replica,
      'GET',
      `${JOBS}/${queued.body.jobId}/results?limit=2`
    )

    expect(page.status).toBe(200)
    expect(page.body.elements.map((e: any) => [e.id, e.success])).toEqual([
      [1, 'true'],
      [999_998, 'false'],
    ])
    const next = await call(
      replica,
      'GET',
      `${JOBS}/${queued.body.jobId}/results?cursor=${page.body.nextCursor}&limit=1000`
    )

    expect(next.body.elements).toHaveLength(300)
    expect(next.body.nextCursor).toBeUndefined()

    const report = await call(
      replica,
      'GET',
      `${JOBS}/${queued.body.jobId}/report.csv`
    )
    const lines = report.text.split('\r\n')

    expect(report.status).toBe(200)
    // The text as sent, BOM included (Excel reads it as UTF-8).
    expect(lines.slice(0, 3)).toEqual([
      '\uFEFFid,score,previousScore,success,code,error,errorMessage',
      expect.stringMatching(/^1,5,\d*,true,(UPDATED|UNCHANGED),,$/),
      '999998,2,,false,NOT_FOUND,404,Catalog answered 404 to GET product 999998: Product not found',
    ])
    expect(lines).toHaveLength(1 + 302 + 1)

    const failedRows = await call(
      replica,
      'GET',
      `${JOBS}/${queued.body.jobId}/report.csv?only=failed`
    )

    // The failed rows share the full report's columns.
    expect(failedRows.text).toBe(
      '\uFEFFid,score,previousScore,success,code,error,errorMessage\r\n999998,2,,false,NOT_FOUND,404,Catalog answered 404 to GET product 999998: Product not found\r\n'
    )
  })

  it('checks callers with License Manager: who may not edit products can neither start nor read a job', async () => {
    const queued = await call(
      replica,
      'PUT',
      `${PRODUCT_PATH}?async=true`,
      JSON.stringify([{ id: 2, score: 6 }])
    )
    const status = (headers: Record<string, string>) =>
      call(
        replica,
        'GET',
        `${JOBS}/${queued.body.jobId}`,
        undefined,
        headers
      ).then((r) => r.status)

    expect(queued.status).toBe(202)
    expect(await status({ VtexIdclientAutCookie: READ_ONLY_TOKEN })).toBe(403)
    expect(await status({ VtexIdclientAutCookie: FORBIDDEN_TOKEN })).toBe(403)
    expect(await status({ VtexIdclientAutCookie: 'nope' })).toBe(401)
    expect(
      (await fetch(`${replica.url}${JOBS}/${queued.body.jobId}`)).status
    ).toBe(401)
    expect(
      (
        await call(
          replica,
          'GET',
          `${JOBS}/00000000-0000-0000-0000-000000000000`
        )
      ).status
    ).toBe(404)
    // Whether a job id exists is told only to a caller who may edit the Catalog.
    const unknown = (headers: Record<string, string>) =>
      call(
        replica,
        'GET',
        `${JOBS}/00000000-0000-0000-0000-000000000000`,
        undefined,
        headers
      ).then((r) => r.status)

    expect(await unknown({ VtexIdclientAutCookie: READ_ONLY_TOKEN })).toBe(403)
    expect(await unknown({ VtexIdclientAutCookie: 'nope' })).toBe(401)
    expect(
      (
        await call(replica, 'GET', JOBS, undefined, {
          VtexIdclientAutCookie: READ_ONLY_TOKEN,
        })
      ).status
    ).toBe(403)
    const refused = await call(
      replica,
      'PUT',
      `${PRODUCT_PATH}?async=true`,
      JSON.stringify([{ id: 3, score: 1 }]),
      {
        VtexIdclientAutCookie: READ_ONLY_TOKEN,
      }
    )

    expect(refused.status).toBe(403)
    expect(refused.body.error.code).toBe('FORBIDDEN')

    // An app key pair may start a job; the key's name is recorded, never its token.
    const byApp = await call(
      replica,
      'PUT',
      `${PRODUCT_PATH}?async=true`,
      JSON.stringify([{ id: 4, score: 3 }]),
      {
        VtexIdclientAutCookie: '',
        'X-VTEX-API-AppKey': APP_KEY,
        'X-VTEX-API-AppToken': APP_KEY_ENTRY.token,
      }
    )
    const summary = await poll(replica, byApp.body.jobId, finished)

    expect(summary[summary.length - 1].startedBy).toEqual({
      kind: 'appKey',
      login: APP_KEY,
    })
    const listed = await call(replica, 'GET', JOBS)

    expect(listed.status).toBe(200)
    expect(listed.body.jobs[0].jobId).toBe(byApp.body.jobId)
    // VTEX ID resolved the user tokens, and no credential ever went in a URL.
    expect(emulator.licenseManager.stats().validations).toBeGreaterThan(0)
    expect(emulator.licenseManager.stats().tokensInUrls).toBe(0)
  })

  it('replays an Idempotency-Key: the same job for the same body, 409 for another', async () => {
    emulator.resetStats()
    const body = JSON.stringify(batchOf(50, 6000, 11))
    const key = { 'Idempotency-Key': `replay-${Date.now()}` }
    const first = await call(
      replica,
      'PUT',
      `${PRODUCT_PATH}?async=true`,
      body,
      key
    )
    const again = await call(
      replica,
      'PUT',
      `${PRODUCT_PATH}?async=true`,
      body,
      key
    )
    const other = await call(
      replica,
      'PUT',
      `${PRODUCT_PATH}?async=true`,
      JSON.stringify(batchOf(50, 6000, 12)),
      key
    )

    expect(first.status).toBe(202)
    expect(again.status).toBe(202)
    expect(again.body.jobId).toBe(first.body.jobId)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(other.status).toBe(409)
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED')
    await poll(replica, first.body.jobId, finished)
    const puts = emulator.stats().putsById.product

    expect(batchOf(50, 6000, 11).every(({ id }) => puts[id] === 1)).toBe(true)
    // A replay of a finished job answers its status now, not "queued".
    const later = await call(
      replica,
      'PUT',
      `${PRODUCT_PATH}?async=true`,
      body,
      key
    )

    expect(later.status).toBe(202)
    expect(later.body).toMatchObject({
      jobId: first.body.jobId,
      status: 'done',
    })
  })

  it('writes every product once under five concurrent resumes and duplicated deliveries', async () => {
    emulator.resetStats()
    emulator.events.resetStats()
    emulator.events.configure({ duplicate: 2 })
    try {
      const batch = batchOf(1000, 7000, 300)
      const queued = await call(
        replica,
        'PUT',
        `${PRODUCT_PATH}?async=true`,
        JSON.stringify(batch)
      )
      const resumes = await Promise.all(
        Array.from({ length: 5 }, () =>
          call(replica, 'POST', `${JOBS}/${queued.body.jobId}/resume`)
        )
      )

      expect(resumes.map((r) => r.status)).toEqual([202, 202, 202, 202, 202])
      await poll(replica, queued.body.jobId, finished)
      // Every event went out three times at once, and the resumes sent more.
      const bus = emulator.events.stats()

      expect(bus.sent).toBeGreaterThanOrEqual(5 + 5)
      expect(bus.deliveries).toBeGreaterThanOrEqual(3 * bus.sent)
      const puts = emulator.stats().putsById.product

      expect(batch.every(({ id }) => puts[id] === 1)).toBe(true)
    } finally {
      emulator.events.configure({ duplicate: 0 })
    }
  })

  it('undoes a job after a concurrent edit: conflicts reported, nothing else overwritten', async () => {
    const batch = batchOf(300, 12_000, 4242)
    const before = new Map(
      batch.map(({ id }) => [id, emulator.getProduct(id)?.Score])
    )
    // Items with no Score before cannot be restored (VTEX has nothing to put back).
    const restorable = batch.filter(
      ({ id }) => typeof before.get(id) === 'number'
    )
    const [edited1, edited2] = [
      restorable[1].id,
      restorable[restorable.length - 1].id,
    ]
    expect(restorable.length).toBeGreaterThan(10)
    const queued = await call(
      replica,
      'PUT',
      `${PRODUCT_PATH}?async=true`,
      JSON.stringify(batch)
    )

    await poll(replica, queued.body.jobId, finished)
    // Someone edits two products in the admin after the job.
    for (const id of [edited1, edited2])
      emulator.setProduct(id, { ...emulator.getProduct(id), Score: 777 })
    emulator.resetStats()

    const undo = await call(
      replica,
      'POST',
      `${JOBS}/${queued.body.jobId}/undo`
    )

    expect(undo.status).toBe(202)
    expect(undo.body).toMatchObject({
      undoOf: queued.body.jobId,
      items: restorable.length,
      unrestorable: batch.length - restorable.length,
    })
    // Undoing twice answers the same undo job.
    expect(
      (await call(replica, 'POST', `${JOBS}/${queued.body.jobId}/undo`)).body
        .jobId
    ).toBe(undo.body.jobId)
    const seen = await poll(replica, undo.body.jobId, finished)

    // Once it is done, undoing again answers it as done.
    expect(
      (await call(replica, 'POST', `${JOBS}/${queued.body.jobId}/undo`)).body
    ).toMatchObject({ jobId: undo.body.jobId, status: 'done' })

    expect(seen[seen.length - 1]).toMatchObject({
      status: 'done',
      undoOf: queued.body.jobId,
      counts: { UPDATED: restorable.length - 2, CONFLICT: 2 },
    })
    const puts = emulator.stats().putsById.product

    expect(puts[edited1]).toBeUndefined()
    expect(puts[edited2]).toBeUndefined()
    expect(emulator.getProduct(edited1)?.Score).toBe(777)
    expect(
      restorable
        .filter(({ id }) => id !== edited1 && id !== edited2)
        .every(
          ({ id }) =>
            puts[id] === 1 && emulator.getProduct(id)?.Score === before.get(id)
        )
    ).toBe(true)
    const failed = await call(
      replica,
      'GET',
      `${JOBS}/${undo.body.jobId}/report.csv?only=failed`
    )

    // The undo's own outcome and message: the Catalog answered every GET with a 200.
    const conflictRow = (id: number) =>
      new RegExp(
        `^${id},\\d+,,false,CONFLICT,409,"Score is now 777, not the \\d+ the undone job wrote; the product was left alone\\."$`
      )

    expect(failed.text.split('\r\n').slice(1)).toEqual([
      expect.stringMatching(conflictRow(edited1)),
      expect.stringMatching(conflictRow(edited2)),
      '',
    ])
    expect(failed.text).not.toMatch(/Catalog answered/)
  })

  it('starts no chunk after a cancel, and says what was written', async () => {
    emulator.resetStats()
    emulator.configure({ latency: { meanMs: 5, jitterMs: 1 } })
    try {
      const batch = batchOf(3000, 10_000, 900)
      const queued = await call(
        replica,
        'PUT',
        `${PRODUCT_PATH}?async=true`,
        JSON.stringify(batch)
      )

      await poll(
        replica,
        queued.body.jobId,
        (job) => job.progress.chunksDone >= 1
      )
      const cancelled = await call(
        replica,
        'POST',
        `${JOBS}/${queued.body.jobId}/cancel`
      )

      expect(cancelled.status).toBe(202)
      expect(['cancelling', 'cancelled']).toContain(cancelled.body.status)
      const cancelledAt = cancelled.body.cancelledAt as string
      const seen = await poll(replica, queued.body.jobId, finished)
      const final = seen[seen.length - 1]

      expect(final.status).toBe('cancelled')
      expect(final.progress.notRun).toBeGreaterThan(0)
      // No chunk started after the cancel mark.
      const started = chunkStatesOf(queued.body.jobId).filter(
        (s) => s?.startedAt
      )

      expect(started.every((s) => s.startedAt <= cancelledAt)).toBe(true)
      // Exactly the items of the chunks that ran were written, once each.
      const puts = emulator.stats().putsById.product
      const written = batch.filter(({ id }) => puts[id] === 1).length

      expect(written).toBe(final.progress.done)
      expect(batch.every(({ id }) => (puts[id] ?? 0) <= 1)).toBe(true)
      // Unrun items are NOT_ATTEMPTED alike in counts, the failed rows and the report.
      expect(final.counts.NOT_ATTEMPTED).toBe(final.progress.notRun)
      expect(final.failed).toBe(final.progress.notRun)
      expect(final.succeeded + final.failed).toBe(batch.length)
      const failedRows = (
        await call(
          replica,
          'GET',
          `${JOBS}/${queued.body.jobId}/report.csv?only=failed`
        )
      ).text
        .split('\r\n')
        .slice(1, -1)

      expect(failedRows).toHaveLength(final.failed)
      // id,score,previousScore,success,code,error,errorMessage
      expect(
        failedRows.every((row) => row.split(',')[4] === 'NOT_ATTEMPTED')
      ).toBe(true)
      const report = (
        await call(replica, 'GET', `${JOBS}/${queued.body.jobId}/report.csv`)
      ).text
        .split('\r\n')
        .slice(1, -1)

      expect(report).toHaveLength(batch.length)
      expect(
        report.filter((row) => row.split(',')[3] === 'false')
      ).toHaveLength(final.failed)
      expect(
        (await call(replica, 'POST', `${JOBS}/${queued.body.jobId}/cancel`))
          .status
      ).toBe(202)
    } finally {
      emulator.configure({ latency: { meanMs: 1, jitterMs: 1 } })
    }
  })

  it('lists jobs through every VBase listing page, each with its status and counts, filtered by status', async () => {
    emulator.vbase.setListPageSize(2)
    emulator.vbase.resetStats()
    try {
      const indexed = emulator.vbase.keys('score-jobs/index/').length
      const all = await call(replica, 'GET', `${JOBS}?limit=100`)

      expect(indexed).toBeGreaterThan(4)
      expect(all.status).toBe(200)
      // Every index entry, though VBase answered two a page.
      expect(all.body.jobs).toHaveLength(indexed)
      expect(emulator.vbase.stats().lists).toBeGreaterThanOrEqual(
        Math.ceil(indexed / 2)
      )
      for (const job of all.body.jobs) {
        expect([
          'queued',
          'running',
          'cancelling',
          'cancelled',
          'done',
          'failed',
        ]).toContain(job.status)
        expect(job.succeeded + job.failed).toBe(
          job.status === 'done' ||
            job.status === 'cancelled' ||
            job.status === 'failed'
            ? job.total
            : job.progress.done
        )
      }
      const cancelled = await call(replica, 'GET', `${JOBS}?status=cancelled`)

      expect(cancelled.body.jobs.length).toBeGreaterThan(0)
      expect(
        cancelled.body.jobs.every(
          (job: any) =>
            job.status === 'cancelled' && job.counts.NOT_ATTEMPTED > 0
        )
      ).toBe(true)
      const finishedJobs = await call(
        replica,
        'GET',
        `${JOBS}?status=done,cancelled&limit=100`
      )

      expect(finishedJobs.body.jobs.map((j: any) => j.jobId)).toEqual(
        all.body.jobs
          .filter((j: any) => ['done', 'cancelled'].includes(j.status))
          .map((j: any) => j.jobId)
      )
      const wrong = await call(replica, 'GET', `${JOBS}?status=finished`)

      expect(wrong.status).toBe(400)
      expect(wrong.body.error.code).toBe('INVALID_QUERY')
    } finally {
      emulator.vbase.setListPageSize(1000)
    }
  })
})

describe('a Catalog outage past the item window', () => {
  it("fails the job with the Catalog's answer, and a resume once the Catalog is back finishes it", async () => {
    const replica = await startReplica({
      JOB_ITEM_RETRY_WINDOW_MS: '1000',
      JOB_CHUNK_SIZE: '20',
    })

    emulator.events.setSubscribers([replica.runtimeUrl])
    try {
      const batch = batchOf(60, 16_000, 321)

      emulator.resetStats()
      emulator.configure({
        faults: [
          {
            name: 'outage',
            ids: batch.slice(20, 40).map(({ id }) => id),
            action: { type: 'status', status: 503, fast: true },
          },
        ],
      })
      const queued = await call(
        replica,
        'PUT',
        `${PRODUCT_PATH}?async=true`,
        JSON.stringify(batch)
      )
      const seen = await poll(replica, queued.body.jobId, finished, 60_000)
      const failed = seen[seen.length - 1]

      expect(emulator.stats().faultHits.outage).toBeGreaterThan(20)
      expect(failed).toMatchObject({
        status: 'failed',
        error: {
          status: 503,
          code: 'CATALOG_UNAVAILABLE',
          resumable: true,
          message: expect.stringMatching(/Catalog answered 503 to GET product/),
        },
        progress: { chunksDone: 1 },
      })
      expect(failed.error.message).not.toMatch(/credentials/)

      // The Catalog is back: a resume runs the failed chunk again, and the rest.
      emulator.configure({ faults: [] })
      const resumed = await call(
        replica,
        'POST',
        `${JOBS}/${queued.body.jobId}/resume`
      )

      expect(resumed.status).toBe(202)
      const after = await poll(replica, queued.body.jobId, finished)

      expect(after[after.length - 1]).toMatchObject({
        status: 'done',
        counts: { UPDATED: 60 },
        progress: { done: 60, chunksDone: 3 },
      })
      expect(after[after.length - 1].error).toBeUndefined()
      const puts = emulator.stats().putsById.product

      expect(batch.every(({ id }) => puts[id] === 1)).toBe(true)
    } finally {
      emulator.configure({ faults: [] })
      await replica.close()
    }
  })
})

describe('one Idempotency-Key across three replicas', () => {
  it('creates exactly one job out of 20 concurrent creations of a new key with different bodies', async () => {
    const replicas = await Promise.all([
      startReplica(),
      startReplica(),
      startReplica(),
    ])

    emulator.events.setSubscribers(replicas.map((r) => r.runtimeUrl))
    try {
      // A key whose claim shard does not exist yet: every creation races to create it.
      let key = ''

      for (let n = 0; !key; n++) {
        const candidate = `race-${Date.now()}-${n}`
        const shard = keyHashOf('local', 'job', candidate).slice(0, 1)

        if (emulator.vbase.keys(`idempotency/shard-${shard}.json`).length === 0)
          key = candidate
      }

      const jobsBefore = emulator.vbase.keys('/job.json').length

      emulator.resetStats()
      emulator.vbase.resetStats()
      const bodies = Array.from({ length: 20 }, (_, n) =>
        batchOf(5, 15_000 + 10 * n, 500 + n)
      )
      const answers = await Promise.all(
        bodies.map((body, n) =>
          call(
            replicas[n % 3],
            'PUT',
            `${PRODUCT_PATH}?async=true`,
            JSON.stringify(body),
            { 'Idempotency-Key': key }
          )
        )
      )
      const winners = answers.filter((a) => a.status === 202)

      // Before the fix, 2 or 3 creations won: a plain write of the shard wiped a claim.
      expect(winners.map((w) => w.body.jobId)).toHaveLength(1)
      const jobId = winners[0].body.jobId as string

      expect(
        answers
          .filter((a) => a.status !== 202)
          .map((a) => [a.status, a.body.error.code])
      ).toEqual(Array(19).fill([409, 'IDEMPOTENCY_KEY_REUSED']))
      expect(
        answers
          .filter((a) => a.status !== 202)
          .every((a) => a.body.error.message.includes(jobId))
      ).toBe(true)
      // The race happened: creations met each other's shard or claim (412s).
      expect(emulator.vbase.stats().preconditionFailed).toBeGreaterThan(0)
      expect(emulator.vbase.keys('/job.json').length).toBe(jobsBefore + 1)
      await poll(replicas[0], jobId, finished)
      // Only the winner's body was written, each product once.
      const winner = bodies[answers.indexOf(winners[0])]
      const puts = emulator.stats().putsById.product

      expect(winner.every(({ id }) => puts[id] === 1)).toBe(true)
      expect(Object.keys(puts)).toHaveLength(winner.length)
    } finally {
      await Promise.all(replicas.map((r) => r.close()))
    }
  })
})

describe('a replica killed while it runs a chunk', () => {
  it('finishes a 20,000-item job on the other replica with no call from anyone, each product written once', async () => {
    emulator.resetStats()
    emulator.events.resetStats()
    emulator.configure({ latency: { meanMs: 3, jitterMs: 1 } })
    const env = { CONCURRENCY: '8', JOB_CHUNK_SIZE: '500' }
    const [a, b] = await Promise.all([startReplica(env), startReplica(env)])

    emulator.events.setSubscribers([a.runtimeUrl, b.runtimeUrl])
    try {
      const batch = batchOf(20_000, 1, 88_000)
      const queued = await call(
        a,
        'PUT',
        `${PRODUCT_PATH}?async=true`,
        JSON.stringify(batch)
      )

      expect(queued.status).toBe(202)
      // Wait for a chunk running on replica a, then SIGKILL it.
      let victim: any

      for (let i = 0; i < 600 && !victim; i++) {
        victim = chunkStatesOf(queued.body.jobId).find(
          (s) =>
            s?.phase === 'running' && String(s.owner).includes(`:${a.pid}:`)
        )
        if (!victim) await sleep(20)
      }

      expect(victim).toBeDefined()
      await a.kill()
      const killedChunk = victim.chunk as number

      // Nobody calls the service any more: wait on the emulator's own state.
      for (let i = 0; i < 1200; i++) {
        if (emulator.vbase.read(`jobs/${queued.body.jobId}/final.json`)) break
        await sleep(100)
      }

      const final = await call(b, 'GET', `${JOBS}/${queued.body.jobId}`)

      expect(final.body.status).toBe('done')
      expect(final.body.progress.done).toBe(20_000)
      // The killed chunk was claimed again, by b.
      const taken = chunkStatesOf(queued.body.jobId).find(
        (s) => s?.chunk === killedChunk
      )

      expect(taken.attempt).toBeGreaterThanOrEqual(2)
      expect(String(taken.owner)).toContain(`:${b.pid}:`)
      expect(emulator.events.stats().failedDeliveries).toBeGreaterThan(0)
      const puts = emulator.stats().putsById.product

      expect(batch.every(({ id }) => puts[id] === 1)).toBe(true)
      expect(
        batch.every(({ id, score }) => emulator.getProduct(id)?.Score === score)
      ).toBe(true)
    } finally {
      await a.close()
      await b.close()
      emulator.configure({ latency: { meanMs: 1, jitterMs: 1 } })
    }
  })
})
