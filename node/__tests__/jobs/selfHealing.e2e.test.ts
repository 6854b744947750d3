import {
  CatalogEmulator,
  startCatalogEmulator,
} from '../../../local/catalogEmulator'
import type { SpawnedService } from '../../../local/spawnService'
import {
  PRODUCT_PATH,
  putBodyViolations,
  USER_TOKEN,
  requestAs,
  spawnServiceOn,
} from '../helpers/e2e'

/**
 * The jobs with an events bus that never redelivers: VTEX does not document
 * that IO delivers a failed event again, so every recovery here comes from
 * the service itself (a read of the job that finds it stalled sends its
 * event again), driven by a status poll, never by a resume.
 */
const AUTH = { VtexIdclientAutCookie: USER_TOKEN }
const JOBS = '/_v/massive/score/jobs'
const LEASE_MS = 3000
const SKEW_MS = 500
/** A few 200 ms status polls on a loaded machine; under a lease (3 s), so a takeover one lease late still fails. */
const POLLS_TO_TAKE_OVER_MS = 2500
const GRACE_MS = 1000

let emulator: CatalogEmulator

beforeAll(async () => {
  emulator = await startCatalogEmulator({
    seed: { products: 20_000, categories: 5 },
    latency: { meanMs: 3, jitterMs: 1 },
    events: { redeliver: false },
    recordPuts: true,
  })
})

afterAll(async () => {
  const wrong = putBodyViolations(emulator)

  await emulator.close()
  expect(wrong).toEqual([])
})

const startReplica = (env: Record<string, string> = {}) =>
  spawnServiceOn(emulator.url, {
    JOB_CHUNK_SIZE: '200',
    JOB_LEASE_MS: String(LEASE_MS),
    JOB_CLOCK_SKEW_MS: String(SKEW_MS),
    JOB_EVENT_GRACE_MS: String(GRACE_MS),
    REQUEST_TIMEOUT_MS: '1000',
    CONCURRENCY: '8',
    ...env,
  })

const call = requestAs(AUTH)

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls the summary (every 200 ms, as a status page would) until the job is finished. */
async function pollUntilFinished(
  service: SpawnedService,
  jobId: string,
  limitMs = 120_000
) {
  const seen: any[] = []
  const started = Date.now()

  for (;;) {
    const { body } = await call(service, 'GET', `${JOBS}/${jobId}`)

    seen.push({ ...body, readAt: Date.now() })
    if (['done', 'failed', 'cancelled'].includes(body?.status)) return seen
    if (Date.now() - started > limitMs)
      throw new Error(`job never finished; last: ${JSON.stringify(body)}`)
    await sleep(200)
  }
}

const batchOf = (n: number, from: number, score: number) =>
  Array.from({ length: n }, (_, i) => ({ id: from + i, score: score + i }))

const chunkStatesOf = (jobId: string) =>
  emulator.vbase
    .keys(`jobs/${jobId}/chunks/`)
    .filter((key) => key.endsWith('/state.json'))
    .map((key) => emulator.vbase.read(key.slice(key.indexOf(`jobs/${jobId}`))))

/** Waits for a chunk of the job running on `replica`; resolves with its state. */
async function runningOn(jobId: string, replica: SpawnedService) {
  for (let i = 0; i < 1500; i++) {
    const state = chunkStatesOf(jobId).find(
      (s) =>
        s?.phase === 'running' && String(s.owner).includes(`:${replica.pid}:`)
    )

    if (state) return state
    await sleep(10)
  }

  throw new Error(`no chunk of ${jobId} ran on replica ${replica.pid}`)
}

/** Products of the batch written more than once, and those not at the job's Score. */
function catalogCheck(batch: Array<{ id: number; score: number }>) {
  const puts = emulator.stats().putsById.product

  return {
    writtenTwice: batch.filter(({ id }) => (puts[id] ?? 0) > 1).length,
    notWritten: batch.filter(({ id }) => !puts[id]).length,
    wrongScore: batch.filter(
      ({ id, score }) => emulator.getProduct(id)?.Score !== score
    ).length,
  }
}

/** The Scores of the batch's products now. */
const scoresOf = (batch: Array<{ id: number }>) =>
  new Map(batch.map(({ id }) => [id, emulator.getProduct(id)?.Score]))

/**
 * Undoes the job and polls the undo to its end; resolves with the share of
 * the products the job changed (with a Score to put back) that are back at
 * their Score before the job.
 */
async function undoAndMeasure(
  service: SpawnedService,
  jobId: string,
  batch: Array<{ id: number; score: number }>,
  before: Map<number, unknown>
) {
  const undo = await call(service, 'POST', `${JOBS}/${jobId}/undo`)

  expect(undo.status).toBe(202)
  const seen = await pollUntilFinished(service, undo.body.jobId)
  const changed = batch.filter(
    ({ id, score }) =>
      typeof before.get(id) === 'number' && before.get(id) !== score
  )
  const restored = changed.filter(
    ({ id }) => emulator.getProduct(id)?.Score === before.get(id)
  )

  return {
    undo: seen[seen.length - 1],
    items: undo.body.items as number,
    changed: changed.length,
    restoredPct: (100 * restored.length) / changed.length,
  }
}

describe('self-healing jobs, with an events bus that never redelivers', () => {
  it('finishes a job after two replicas of three are killed mid-job, driven by a status poll, each product written once', async () => {
    emulator.resetStats()
    emulator.events.resetStats()
    const replicas = await Promise.all([
      startReplica(),
      startReplica(),
      startReplica(),
    ])
    const [a, b, c] = replicas

    emulator.events.setSubscribers(replicas.map((r) => r.runtimeUrl))
    try {
      const batch = batchOf(3000, 1, 61_000)
      const before = scoresOf(batch)
      const queued = await call(
        c,
        'PUT',
        `${PRODUCT_PATH}?async=true`,
        JSON.stringify(batch)
      )

      expect(queued.status).toBe(202)
      const jobId = queued.body.jobId as string
      const poller = pollUntilFinished(c, jobId)

      // SIGKILL a in the middle of a chunk (once it wrote some of it), then b in the middle of another.
      const first = await runningOn(jobId, a)

      await sleep(60)
      await a.kill()
      emulator.events.setSubscribers([b.runtimeUrl, c.runtimeUrl])
      const second = await runningOn(jobId, b)

      await sleep(60)
      await b.kill()
      const killedAt = Date.now()

      emulator.events.setSubscribers([c.runtimeUrl])
      const seen = await poller
      const done = seen[seen.length - 1]
      const check = catalogCheck(batch)

      console.log(
        `two of three replicas killed: done ${
          done.readAt - killedAt
        } ms after the second kill; ${
          check.writtenTwice
        } products written twice`
      )
      expect(done).toMatchObject({
        status: 'done',
        progress: { done: 3000, chunksDone: 15 },
        counts: { UPDATED: 3000 },
      })
      expect(check).toEqual({ writtenTwice: 0, notWritten: 0, wrongScore: 0 })
      // Both killed chunks were taken over by c; the summary said they were stalled and healed.
      for (const killed of [first, second]) {
        const taken = chunkStatesOf(jobId).find(
          (s) => s?.chunk === killed.chunk
        )

        expect(taken).toMatchObject({ phase: 'done' })
        expect(taken.attempt).toBeGreaterThanOrEqual(2)
        expect(String(taken.owner)).toContain(`:${c.pid}:`)
      }

      expect(
        seen.some(
          (s) => s.stalled?.reason === 'LEASE_EXPIRED' && s.stalled.resent
        )
      ).toBe(true)
      // No event was ever delivered twice, and none was sent by a resume.
      expect(emulator.events.stats()).toMatchObject({ redeliveries: 0 })
      expect(emulator.events.stats().dropped).toBeGreaterThan(0)

      // The killed replicas journalled what they were about to write before they died.
      const journalled = [first, second].map(
        (killed) =>
          (
            emulator.vbase.read(
              `jobs/${jobId}/chunks/${killed.chunk}/journal-${killed.attempt}.json`
            ) ?? []
          ).length
      )

      expect(journalled.every((n) => n > 0)).toBe(true)

      // The undo restores every product the job changed, those the killed replicas wrote included.
      const undone = await undoAndMeasure(c, jobId, batch, before)

      console.log(
        `undo after two kills (the killed claims journalled ${journalled.join(
          ' and '
        )} items): ${undone.restoredPct}% of the ${
          undone.changed
        } products the job changed restored`
      )
      expect(undone.undo.status).toBe('done')
      expect(undone.items).toBe(undone.changed)
      expect(undone.restoredPct).toBe(100)
    } finally {
      await Promise.all(replicas.map((r) => r.close()))
    }
  })

  it('runs each chunk in bounded slices that send their own next event, through a kill mid-slice', async () => {
    emulator.resetStats()
    emulator.events.resetStats()
    emulator.configure({ latency: { meanMs: 10, jitterMs: 2 } })
    const env = { JOB_CHUNK_SIZE: '500', JOB_SLICE_MS: '300' }
    const [a, b] = await Promise.all([startReplica(env), startReplica(env)])

    emulator.events.setSubscribers([a.runtimeUrl, b.runtimeUrl])
    try {
      const batch = batchOf(1500, 9000, 33_000)
      const before = scoresOf(batch)
      const queued = await call(
        b,
        'PUT',
        `${PRODUCT_PATH}?async=true`,
        JSON.stringify(batch)
      )
      const jobId = queued.body.jobId as string
      const poller = pollUntilFinished(b, jobId)

      await runningOn(jobId, a)
      await sleep(150)
      await a.kill()
      emulator.events.setSubscribers([b.runtimeUrl])
      const seen = await poller
      const done = seen[seen.length - 1]
      const sliceEvents = emulator.events.stats().sent
      const check = catalogCheck(batch)

      console.log(
        `slices of 300 ms: ${sliceEvents} events for 3 chunks, a replica killed mid-slice; ${check.writtenTwice} products written twice`
      )
      expect(done).toMatchObject({
        status: 'done',
        progress: { done: 1500, chunksDone: 3 },
        counts: { UPDATED: 1500 },
      })
      expect(check).toEqual({ writtenTwice: 0, notWritten: 0, wrongScore: 0 })
      // Each chunk ran over several events, each sent by the slice before it.
      expect(sliceEvents).toBeGreaterThan(3 * 2)
      expect(emulator.events.stats()).toMatchObject({ redeliveries: 0 })
      // Progress only went up, slice after slice.
      const dones = seen.map((s) => s.progress.done)

      expect(dones).toEqual([...dones].sort((x, y) => x - y))

      // One kill mid-slice: the undo restores every product the job changed.
      const undone = await undoAndMeasure(b, jobId, batch, before)

      console.log(
        `undo after one kill: ${undone.restoredPct}% of the ${undone.changed} products the job changed restored`
      )
      expect(undone.undo.status).toBe('done')
      expect(undone.restoredPct).toBe(100)
    } finally {
      await a.close()
      await b.close()
      emulator.configure({ latency: { meanMs: 3, jitterMs: 1 } })
    }
  })

  it('finishes a job after a kill -9 of the whole service and a restart on the same VBase, with no resume, within one lease plus a slice', async () => {
    emulator.resetStats()
    emulator.events.resetStats()
    // Chunks of about half a second, so the kill lands in one.
    emulator.configure({ latency: { meanMs: 10, jitterMs: 2 } })
    const before = await Promise.all([startReplica(), startReplica()])

    emulator.events.setSubscribers(before.map((r) => r.runtimeUrl))
    const batch = batchOf(3000, 4000, 71_000)
    let jobId = ''
    let after: SpawnedService | undefined

    try {
      const queued = await call(
        before[0],
        'PUT',
        `${PRODUCT_PATH}?async=true`,
        JSON.stringify(batch)
      )

      jobId = queued.body.jobId
      // Wait for 500 items done and a chunk running, then kill every replica at once.
      for (let i = 0; i < 3000; i++) {
        const states = chunkStatesOf(jobId)
        const doneItems = states.filter((s) => s?.phase === 'done').length * 200

        if (doneItems >= 500 && states.some((s) => s?.phase === 'running'))
          break
        await sleep(10)
      }

      await Promise.all(before.map((r) => r.kill()))
      const killedAt = Date.now()
      const stalled = chunkStatesOf(jobId).find((s) => s?.phase === 'running')

      expect(stalled).toBeDefined()
      emulator.events.setSubscribers([])

      after = await startReplica()
      // A loaded machine can take longer to start the new service than the lease has left.
      const readyAt = Date.now()

      emulator.events.setSubscribers([after.runtimeUrl])
      const seen = await pollUntilFinished(after, jobId)
      const done = seen[seen.length - 1]
      const taken = chunkStatesOf(jobId).find((s) => s?.chunk === stalled.chunk)
      const resumedAt = Date.parse(taken.startedAt)
      const check = catalogCheck(batch)

      console.log(
        `whole service killed with chunk ${stalled.chunk} running: taken over ${
          resumedAt - killedAt
        } ms after the kill (lease ran out ${
          stalled.leaseUntil - killedAt
        } ms after it), done ${done.readAt - killedAt} ms after it; ${
          check.writtenTwice
        } products written twice`
      )
      expect(done).toMatchObject({
        status: 'done',
        progress: { done: 3000 },
        counts: { UPDATED: 3000 },
      })
      expect(check).toEqual({ writtenTwice: 0, notWritten: 0, wrongScore: 0 })
      // Taken over by the restarted service once the lease (and the skew margin) ran out and it was up,
      // within a few polls: no resume, no redelivery.
      expect(String(taken.owner)).toContain(`:${after.pid}:`)
      expect(
        resumedAt - Math.max(stalled.leaseUntil + SKEW_MS, readyAt)
      ).toBeLessThan(POLLS_TO_TAKE_OVER_MS)
      expect(resumedAt - Math.max(killedAt + LEASE_MS, readyAt)).toBeLessThan(
        SKEW_MS + POLLS_TO_TAKE_OVER_MS
      )
      // Before it was healed, a poll told the stall apart from a running job.
      expect(seen.find((s) => s.stalled)?.stalled).toMatchObject({
        chunk: stalled.chunk,
        reason: 'LEASE_EXPIRED',
        resent: true,
      })
      expect(emulator.events.stats()).toMatchObject({ redeliveries: 0 })
    } finally {
      await Promise.all(before.map((r) => r.close()))
      await after?.close()
      emulator.configure({ latency: { meanMs: 3, jitterMs: 1 } })
    }
  })
})
