import { createHash } from 'crypto'

import { CatalogError } from '../../clients/catalog'
import { CallerCredentials } from '../../clients/credentials'
import { cancelJob, recentJobs, resumeJob } from '../../jobs/control'
import {
  createJob,
  DEFAULT_CREATION_GRACE_MS,
  JobLimits,
} from '../../jobs/create'
import {
  JobFileConflict,
  JobFiles,
  jobPaths,
  Versioned,
  WriteOptions,
} from '../../jobs/files'
import type { ChunkEvent, ChunkState, JobDefinition } from '../../jobs/model'
import { resultSheet } from '../../jobs/csvWriter'
import { chunkRows, noChunkWillStart, resultsPage } from '../../jobs/results'
import { ChunkRunner, LeaseLost, runChunk } from '../../jobs/runChunk'
import { healerOf } from '../../jobs/heal'
import { DoneChunks, summarise } from '../../jobs/summary'
import { startUndo, undoItemsOf, undoJobIdOf } from '../../jobs/undo'
import { DEFAULT_SETTINGS } from '../../settings'
import { FakeClock } from '../helpers/fakeClock'

// The in-memory store awaits setImmediate steps, so time moves only after many idle turns.
const IDLE_TURNS = 50

/** VBase's contract in memory: ETags on reads, If-Match and If-None-Match: * on writes (a JobFileConflict when one fails). */
class MemoryFiles implements JobFiles {
  public files = new Map<string, { text: string; etag: string }>()
  public writes = 0
  /** Paths written with no precondition. */
  public plainWrites: string[] = []
  public inFlight = 0
  public peakInFlight = 0
  /** Called before each write lands; a test may change the store there. */
  public beforeWrite?: (path: string) => void

  public async read<T>(path: string): Promise<Versioned<T> | null> {
    await Promise.resolve()
    const file = this.files.get(path)

    return file ? { data: JSON.parse(file.text) as T, etag: file.etag } : null
  }

  public async write<T>(path: string, data: T, options: WriteOptions = {}) {
    this.inFlight += 1
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight)
    await new Promise((resolve) => setImmediate(resolve))
    this.inFlight -= 1
    this.beforeWrite?.(path)
    const current = this.files.get(path)

    if (options.ifMatch !== undefined && current?.etag !== options.ifMatch)
      throw new JobFileConflict(path)
    if (options.ifNoneMatch === '*' && current) throw new JobFileConflict(path)
    if (options.ifMatch === undefined && options.ifNoneMatch === undefined)
      this.plainWrites.push(path)
    const text = JSON.stringify(data)
    const etag = createHash('sha1').update(text).digest('hex')

    this.writes += 1
    this.files.set(path, { text, etag })

    return etag
  }

  public async list(prefix: string) {
    return [...this.files.keys()].filter((key) => key.startsWith(prefix))
  }

  public async remove(path: string, options: { ifMatch: string }) {
    await Promise.resolve()
    const current = this.files.get(path)

    if (!current) return
    if (current.etag !== options.ifMatch) throw new JobFileConflict(path)
    this.files.delete(path)
  }
}

/** A product as the Catalog GET answers it (every field the PUT requires). */
const productOf = (id: number, score: number | null) => ({
  Id: id,
  Name: `Shirt ${id}`,
  DepartmentId: 1,
  CategoryId: 3,
  BrandId: 2000001,
  LinkId: `shirt-${id}`,
  RefId: null,
  IsVisible: true,
  Description: 'A shirt',
  DescriptionShort: null,
  ReleaseDate: '2024-03-01T00:00:00',
  KeyWords: '',
  Title: 'Shirt',
  IsActive: true,
  TaxCode: '',
  MetaTagDescription: '',
  ShowWithoutStock: false,
  Score: score,
})

/** A Catalog with Score 0 everywhere, counting PUTs per id. */
function scriptedCatalog(
  options: {
    refuseFrom?: number
    missing?: number[]
    down?: () => boolean
  } = {}
) {
  const scores = new Map<number, number>()
  const puts = new Map<number, number>()
  const catalog = {
    read: jest.fn(async (kind: 'product' | 'category', id: number) => {
      if (id >= (options.refuseFrom ?? Infinity))
        throw new CatalogError('GET', kind, id, 403, 'Forbidden')
      if (options.missing?.includes(id))
        throw new CatalogError('GET', kind, id, 404, 'Product not found')
      if (options.down?.())
        throw new CatalogError('GET', kind, id, 503, 'Service Unavailable')

      return productOf(id, scores.get(id) ?? 0)
    }),
    write: jest.fn(
      async (
        _kind: 'product' | 'category',
        id: number,
        body: Record<string, unknown>
      ) => {
        puts.set(id, (puts.get(id) ?? 0) + 1)
        scores.set(id, body.Score as number)

        return body
      }
    ),
  }

  return { catalog, puts, scores }
}

const LIMITS: JobLimits = {
  chunkSize: 10,
  retentionSec: 3600,
  writeConcurrency: 3,
}
const OWNER = { kind: 'user' as const, login: 'admin@example.com' }
const items = (n: number, from = 1) =>
  Array.from({ length: n }, (_, i) => ({
    index: i,
    id: from + i,
    score: 100 + i,
  }))

async function setup(n = 35, catalogOptions = {}) {
  const files = new MemoryFiles()
  const clock = new FakeClock(IDLE_TURNS)
  const events: ChunkEvent[] = []
  const sendEvent = async (_key: string, body: ChunkEvent) =>
    void events.push(body)
  const created = await createJob(
    files,
    sendEvent,
    clock,
    {
      id: '11111111-2222-3333-4444-555555555555',
      kind: 'product',
      account: 'store',
      dryRun: false,
      items: items(n),
      startedBy: OWNER,
    },
    LIMITS
  )
  const upstream = scriptedCatalog(catalogOptions)
  const running = new Map<string, Set<string>>()
  const runner = (owner: string): ChunkRunner => ({
    runningHere:
      running.get(owner) ?? running.set(owner, new Set()).get(owner)!,
    files,
    sendEvent,
    catalog: upstream.catalog,
    credentials: CallerCredentials.token('app-token'),
    settings: { ...DEFAULT_SETTINGS, concurrency: 2, requestTimeoutMs: 1000 },
    clock,
    owner,
    leaseMs: 6000,
    ttlSec: 3600,
    // An outage fails an item after 20 s of retries (virtual time) here, not 5 minutes.
    itemRetryWindowMs: 20_000,
  })

  if (created.outcome !== 'created') throw new Error('not created')

  return {
    files,
    clock,
    events,
    sendEvent,
    job: created.job,
    runner,
    ...upstream,
  }
}

/** Delivers events as a bus would (each `copies` times at once) until none is left. */
async function drain(
  s: Awaited<ReturnType<typeof setup>>,
  copies = 1,
  owners = ['replica-a', 'replica-b', 'replica-c']
) {
  const outcomes: string[] = []
  let turn = 0

  while (s.events.length > 0) {
    const event = s.events.shift() as ChunkEvent
    const runs = Array.from({ length: copies }, () =>
      runChunk(s.runner(owners[turn++ % owners.length]), event)
    )

    outcomes.push(...(await s.clock.run(Promise.all(runs))))
  }

  return outcomes
}

describe('createJob', () => {
  it('stores every chunk with bounded parallelism, then the definition and index, then sends chunk 0', async () => {
    const s = await setup(35)

    expect(s.job).toMatchObject({
      total: 35,
      chunks: 4,
      chunkSize: 10,
      startedBy: OWNER,
    })
    expect(s.files.peakInFlight).toBeLessThanOrEqual(3)
    expect(s.files.peakInFlight).toBeGreaterThan(1)
    expect(
      (await s.files.read<unknown[]>(jobPaths.items(s.job.id, 3)))?.data
    ).toHaveLength(5)
    expect(
      (await s.files.read<ChunkState>(jobPaths.state(s.job.id, 2)))?.data
    ).toEqual({ chunk: 2, phase: 'pending', attempt: 0 })
    expect(await s.files.list('index/')).toHaveLength(1)
    expect(s.events).toEqual([{ jobId: s.job.id, chunk: 0 }])
    // No secret is stored anywhere.
    expect(
      [...s.files.files.values()].some((f) => f.text.includes('app-token'))
    ).toBe(false)
  })

  it('answers the same job for the same Idempotency-Key and body, and a conflict for another body', async () => {
    const files = new MemoryFiles()
    const clock = new FakeClock(IDLE_TURNS)
    const sent: ChunkEvent[] = []
    const send = async (_k: string, e: ChunkEvent) => void sent.push(e)
    const base = {
      kind: 'product' as const,
      account: 'store',
      dryRun: false,
      startedBy: OWNER,
      idempotencyKey: 'k-1',
    }
    const first = await createJob(
      files,
      send,
      clock,
      { ...base, id: 'aaaaaaaa-0000-0000-0000-000000000001', items: items(3) },
      LIMITS
    )
    const again = await createJob(
      files,
      send,
      clock,
      { ...base, id: 'aaaaaaaa-0000-0000-0000-000000000002', items: items(3) },
      LIMITS
    )
    const other = await createJob(
      files,
      send,
      clock,
      { ...base, id: 'aaaaaaaa-0000-0000-0000-000000000003', items: items(4) },
      LIMITS
    )

    expect(first.outcome).toBe('created')
    expect(again).toEqual({
      outcome: 'replayed',
      jobId: 'aaaaaaaa-0000-0000-0000-000000000001',
    })
    expect(other).toEqual({
      outcome: 'conflict',
      jobId: 'aaaaaaaa-0000-0000-0000-000000000001',
    })
    // The replay stored nothing new for a second job.
    expect(
      await files.read(jobPaths.job('aaaaaaaa-0000-0000-0000-000000000002'))
    ).toBeNull()
  })
})

describe('the first event', () => {
  const job = (id: string) => ({
    id,
    kind: 'product' as const,
    account: 'store',
    dryRun: false,
    items: items(3),
    startedBy: OWNER,
  })

  it('is sent again, with backoff, when the bus refuses it', async () => {
    const files = new MemoryFiles()
    const clock = new FakeClock(IDLE_TURNS)
    const attempts: number[] = []
    const sendEvent = async () => {
      attempts.push(clock.now())
      if (attempts.length < 3) throw new Error('courier answered 503')
    }
    const created = await clock.run(
      createJob(
        files,
        sendEvent,
        clock,
        job('cccccccc-2222-3333-4444-555555555555'),
        LIMITS
      )
    )

    expect(created.outcome).toBe('created')
    expect(attempts).toEqual([0, 250, 750])
  })

  it('stores the job after four refusals, and the first read of it past the grace sends the event again', async () => {
    const files = new MemoryFiles()
    const clock = new FakeClock(IDLE_TURNS)
    let attempts = 0
    let courierUp = false
    const sent: ChunkEvent[] = []
    const sendEvent = async (_key: string, body: ChunkEvent) => {
      attempts += 1
      if (!courierUp) throw new Error('courier unreachable')
      sent.push(body)
    }
    const created = await clock.run(
      createJob(
        files,
        sendEvent,
        clock,
        job('cccccccc-2222-3333-4444-666666666666'),
        LIMITS
      )
    )

    expect(created).toMatchObject({ outcome: 'created', eventPending: true })
    expect(attempts).toBe(4)
    expect(clock.now()).toBe(250 + 500 + 1000)
    if (created.outcome !== 'created') throw new Error('not created')
    courierUp = true
    const heal = healerOf(files, sendEvent, {
      clockSkewMs: 0,
      eventGraceMs: 5000,
      ttlSec: 3600,
      owner: 'reader',
    })

    // Within the grace the event may still be on its way: nothing is sent.
    expect(
      (await summarise(files, created.job, 4000, undefined, heal)).stalled
    ).toBeUndefined()
    const later = await summarise(files, created.job, 5001, undefined, heal)

    expect(later).toMatchObject({
      status: 'queued',
      stalled: { chunk: 0, reason: 'NO_EVENT', resent: true },
    })
    expect(sent).toEqual([{ jobId: created.job.id, chunk: 0 }])
  })
})

describe('createJob with an Idempotency-Key under concurrency', () => {
  const input = (id: string, key = 'k1', n = 5) => ({
    id,
    kind: 'product' as const,
    account: 'store',
    dryRun: false,
    items: items(n),
    startedBy: OWNER,
    idempotencyKey: key,
  })
  const idOf = (n: number) =>
    `${String(n).repeat(8)}-2222-3333-4444-555555555555`

  it('creates one job when a second creation writes its key claim between the write and the read-back of the first', async () => {
    const files = new MemoryFiles()
    const clock = new FakeClock(IDLE_TURNS)
    const events: ChunkEvent[] = []
    const sendEvent = async (_k: string, b: ChunkEvent) => void events.push(b)
    let releaseB!: () => void
    const bMayWrite = new Promise<void>((resolve) => (releaseB = resolve))
    let aKeyReads = 0
    // A's second read of the key file lets B's key writes go: the interleaving that let both win.
    const filesA: JobFiles = {
      read: async (p) => {
        const read = await files.read(p)

        if (p.startsWith('idempotency/') && ++aKeyReads === 2) releaseB()

        return read as never
      },
      write: (p, d, o) => files.write(p, d, o),
      list: (p) => files.list(p),
      remove: (p, o) => files.remove(p, o),
    }
    const filesB: JobFiles = {
      read: (p) => files.read(p),
      write: async (p, d, o) => {
        if (p.startsWith('idempotency/')) await bMayWrite

        return files.write(p, d, o)
      },
      list: (p) => files.list(p),
      remove: (p, o) => files.remove(p, o),
    }
    const [a, b] = await Promise.all([
      createJob(filesA, sendEvent, clock, input(idOf(1)), LIMITS),
      createJob(filesB, sendEvent, clock, input(idOf(2)), LIMITS),
    ])

    expect(aKeyReads).toBeGreaterThanOrEqual(2)
    expect([a.outcome, b.outcome].filter((o) => o === 'created')).toHaveLength(
      1
    )
    expect(new Set(events.map((e) => e.jobId)).size).toBe(1)
    expect(
      (await files.list('jobs/')).filter((p) => p.endsWith('job.json'))
    ).toHaveLength(1)
  })

  it('creates one job out of five concurrent creations with one key; the others replay it or say it is in progress', async () => {
    const files = new MemoryFiles()
    const clock = new FakeClock(IDLE_TURNS)
    const events: ChunkEvent[] = []
    const sendEvent = async (_k: string, b: ChunkEvent) => void events.push(b)
    const answers = await Promise.all(
      [1, 2, 3, 4, 5].map((n) =>
        createJob(files, sendEvent, clock, input(idOf(n), 'k5', 25), LIMITS)
      )
    )
    const created = answers.filter((a) => a.outcome === 'created')

    expect(created).toHaveLength(1)
    const jobId = created[0].outcome === 'created' ? created[0].job.id : ''

    for (const answer of answers)
      if (answer.outcome !== 'created') {
        expect(['replayed', 'inProgress']).toContain(answer.outcome)
        expect(answer.jobId).toBe(jobId)
      }

    expect(new Set(events.map((e) => e.jobId))).toEqual(new Set([jobId]))
  })

  it('creates one job out of twenty concurrent creations of a new key with different bodies; nothing on the key path is written unconditionally', async () => {
    const files = new MemoryFiles()
    const clock = new FakeClock(IDLE_TURNS)
    const events: ChunkEvent[] = []
    const sendEvent = async (_k: string, b: ChunkEvent) => void events.push(b)
    let shardReads = 0
    // Every creation reads the shard missing before any creates it: the race of a shard's first use.
    let releaseAll!: () => void
    const allRead = new Promise<void>((resolve) => (releaseAll = resolve))
    const racing: JobFiles = {
      read: async (p) => {
        const read = await files.read(p)

        if (p.startsWith('idempotency/') && !read) {
          if (++shardReads === 20) releaseAll()
          await allRead
        }

        return read as never
      },
      write: (p, d, o) => files.write(p, d, o),
      list: (p) => files.list(p),
      remove: (p, o) => files.remove(p, o),
    }
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        createJob(
          racing,
          sendEvent,
          clock,
          {
            ...input(idOf(n % 10), 'k20', 3),
            id: `${idOf(n % 10).slice(0, 30)}${String(n).padStart(6, '0')}`,
            items: items(3, 100 * n),
          },
          LIMITS
        )
      )
    )

    expect(shardReads).toBe(20)
    const created = answers.filter((a) => a.outcome === 'created')

    expect(created).toHaveLength(1)
    const jobId = created[0].outcome === 'created' ? created[0].job.id : ''

    expect(
      answers.filter((a) => a.outcome === 'conflict' && a.jobId === jobId)
    ).toHaveLength(19)
    expect(
      (await files.list('jobs/')).filter((p) => p.endsWith('job.json'))
    ).toEqual([jobPaths.job(jobId)])
    expect(events).toEqual([{ jobId, chunk: 0 }])
    expect(
      files.plainWrites.filter((p) => p.startsWith('idempotency/'))
    ).toEqual([])
  })

  it('re-creates the job on a replay when its creator died after claiming the key, before storing the job', async () => {
    const files = new MemoryFiles()
    const clock = new FakeClock(IDLE_TURNS)
    const events: ChunkEvent[] = []
    const sendEvent = async (_k: string, b: ChunkEvent) => void events.push(b)
    const dying: JobFiles = {
      read: (p) => files.read(p),
      write: async (p, d, o) => {
        if (p.endsWith('job.json')) throw new Error('SIGKILL')

        return files.write(p, d, o)
      },
      list: (p) => files.list(p),
      remove: (p, o) => files.remove(p, o),
    }

    await expect(
      createJob(dying, sendEvent, clock, input(idOf(1)), LIMITS)
    ).rejects.toThrow('SIGKILL')

    // Within the grace period the creation may still be alive: the replay says so.
    expect(
      await createJob(files, sendEvent, clock, input(idOf(2)), LIMITS)
    ).toEqual({ outcome: 'inProgress', jobId: idOf(1) })

    await clock.run(clock.sleep(DEFAULT_CREATION_GRACE_MS + 1))
    const replay = await createJob(
      files,
      sendEvent,
      clock,
      input(idOf(3)),
      LIMITS
    )

    expect(replay.outcome).toBe('created')
    expect(await files.read(jobPaths.job(idOf(3)))).not.toBeNull()
    expect(events).toEqual([{ jobId: idOf(3), chunk: 0 }])
    // And a later replay names the re-created job.
    expect(
      await createJob(files, sendEvent, clock, input(idOf(4)), LIMITS)
    ).toEqual({ outcome: 'replayed', jobId: idOf(3) })
  })
})

describe('runChunk', () => {
  it('runs the chain to the end: every item written once, a done summary with counts by outcome', async () => {
    const s = await setup(35, { missing: [7] })
    const outcomes = await drain(s)

    expect(outcomes).toEqual(['ran', 'ran', 'ran', 'ran'])
    expect([...s.puts.values()].every((n) => n === 1)).toBe(true)
    expect(s.puts.size).toBe(34)
    const summary = await summarise(s.files, s.job)

    expect(summary).toMatchObject({
      status: 'done',
      progress: { total: 35, done: 35, chunks: 4, chunksDone: 4 },
      counts: { UPDATED: 34, NOT_FOUND: 1 },
      succeeded: 34,
      failed: 1,
      startedBy: OWNER,
    })
  })

  it('writes each item once when every event is delivered five times at once to different replicas', async () => {
    const s = await setup(35)
    const outcomes = await drain(s, 5, ['r1', 'r2', 'r3', 'r4', 'r5'])

    expect([...s.puts.values()].every((n) => n === 1)).toBe(true)
    expect(s.puts.size).toBe(35)
    expect(outcomes.filter((o) => o === 'ran')).toHaveLength(4)
    expect(
      outcomes
        .filter((o) => o !== 'ran')
        .every((o) => o === 'held' || o === 'skipped')
    ).toBe(true)
    expect((await summarise(s.files, s.job)).status).toBe('done')
  })

  it('skips a done chunk on redelivery and sends its next event again', async () => {
    const s = await setup(15)

    await drain(s)
    const puts = s.catalog.write.mock.calls.length

    expect(
      await s.clock.run(
        runChunk(s.runner('late'), { jobId: s.job.id, chunk: 0 })
      )
    ).toBe('skipped')
    expect(s.events).toEqual([{ jobId: s.job.id, chunk: 1 }])
    expect(s.catalog.write.mock.calls.length).toBe(puts)
  })

  it('takes over an expired lease of a dead replica, after waiting for it to run out', async () => {
    const s = await setup(10)
    const path = jobPaths.state(s.job.id, 0)
    const state = await s.files.read<ChunkState>(path)

    // A replica claimed chunk 0 and died: its lease runs until t = 5000.
    await s.files.write(
      path,
      {
        chunk: 0,
        phase: 'running',
        attempt: 1,
        owner: 'dead',
        leaseUntil: 5000,
      },
      { ifMatch: state?.etag }
    )
    const outcome = await s.clock.run(
      runChunk(s.runner('alive'), { jobId: s.job.id, chunk: 0 })
    )

    expect(outcome).toBe('ran')
    expect(s.clock.now()).toBeGreaterThanOrEqual(5000)
    expect((await s.files.read<ChunkState>(path))?.data).toMatchObject({
      phase: 'done',
      attempt: 2,
      owner: expect.stringMatching(/^alive:/),
    })
    expect(s.puts.size).toBe(10)
  })

  it('takes a lease over only a clock-skew margin after it ran out', async () => {
    const s = await setup(10)
    const path = jobPaths.state(s.job.id, 0)
    const state = await s.files.read<ChunkState>(path)

    await s.files.write(
      path,
      {
        chunk: 0,
        phase: 'running',
        attempt: 1,
        owner: 'dead',
        leaseUntil: 5000,
      },
      { ifMatch: state?.etag }
    )
    const outcome = await s.clock.run(
      runChunk(
        { ...s.runner('alive'), clockSkewMs: 3000 },
        { jobId: s.job.id, chunk: 0 }
      )
    )
    const done = (await s.files.read<ChunkState>(path))?.data

    expect(outcome).toBe('ran')
    expect(Date.parse(done?.startedAt ?? '')).toBeGreaterThanOrEqual(8000)
    expect(done).toMatchObject({
      attempt: 2,
      owner: expect.stringMatching(/^alive:/),
    })
  })

  it('stops calling the Catalog and keeps no result when another replica takes the lease over', async () => {
    const s = await setup(10)
    const path = jobPaths.state(s.job.id, 0)
    let stolen = false

    s.events.length = 0

    // The first heartbeat finds the chunk taken over (as if this replica had paused past its lease).
    s.files.beforeWrite = (written) => {
      const current = s.files.files.get(path)

      if (
        written === path &&
        !stolen &&
        current &&
        JSON.parse(current.text).phase === 'running'
      ) {
        stolen = true
        s.files.files.set(path, {
          text: JSON.stringify({
            chunk: 0,
            phase: 'running',
            attempt: 9,
            owner: 'thief',
            leaseUntil: 1e12,
          }),
          etag: 'thief',
        })
      }
    }

    s.catalog.read.mockImplementation(async (_kind, id) => {
      await s.clock.sleep(1500)

      return productOf(id, 0)
    })
    // The claim write itself must land: steal only from the heartbeat on.
    const claimWrite = s.files.write.bind(s.files)
    let writesOfState = 0

    s.files.write = async (p, d, o) => {
      if (p === path) writesOfState += 1
      if (p === path && writesOfState === 1) {
        const saved = s.files.beforeWrite

        s.files.beforeWrite = undefined
        try {
          return await claimWrite(p, d, o)
        } finally {
          s.files.beforeWrite = saved
        }
      }

      return claimWrite(p, d, o)
    }

    // The handler throws, so the bus delivers the event again.
    await expect(
      s.clock.run(runChunk(s.runner('paused'), { jobId: s.job.id, chunk: 0 }))
    ).rejects.toThrow(LeaseLost)

    expect(stolen).toBe(true)
    expect(s.catalog.read.mock.calls.length).toBeLessThan(10)
    expect(await s.files.list(`jobs/${s.job.id}/chunks/0/results`)).toEqual([])
    expect((await s.files.read<ChunkState>(path))?.data.owner).toBe('thief')
    expect(s.events).toEqual([])
  })

  it('finishes the job when a done state landed but its write answered 412 (a retried PUT)', async () => {
    const s = await setup(35)
    const write = s.files.write.bind(s.files)
    let answered412 = 0

    s.files.write = async <T>(p: string, d: T, o?: WriteOptions) => {
      const etag = await write(p, d, o)

      if (
        answered412 === 0 &&
        p === jobPaths.state(s.job.id, 0) &&
        (d as unknown as ChunkState).phase === 'done'
      ) {
        answered412 += 1
        throw new JobFileConflict(p)
      }

      return etag
    }

    const outcomes = await drain(s)
    const summary = await summarise(s.files, s.job)

    expect(answered412).toBe(1)
    expect(outcomes).toEqual(['ran', 'ran', 'ran', 'ran'])
    expect(summary.status).toBe('done')
    expect(s.puts.size).toBe(35)
    expect([...s.puts.values()].every((n) => n === 1)).toBe(true)
  })

  it('keeps its lease when a heartbeat landed but its write answered 412', async () => {
    const s = await setup(10)
    const path = jobPaths.state(s.job.id, 0)
    const write = s.files.write.bind(s.files)
    let answered412 = 0

    s.catalog.read.mockImplementation(async (_kind, id) => {
      await s.clock.sleep(1500)

      return productOf(id, 0)
    })
    s.files.write = async <T>(p: string, d: T, o?: WriteOptions) => {
      const etag = await write(p, d, o)
      const state = d as unknown as ChunkState

      // The first heartbeat (a running state after the claim) lands, but its answer is a 412.
      if (
        answered412 === 0 &&
        p === path &&
        state.phase === 'running' &&
        state.heartbeatAt !== state.startedAt
      ) {
        answered412 += 1
        throw new JobFileConflict(p)
      }

      return etag
    }

    const outcomes = await drain(s)

    expect(answered412).toBe(1)
    expect(outcomes).toEqual(['ran'])
    expect((await summarise(s.files, s.job)).status).toBe('done')
    expect([...s.puts.values()]).toEqual(Array(10).fill(1))
  })

  it('runs no chunk after a cancel; the summary says what was written', async () => {
    const s = await setup(35)
    const first = s.events.shift() as ChunkEvent

    expect(await s.clock.run(runChunk(s.runner('a'), first))).toBe('ran')
    await cancelJob(s.files, s.clock, s.job, OWNER, 3600)
    expect(await drain(s)).toEqual(['cancelled'])
    expect(s.puts.size).toBe(10)
    expect(await summarise(s.files, s.job)).toMatchObject({
      status: 'cancelled',
      progress: { done: 10, notRun: 25 },
      counts: { UPDATED: 10 },
    })
  })

  it('ends a cancelled job cancelled when the replica holding a chunk died: the redelivery gives the chunk back', async () => {
    const s = await setup(35)
    const path = jobPaths.state(s.job.id, 0)

    s.events.length = 0
    // A replica claimed chunk 0, then was killed: its lease runs to 6000.
    const pending = await s.files.read<ChunkState>(path)

    await s.files.write(
      path,
      {
        chunk: 0,
        phase: 'running',
        attempt: 1,
        owner: 'dead',
        leaseUntil: 6000,
        startedAt: new Date(0).toISOString(),
      },
      { ifMatch: pending?.etag }
    )
    await cancelJob(s.files, s.clock, s.job, OWNER, 3600)
    expect((await summarise(s.files, s.job, 0)).status).toBe('cancelling')

    const outcome = await s.clock.run(
      runChunk(s.runner('replica-b'), { jobId: s.job.id, chunk: 0 })
    )
    const summary = await summarise(s.files, s.job, s.clock.now())

    expect(outcome).toBe('cancelled')
    expect((await s.files.read<ChunkState>(path))?.data).toMatchObject({
      phase: 'pending',
      attempt: 1,
    })
    expect(summary.status).toBe('cancelled')
    expect(summary.progress.notRun).toBe(35)
    expect(s.puts.size).toBe(0)
  })

  it('reads a cancelled job as cancelled once the lease of a dead replica ran out, before any redelivery', async () => {
    const s = await setup(10)
    const path = jobPaths.state(s.job.id, 0)
    const pending = await s.files.read<ChunkState>(path)

    await s.files.write(
      path,
      {
        chunk: 0,
        phase: 'running',
        attempt: 1,
        owner: 'dead',
        leaseUntil: 6000,
      },
      { ifMatch: pending?.etag }
    )
    await cancelJob(s.files, s.clock, s.job, OWNER, 3600)

    expect((await summarise(s.files, s.job, 5999)).status).toBe('cancelling')
    expect((await summarise(s.files, s.job, 6001)).status).toBe('cancelled')
  })

  it('gives a chunk back unrun when the cancel lands between its check and its claim', async () => {
    const s = await setup(10)
    const state = jobPaths.state(s.job.id, 0)

    s.files.beforeWrite = (path) => {
      const file = s.files.files.get(state)

      if (path === state && file && JSON.parse(file.text).phase === 'pending')
        s.files.files.set(jobPaths.cancel(s.job.id), {
          text: JSON.stringify({ at: 'now', by: OWNER }),
          etag: 'c',
        })
    }

    expect(
      await s.clock.run(runChunk(s.runner('a'), { jobId: s.job.id, chunk: 0 }))
    ).toBe('cancelled')
    expect(s.catalog.read).not.toHaveBeenCalled()
    expect((await s.files.read<ChunkState>(state))?.data).toEqual({
      chunk: 0,
      phase: 'pending',
      attempt: 1,
    })
    expect((await summarise(s.files, s.job)).status).toBe('cancelled')
  })

  it('ends the job failed when the Catalog refuses the app credentials', async () => {
    const s = await setup(25, { refuseFrom: 15 })

    await drain(s)
    const summary = await summarise(s.files, s.job)

    expect(summary.status).toBe('failed')
    expect(summary.error).toMatchObject({ status: 403, code: 'FORBIDDEN' })
    expect(summary.progress.chunksDone).toBe(2)
  })

  it('refuses to resume a failed job (409 JOB_FAILED) and sends no event', async () => {
    const s = await setup(25, { refuseFrom: 15 })

    await drain(s)
    const summary = await summarise(s.files, s.job)
    const puts = s.catalog.write.mock.calls.length

    await expect(
      resumeJob(s.files, s.sendEvent, s.job, summary)
    ).rejects.toMatchObject({ status: 409, code: 'JOB_FAILED' })
    expect(s.events).toEqual([])
    await drain(s)
    expect(s.catalog.write.mock.calls.length).toBe(puts)
    expect((await summarise(s.files, s.job)).status).toBe('failed')
  })
})

async function collect(parts: AsyncIterable<string>) {
  let text = ''

  for await (const part of parts) text += part

  return text
}

/** The pieces of the comma sheet the report route streams for a finished job: every row, or the failed rows only. */
const reportPieces = (
  files: JobFiles,
  job: JobDefinition,
  only?: 'failed',
  now?: number
) =>
  resultSheet((chunk) => chunkRows(files, job, chunk, true, now), job.chunks, {
    delimiter: ',',
    ...(only ? { only } : {}),
  })

describe('slices', () => {
  /** A Catalog whose reads take a second (virtual time): a chunk of 10 items at concurrency 2 takes about 5 s. */
  async function slowSetup(n: number) {
    const s = await setup(n)

    s.catalog.read.mockImplementation(async (_kind, id) => {
      await s.clock.sleep(1000)

      return productOf(id, s.scores.get(id) ?? 0)
    })

    return s
  }

  /** Runs events one at a time with a 2 s slice, until none is left. */
  async function drainSliced(s: Awaited<ReturnType<typeof setup>>) {
    const outcomes: string[] = []

    while (s.events.length > 0) {
      const event = s.events.shift() as ChunkEvent

      outcomes.push(
        await s.clock.run(runChunk({ ...s.runner('a'), sliceMs: 2000 }, event))
      )
    }

    return outcomes
  }

  it('runs a chunk over several events, each bounded, checkpointed, and sending the next itself; each item written once', async () => {
    const s = await slowSetup(25)
    const first = s.events.shift() as ChunkEvent
    const startedAt = s.clock.now()

    expect(
      await s.clock.run(runChunk({ ...s.runner('a'), sliceMs: 2000 }, first))
    ).toBe('sliced')
    // The slice ended within its bound (plus a call in flight), and sent the chunk's own event again.
    expect(s.clock.now() - startedAt).toBeLessThan(2000 + 1000 + 100)
    expect(s.events).toEqual([{ jobId: s.job.id, chunk: 0 }])
    const state = (await s.files.read<ChunkState>(jobPaths.state(s.job.id, 0)))
      ?.data

    expect(state).toMatchObject({
      phase: 'pending',
      checkpoint: { attempt: 1, done: expect.any(Number) },
    })
    const doneSoFar = state?.checkpoint?.done ?? 0

    expect(doneSoFar).toBeGreaterThan(0)
    expect(doneSoFar).toBeLessThan(10)
    // The summary and the results count what the slice finished; the rest is pending.
    const summary = await summarise(s.files, s.job, s.clock.now())

    expect(summary).toMatchObject({
      status: 'running',
      progress: { done: doneSoFar },
      counts: { UPDATED: doneSoFar },
    })
    const page = await resultsPage(s.files, s.job, 0, 10, false)

    expect(page.elements.filter((r) => r.success === 'true')).toHaveLength(
      doneSoFar
    )
    expect(page.elements.filter((r) => r.success === 'pending')).toHaveLength(
      10 - doneSoFar
    )

    const outcomes = await drainSliced(s)

    expect(outcomes.filter((o) => o === 'ran')).toHaveLength(3)
    expect(outcomes.filter((o) => o === 'sliced').length).toBeGreaterThan(2)
    expect([...s.puts.values()]).toEqual(Array(25).fill(1))
    expect(await summarise(s.files, s.job, s.clock.now())).toMatchObject({
      status: 'done',
      counts: { UPDATED: 25 },
      progress: { done: 25, chunksDone: 3 },
    })
    const report = await collect(reportPieces(s.files, s.job))

    expect(
      report.split('\r\n').filter((l) => l.includes(',true,'))
    ).toHaveLength(25)
  })

  it('agrees everywhere when a job is cancelled between two slices of a chunk', async () => {
    const s = await slowSetup(25)
    const first = s.events.shift() as ChunkEvent

    expect(
      await s.clock.run(runChunk({ ...s.runner('a'), sliceMs: 2000 }, first))
    ).toBe('sliced')
    await cancelJob(s.files, s.clock, s.job, OWNER, 3600)
    expect(await drainSliced(s)).toEqual(['cancelled'])
    const summary = await summarise(s.files, s.job, s.clock.now())
    const written = s.puts.size

    expect(summary).toMatchObject({
      status: 'cancelled',
      progress: { done: written, notRun: 25 - written },
      counts: { UPDATED: written, NOT_ATTEMPTED: 25 - written },
      succeeded: written,
      failed: 25 - written,
    })
    const failedRows = await collect(reportPieces(s.files, s.job, 'failed'))

    expect(failedRows.split('\r\n').slice(1, -1)).toHaveLength(25 - written)
  })
})

describe('the journal of writes', () => {
  it("has each item's {id, previousScore} durable before its PUT leaves, in a few batched writes", async () => {
    const s = await setup(10)
    const journalPath = jobPaths.journal(s.job.id, 0, 1)
    const missing: number[] = []
    let journalWrites = 0
    const write = s.files.write.bind(s.files)

    s.files.write = async (p, d, o) => {
      if (p === journalPath) journalWrites += 1

      return write(p, d, o)
    }

    s.scores.set(3, 42)
    const put = s.catalog.write.getMockImplementation()!

    s.catalog.write.mockImplementation(async (kind, id, body) => {
      const entries = JSON.parse(s.files.files.get(journalPath)?.text ?? '[]')

      if (!entries.some((e: { id: number }) => e.id === id)) missing.push(id)

      return put(kind, id, body)
    })
    const runner = s.runner('a')

    // Ten PUTs in flight at once share the journal's writes.
    await s.clock.run(
      runChunk(
        { ...runner, settings: { ...runner.settings, concurrency: 10 } },
        s.events.shift() as ChunkEvent
      )
    )
    const journal = JSON.parse(s.files.files.get(journalPath)?.text ?? '[]')

    expect(missing).toEqual([])
    expect(journal).toHaveLength(10)
    expect(journal).toContainEqual({ id: 3, previousScore: 42 })
    expect(journalWrites).toBeLessThanOrEqual(3)
  })

  it('reports UPDATED, and undoes, items a killed replica wrote that the replica taking the chunk over found at the new Score', async () => {
    const s = await setup(10)
    const path = jobPaths.state(s.job.id, 0)
    const state = await s.files.read<ChunkState>(path)

    s.events.length = 0
    for (let id = 1; id <= 10; id++) s.scores.set(id, 7)
    // A replica claimed chunk 0, journalled items 1-4, wrote them, and was killed.
    await s.files.write(
      path,
      {
        chunk: 0,
        phase: 'running',
        attempt: 1,
        owner: 'dead',
        leaseUntil: 5000,
      },
      { ifMatch: state?.etag }
    )
    await s.files.write(
      jobPaths.journal(s.job.id, 0, 1),
      [1, 2, 3, 4].map((id) => ({ id, previousScore: 7 }))
    )
    for (let id = 1; id <= 4; id++) s.scores.set(id, 100 + id - 1)

    expect(
      await s.clock.run(
        runChunk(s.runner('alive'), { jobId: s.job.id, chunk: 0 })
      )
    ).toBe('ran')
    // Only the items the dead replica had not written were written again.
    expect([...s.puts.keys()].sort((a, b) => a - b)).toEqual([
      5, 6, 7, 8, 9, 10,
    ])
    expect(await summarise(s.files, s.job)).toMatchObject({
      status: 'done',
      counts: { UPDATED: 10 },
    })
    const { items: undo } = await undoItemsOf(s.files, s.job)

    expect(undo).toHaveLength(10)
    expect(undo.every((item) => item.score === 7)).toBe(true)
  })

  it('undoes items a killed replica wrote in a chunk nobody ran again (the job was cancelled)', async () => {
    const s = await setup(10)
    const path = jobPaths.state(s.job.id, 0)
    const state = await s.files.read<ChunkState>(path)

    for (let id = 1; id <= 10; id++) s.scores.set(id, 7)
    await s.files.write(
      path,
      { chunk: 0, phase: 'running', attempt: 1, owner: 'dead', leaseUntil: 5 },
      { ifMatch: state?.etag }
    )
    // Items 1-3 journalled and written, item 4 journalled only (its PUT never left), then the replica died.
    await s.files.write(
      jobPaths.journal(s.job.id, 0, 1),
      [1, 2, 3, 4].map((id) => ({ id, previousScore: 7 }))
    )
    for (let id = 1; id <= 3; id++) s.scores.set(id, 100 + id - 1)
    await cancelJob(s.files, s.clock, s.job, OWNER, 3600)
    expect((await summarise(s.files, s.job, 10)).status).toBe('cancelled')

    const { items: undo } = await undoItemsOf(s.files, s.job)

    expect(undo.map((item) => [item.id, item.score, item.expect])).toEqual([
      [1, 7, 100],
      [2, 7, 101],
      [3, 7, 102],
      [4, 7, 103],
    ])
  })
})

describe('self-healing reads', () => {
  const timing = { clockSkewMs: 1000, eventGraceMs: 5000 }
  const healer = (s: Awaited<ReturnType<typeof setup>>, owner = 'reader') =>
    healerOf(s.files, s.sendEvent, { ...timing, ttlSec: 3600, owner })

  /** A replica claimed chunk `chunk` with a lease to `leaseUntil`, then died. */
  async function deadClaim(
    s: Awaited<ReturnType<typeof setup>>,
    chunk: number,
    leaseUntil: number
  ) {
    const path = jobPaths.state(s.job.id, chunk)
    const state = await s.files.read<ChunkState>(path)

    await s.files.write(
      path,
      {
        chunk,
        phase: 'running',
        attempt: 1,
        owner: 'dead',
        leaseUntil,
        startedAt: new Date(0).toISOString(),
        heartbeatAt: new Date(0).toISOString(),
      },
      { ifMatch: state?.etag }
    )
  }

  it('sends the event of a chunk whose holder died once, for twenty concurrent readers, only after the lease and the skew margin', async () => {
    const s = await setup(35)

    s.events.length = 0
    await deadClaim(s, 0, 6000)
    const read = (now: number, owner: string) =>
      summarise(s.files, s.job, now, undefined, healer(s, owner))

    // The lease and the skew margin have not run out: a running job, nothing sent.
    const live = await read(6999, 'r')

    expect(live.status).toBe('running')
    expect(live.stalled).toBeUndefined()
    expect(s.events).toEqual([])
    const reads = await Promise.all(
      Array.from({ length: 20 }, (_, n) => read(7000, `r${n}`))
    )

    expect(s.events).toEqual([{ jobId: s.job.id, chunk: 0 }])
    expect(
      reads.every(
        (r) =>
          r.status === 'running' &&
          r.stalled?.reason === 'LEASE_EXPIRED' &&
          r.stalled.chunk === 0 &&
          r.stalled.resent
      )
    ).toBe(true)
    // Within the grace, a read does not send it again; after it, the stall still there is sent again.
    await read(11_999, 'r')
    expect(s.events).toHaveLength(1)
    await read(12_000, 'r')
    expect(s.events).toHaveLength(2)

    // The event sent by the read finishes the job, each item once (the handler waits out the lease on its clock).
    s.events.length = 1
    await drain(s)
    const done = await summarise(
      s.files,
      s.job,
      s.clock.now(),
      undefined,
      healer(s)
    )

    expect(done.status).toBe('done')
    expect(done.stalled).toBeUndefined()
    expect([...s.puts.values()]).toEqual(Array(35).fill(1))
  })

  it("sends the next chunk's event when it was lost after a chunk ended", async () => {
    const s = await setup(35)
    const first = s.events.shift() as ChunkEvent

    await s.clock.run(runChunk(s.runner('a'), first))
    // The event of chunk 1 was lost.
    expect(s.events).toEqual([{ jobId: s.job.id, chunk: 1 }])
    s.events.length = 0
    const endedAt = Date.parse(
      (await s.files.read<ChunkState>(jobPaths.state(s.job.id, 0)))?.data
        .finishedAt ?? ''
    )

    expect(
      (await summarise(s.files, s.job, endedAt + 4999, undefined, healer(s)))
        .stalled
    ).toBeUndefined()
    const stalled = await summarise(
      s.files,
      s.job,
      endedAt + 5000,
      undefined,
      healer(s)
    )

    expect(stalled.stalled).toMatchObject({ chunk: 1, reason: 'NO_EVENT' })
    expect(s.events).toEqual([{ jobId: s.job.id, chunk: 1 }])
    await drain(s)
    expect((await summarise(s.files, s.job)).status).toBe('done')
  })

  it('ends a job whose last chunk is done but which was never ended', async () => {
    const s = await setup(15)

    await drain(s)
    await s.files.remove(jobPaths.final(s.job.id), {
      ifMatch: (await s.files.read(jobPaths.final(s.job.id)))!.etag,
    })
    const summary = await summarise(s.files, s.job, 1e9, undefined, healer(s))

    expect(summary.stalled).toMatchObject({ chunk: 1, reason: 'NO_EVENT' })
    await drain(s)
    expect((await summarise(s.files, s.job)).status).toBe('done')
  })

  it('says a job is stalled, not sent, when the bus refuses the event; the next read sends it', async () => {
    const s = await setup(15)
    let refuse = true
    const sent: ChunkEvent[] = []
    const heal = healerOf(
      s.files,
      async (_key, body) => {
        if (refuse) throw new Error('courier answered 503')
        sent.push(body)
      },
      { ...timing, ttlSec: 3600, owner: 'reader' }
    )

    await deadClaim(s, 0, 1000)
    const refused = await summarise(s.files, s.job, 3000, undefined, heal)

    expect(refused.status).toBe('running')
    expect(refused.stalled).toMatchObject({
      chunk: 0,
      reason: 'LEASE_EXPIRED',
      resent: false,
    })
    refuse = false
    const healed = await summarise(s.files, s.job, 3001, undefined, heal)

    expect(healed.stalled).toMatchObject({ resent: true })
    expect(sent).toEqual([{ jobId: s.job.id, chunk: 0 }])
  })

  it('never heals a cancelled, done or failed job', async () => {
    const s = await setup(15)

    await deadClaim(s, 0, 1000)
    await cancelJob(s.files, s.clock, s.job, OWNER, 3600)
    s.events.length = 0
    const summary = await summarise(s.files, s.job, 1e9, undefined, healer(s))

    expect(summary.status).toBe('cancelled')
    expect(summary.stalled).toBeUndefined()
    expect(s.events).toEqual([])
  })
})

describe('typed job failures', () => {
  it("fails a job on an outage with the Catalog's answer, and resumes it once the Catalog is back", async () => {
    let down = false
    const s = await setup(35, { down: () => down })
    const first = s.events.shift() as ChunkEvent

    await s.clock.run(runChunk(s.runner('replica-a'), first))
    // The Catalog goes down for longer than the item retry window.
    down = true
    const outcomes = await drain(s)
    const failed = await summarise(s.files, s.job, s.clock.now())
    const downReads = s.catalog.read.mock.calls.length

    // The outage outlasts a slice (20 s): the chunk checkpoints, and its next slice ends the window.
    expect(outcomes).toEqual(['sliced', 'ran'])
    expect(failed).toMatchObject({
      status: 'failed',
      error: {
        status: 503,
        code: 'CATALOG_UNAVAILABLE',
        resumable: true,
        message: expect.stringContaining(
          'Catalog answered 503 to GET product 11: Service Unavailable'
        ),
      },
      progress: { chunksDone: 1, done: 20 },
    })
    // Each item was retried through its window, then failed with the outage as its cause.
    expect(failed.counts.DEADLINE_EXCEEDED).toBe(10)
    const rows = await resultsPage(s.files, s.job, 10, 10, true)

    expect(
      rows.elements.every(
        (row) =>
          row.success === 'false' &&
          row.errorMessage.startsWith("The item's retry window of 20s ended")
      )
    ).toBe(true)
    expect(downReads - 10).toBeGreaterThan(2 * 10)
    expect(
      (await s.files.read<ChunkState>(jobPaths.state(s.job.id, 1)))?.data
    ).toMatchObject({
      phase: 'failed',
      failure: { code: 'CATALOG_UNAVAILABLE' },
    })
    // A redelivery of the failed chunk's event runs nothing while the job is failed.
    expect(
      await s.clock.run(
        runChunk(s.runner('replica-b'), { jobId: s.job.id, chunk: 1 })
      )
    ).toBe('failed')
    expect(s.catalog.read.mock.calls.length).toBe(downReads)

    // Back: a resume runs the failed chunk again, then the rest.
    down = false
    expect(await resumeJob(s.files, s.sendEvent, s.job, failed)).toBe(1)
    expect((await summarise(s.files, s.job, s.clock.now())).status).toBe(
      'running'
    )
    await drain(s)
    const done = await summarise(s.files, s.job, s.clock.now())

    expect(done).toMatchObject({
      status: 'done',
      counts: { UPDATED: 35 },
      progress: { done: 35, chunksDone: 4 },
    })
    expect(done.error).toBeUndefined()
    expect(s.puts.size).toBe(35)
    expect([...s.puts.values()].every((n) => n === 1)).toBe(true)
  })

  it('keeps a 401/403 a credential failure that no resume takes up', async () => {
    const s = await setup(25, { refuseFrom: 15 })

    await drain(s)
    const summary = await summarise(s.files, s.job)

    expect(summary.error).toEqual({
      status: 403,
      code: 'FORBIDDEN',
      message: expect.stringContaining("refused the app's credentials"),
      resumable: false,
    })
    expect(
      (await s.files.read<ChunkState>(jobPaths.state(s.job.id, 1)))?.data
    ).toMatchObject({ phase: 'done', failure: { status: 403 } })
  })

  it('reads a state stored before typed failures (stoppedBy) as a credential failure', async () => {
    const s = await setup(25)
    const path = jobPaths.state(s.job.id, 0)
    const pending = await s.files.read<ChunkState>(path)

    await s.files.write(
      path,
      { chunk: 0, phase: 'done', attempt: 1, counts: {}, stoppedBy: 401 },
      { ifMatch: pending?.etag }
    )
    s.events.length = 0
    await s.clock.run(runChunk(s.runner('a'), { jobId: s.job.id, chunk: 0 }))

    expect((await summarise(s.files, s.job)).error).toMatchObject({
      status: 401,
      code: 'UNAUTHORIZED',
      resumable: false,
    })
  })
})

describe('counts that agree everywhere', () => {
  /** The summary, every results page, both CSVs: each item once, by the same code everywhere. */
  async function agreement(s: Awaited<ReturnType<typeof setup>>) {
    const now = s.clock.now()
    const summary = await summarise(s.files, s.job, now)
    const finished = await noChunkWillStart(s.files, s.job)
    const codeOf = (row: {
      success: string
      code?: string
      unchanged?: boolean
      dryRun?: boolean
    }) =>
      row.success === 'false'
        ? (row.code as string)
        : row.success === 'true'
        ? row.dryRun
          ? 'DRY_RUN'
          : row.unchanged
          ? 'UNCHANGED'
          : 'UPDATED'
        : 'pending'
    const tally = (codes: string[]) =>
      codes.reduce<Record<string, number>>(
        (all, code) => ({ ...all, [code]: (all[code] ?? 0) + 1 }),
        {}
      )
    const pages: string[] = []

    for (let cursor: string | undefined = '0'; cursor !== undefined; ) {
      const page = await resultsPage(
        s.files,
        s.job,
        Number(cursor),
        7,
        finished,
        now
      )

      pages.push(...page.elements.map((row) => codeOf(row as never)))
      cursor = page.nextCursor
    }

    const csv = async (only?: 'failed') => {
      const pieces: string[] = []

      for await (const piece of reportPieces(s.files, s.job, only, now))
        pieces.push(piece)

      return pieces.join('').split('\r\n').slice(1, -1)
    }
    const report = await csv()
    const failedRows = await csv('failed')

    return {
      summary,
      pages: tally(pages),
      reportRows: report.length,
      reportFailed: report.filter((line) => line.split(',')[3] === 'false')
        .length,
      failedRows: tally(failedRows.map((line) => line.split(',')[4])),
    }
  }

  const expectAgreement = (a: Awaited<ReturnType<typeof agreement>>) => {
    const { counts, failed, succeeded, progress } = a.summary
    const failedCounts = Object.fromEntries(
      Object.entries(counts).filter(
        ([code]) => !['UPDATED', 'UNCHANGED', 'DRY_RUN'].includes(code)
      )
    )

    expect(a.pages).toEqual(counts)
    expect(a.failedRows).toEqual(failedCounts)
    expect(a.reportRows).toBe(progress.total)
    expect(a.reportFailed).toBe(failed)
    expect(succeeded + failed).toBe(progress.total)
    // Items a stopped chunk never sent are NOT_ATTEMPTED too, besides those of chunks never run.
    expect(counts.NOT_ATTEMPTED ?? 0).toBeGreaterThanOrEqual(progress.notRun)
  }

  it('agrees for a done job with a failed item', async () => {
    const s = await setup(35, { missing: [7] })

    await drain(s)
    const a = await agreement(s)

    expect(a.summary.status).toBe('done')
    expect(a.summary.counts).toEqual({ UPDATED: 34, NOT_FOUND: 1 })
    expectAgreement(a)
  })

  it('agrees for a cancelled job: unrun items are NOT_ATTEMPTED in counts, pages and both CSVs', async () => {
    const s = await setup(35)

    await s.clock.run(runChunk(s.runner('a'), s.events.shift() as ChunkEvent))
    s.events.length = 0
    // Chunk 1 was claimed by a replica that died: its lease ran out, so it never runs either.
    const path = jobPaths.state(s.job.id, 1)
    const pending = await s.files.read<ChunkState>(path)

    await s.files.write(
      path,
      { chunk: 1, phase: 'running', attempt: 1, owner: 'dead', leaseUntil: 1 },
      { ifMatch: pending?.etag }
    )
    await cancelJob(s.files, s.clock, s.job, OWNER, 3600)
    await s.clock.run(s.clock.sleep(10))
    const a = await agreement(s)

    expect(a.summary.status).toBe('cancelled')
    expect(a.summary.counts).toEqual({ UPDATED: 10, NOT_ATTEMPTED: 25 })
    expect(a.summary.failed).toBe(25)
    expect(a.summary.progress.notRun).toBe(25)
    expectAgreement(a)
  })

  it('agrees for a job failed by the app credentials and for one failed by an outage', async () => {
    const refused = await setup(25, { refuseFrom: 15 })

    await drain(refused)
    const r = await agreement(refused)

    expect(r.summary.status).toBe('failed')
    expect(r.summary.counts.NOT_ATTEMPTED).toBeGreaterThan(0)
    expectAgreement(r)

    const down = await setup(35, { down: () => true })

    await drain(down)
    const d = await agreement(down)

    expect(d.summary).toMatchObject({
      status: 'failed',
      counts: { DEADLINE_EXCEEDED: 10, NOT_ATTEMPTED: 25 },
    })
    expectAgreement(d)
  })
})

describe('summarise, polled', () => {
  /** Records the chunk state files a store is asked for. */
  const countStateReads = (files: MemoryFiles) => {
    const reads: number[] = []
    const read = files.read.bind(files)

    files.read = async <T>(path: string) => {
      const chunk = /chunks\/(\d+)\/state\.json$/.exec(path)?.[1]

      if (chunk !== undefined) reads.push(Number(chunk))

      return read<T>(path)
    }

    return () => reads.splice(0)
  }

  it('reads each done chunk once and stops at the first chunk never claimed', async () => {
    const s = await setup(55)
    const stateReads = countStateReads(s.files)
    const done = new DoneChunks()
    const poll = () => summarise(s.files, s.job, s.clock.now(), done)

    expect(await poll()).toMatchObject({
      status: 'queued',
      progress: { chunks: 6, chunksDone: 0 },
    })
    expect(stateReads()).toEqual([0, 1])

    await s.clock.run(runChunk(s.runner('replica-a'), s.events.shift()!))
    stateReads()
    expect(await poll()).toMatchObject({
      status: 'running',
      progress: { done: 10, chunksDone: 1 },
      counts: { UPDATED: 10 },
    })
    expect(stateReads()).toEqual([0, 1])
    expect((await poll()).progress.chunksDone).toBe(1)
    expect(stateReads()).toEqual([1, 2])

    // A claimed chunk may still change: it is read on every poll.
    const claimed = await s.files.read<ChunkState>(jobPaths.state(s.job.id, 1))

    await s.files.write(
      jobPaths.state(s.job.id, 1),
      { chunk: 1, phase: 'running', attempt: 1, owner: 'b', leaseUntil: 1e12 },
      { ifMatch: claimed?.etag }
    )
    stateReads()
    expect((await poll()).status).toBe('running')
    expect(stateReads()).toEqual([1, 2])
    expect((await poll()).status).toBe('running')
    expect(stateReads()).toEqual([1, 2])
  })

  it('gives the summary of every state read once the job is done, then reads no state', async () => {
    const s = await setup(55, { missing: [23] })

    await drain(s)
    const stateReads = countStateReads(s.files)
    const done = new DoneChunks()
    const polled = await summarise(s.files, s.job, s.clock.now(), done)

    expect(polled).toMatchObject({
      status: 'done',
      progress: { total: 55, done: 55, chunks: 6, chunksDone: 6 },
      counts: { UPDATED: 54, NOT_FOUND: 1 },
    })
    expect(stateReads().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5])
    expect(await summarise(s.files, s.job, s.clock.now(), done)).toEqual(polled)
    expect(stateReads()).toEqual([])
    expect(await summarise(s.files, s.job, s.clock.now())).toEqual(polled)
  })

  it('keeps done states only, of the jobs read last', () => {
    const done = new DoneChunks(1)

    done.keep('a', { chunk: 0, phase: 'running', attempt: 1 })
    expect(done.size).toBe(0)
    done.keep('a', { chunk: 0, phase: 'done', attempt: 1 })
    expect(done.get('a', 0)).toMatchObject({ phase: 'done' })
    done.keep('b', { chunk: 3, phase: 'done', attempt: 2 })
    expect(done.size).toBe(1)
    expect(done.get('a', 0)).toBeUndefined()
    expect(done.get('b', 3)).toMatchObject({ attempt: 2 })
  })
})

describe('results and report', () => {
  it('pages results by cursor across chunks and streams the CSV one chunk at a time', async () => {
    const s = await setup(25, { missing: [3] })

    await drain(s)
    const page = await resultsPage(s.files, s.job, 8, 5, true)

    expect(page.elements.map((e) => e.index)).toEqual([8, 9, 10, 11, 12])
    expect(page.nextCursor).toBe('13')
    const last = await resultsPage(s.files, s.job, 20, 100, true)

    expect(last.elements).toHaveLength(5)
    expect(last.nextCursor).toBeUndefined()

    const pieces: string[] = []

    for await (const piece of reportPieces(s.files, s.job)) pieces.push(piece)
    expect(pieces).toHaveLength(1 + 3)
    const lines = pieces.join('').split('\r\n')

    expect(lines[0]).toBe(
      '\uFEFFid,score,previousScore,success,code,error,errorMessage'
    )
    expect(lines).toHaveLength(1 + 25 + 1)
    expect(lines[3]).toBe(
      '3,102,,false,NOT_FOUND,404,Catalog answered 404 to GET product 3: Product not found'
    )

    const failed: string[] = []

    for await (const piece of reportPieces(s.files, s.job, 'failed'))
      failed.push(piece)
    expect(failed.join('')).toBe(
      '\uFEFFid,score,previousScore,success,code,error,errorMessage\r\n3,102,,false,NOT_FOUND,404,Catalog answered 404 to GET product 3: Product not found\r\n'
    )
  })

  it('reads a page from the chunks it covers only; a cancelled job shows unrun items NOT_ATTEMPTED, a claimed chunk pending', async () => {
    const s = await setup(35)
    const first = s.events.shift() as ChunkEvent

    await s.clock.run(runChunk(s.runner('replica-a'), first))
    s.events.length = 0
    const claimedPath = jobPaths.state(s.job.id, 2)
    const pending = await s.files.read<ChunkState>(claimedPath)

    await s.files.write(
      claimedPath,
      { chunk: 2, phase: 'running', attempt: 1, owner: 'b', leaseUntil: 1e12 },
      { ifMatch: pending?.etag }
    )
    await cancelJob(s.files, s.clock, s.job, OWNER, 3600)

    const stateReads: string[] = []
    const read = s.files.read.bind(s.files)

    s.files.read = async <T>(p: string) => {
      if (p.endsWith('state.json')) stateReads.push(p)

      return read<T>(p)
    }

    const finished = await noChunkWillStart(s.files, s.job)
    const page = await resultsPage(
      s.files,
      s.job,
      10,
      15,
      finished,
      s.clock.now()
    )

    expect(finished).toBe(true)
    // Items 10..24: chunks 1 and 2 only, of 4.
    expect(stateReads).toEqual([
      jobPaths.state(s.job.id, 1),
      jobPaths.state(s.job.id, 2),
    ])
    expect(page.elements.slice(0, 10).map((r) => r.success)).toEqual(
      Array(10).fill('false')
    )
    expect(page.elements[0]).toMatchObject({ code: 'NOT_ATTEMPTED' })
    expect(page.elements.slice(10).map((r) => r.success)).toEqual(
      Array(5).fill('pending')
    )
  })

  it('reports items of chunks never run as NOT_ATTEMPTED once the job is finished', async () => {
    const s = await setup(20)

    await cancelJob(s.files, s.clock, s.job, OWNER, 3600)
    await drain(s)
    const page = await resultsPage(s.files, s.job as JobDefinition, 0, 3, true)

    expect(page.elements.map((e) => 'code' in e && e.code)).toEqual([
      'NOT_ATTEMPTED',
      'NOT_ATTEMPTED',
      'NOT_ATTEMPTED',
    ])
  })
})

describe('recentJobs', () => {
  it('lists only jobs of the given kinds, newest first, up to the limit', async () => {
    const files = new MemoryFiles()
    const clock = new FakeClock(IDLE_TURNS)
    const send = async () => undefined
    const ids: string[] = []

    for (let n = 1; n <= 6; n++) {
      const id = `0000000${n}-2222-3333-4444-555555555555`

      ids.push(id)
      await createJob(
        files,
        send,
        clock,
        {
          id,
          kind: n % 2 === 0 ? 'category' : 'product',
          account: 'store',
          dryRun: false,
          items: items(2),
          startedBy: OWNER,
        },
        LIMITS
      )
      await clock.run(clock.sleep(1000))
    }

    // The jobs were created on the fake clock: listed as of its time, not the wall clock's.
    const products = await recentJobs(files, 2, ['product'], {
      now: clock.now(),
    })

    expect(products.map(({ job }) => job.id)).toEqual([ids[4], ids[2]])
    expect(
      (await recentJobs(files, 10, ['category'], { now: clock.now() })).map(
        ({ job }) => job.id
      )
    ).toEqual([ids[5], ids[3], ids[1]])
    // Past their retention (30 days) they are gone, whatever VBase still holds.
    expect(
      await recentJobs(files, 10, ['product', 'category'], {
        now: clock.now() + 31 * 24 * 3600 * 1000,
      })
    ).toEqual([])
    // Each with its status; filtered by status.
    await cancelJob(
      files,
      clock,
      (await files.read<JobDefinition>(jobPaths.job(ids[3])))!.data,
      OWNER,
      3600
    )
    const listed = await recentJobs(files, 10, ['product', 'category'], {
      now: clock.now(),
    })

    expect(listed.map(({ summary }) => summary.status)).toEqual([
      'queued',
      'queued',
      'cancelled',
      'queued',
      'queued',
      'queued',
    ])
    expect(listed[2].summary.counts).toEqual({ NOT_ATTEMPTED: 2 })
    expect(
      (
        await recentJobs(files, 10, ['product', 'category'], {
          statuses: ['cancelled'],
          now: clock.now(),
        })
      ).map(({ job }) => job.id)
    ).toEqual([ids[3]])
  })
})

describe('undo', () => {
  it('keeps undo keys apart from callers’ Idempotency-Keys, and answers 409 for an undo with other items', async () => {
    const s = await setup(12)

    await drain(s)
    const { items } = await undoItemsOf(s.files, s.job)
    const base = {
      kind: 'product' as const,
      account: 'store',
      dryRun: false,
      startedBy: OWNER,
    }
    // A caller's own key that spells the old undo key.
    const callers = await createJob(
      s.files,
      s.sendEvent,
      s.clock,
      {
        ...base,
        id: '77777777-2222-3333-4444-555555555555',
        items: items.slice(0, 2),
        idempotencyKey: `undo-of:${s.job.id}`,
      },
      LIMITS
    )
    const undo = (id: string, undoItems: typeof items) =>
      createJob(
        s.files,
        s.sendEvent,
        s.clock,
        {
          ...base,
          id,
          items: undoItems,
          idempotencyKey: s.job.id,
          idempotencyNamespace: 'undo',
          undoOf: s.job.id,
        },
        LIMITS
      )
    const first = await undo('88888888-2222-3333-4444-555555555555', items)
    const again = await undo('88888888-2222-3333-4444-000000000002', items)
    const other = await undo(
      '88888888-2222-3333-4444-000000000003',
      items.slice(1)
    )

    expect(callers.outcome).toBe('created')
    expect(first.outcome).toBe('created')
    expect(undoJobIdOf(first, s.job.id)).toBe(
      '88888888-2222-3333-4444-555555555555'
    )
    expect(undoJobIdOf(again, s.job.id)).toBe(
      '88888888-2222-3333-4444-555555555555'
    )
    expect(() => undoJobIdOf(other, s.job.id)).toThrow(
      expect.objectContaining({ status: 409, code: 'UNDO_CONFLICT' })
    )
  })

  it('restores previousScore only where the Score is still what the job wrote; a concurrent edit is a CONFLICT', async () => {
    const s = await setup(12)

    await drain(s)
    // Items 1..12 went from Score 0 to 100..111; product 5 is edited after the job.
    s.scores.set(5, 999)
    const { items, unrestorable } = await undoItemsOf(s.files, s.job)

    expect(unrestorable).toBe(0)
    expect(items).toHaveLength(12)
    expect(items[0]).toEqual({ index: 0, id: 1, score: 0, expect: 100 })

    const created = await createJob(
      s.files,
      s.sendEvent,
      s.clock,
      {
        id: '99999999-2222-3333-4444-555555555555',
        kind: 'product',
        account: 'store',
        dryRun: false,
        items,
        startedBy: OWNER,
        undoOf: s.job.id,
      },
      LIMITS
    )

    if (created.outcome !== 'created') throw new Error('not created')
    s.puts.clear()
    await drain(s)
    const summary = await summarise(s.files, created.job)

    expect(summary).toMatchObject({
      status: 'done',
      undoOf: s.job.id,
      counts: { UPDATED: 11, CONFLICT: 1 },
    })
    expect(s.scores.get(5)).toBe(999)
    expect(s.puts.has(5)).toBe(false)
    expect(s.scores.get(1)).toBe(0)
    // The conflict is the undo's own outcome, not a Catalog answer: the results and the report say so.
    const page = await resultsPage(s.files, created.job, 0, 12, true)

    expect(page.elements.filter((e) => e.success === 'false')).toEqual([
      {
        index: 4,
        id: 5,
        score: 0,
        success: 'false',
        error: 409,
        code: 'CONFLICT',
        errorMessage:
          'Score is now 999, not the 104 the undone job wrote; the product was left alone.',
        attempts: 1,
      },
    ])
    // Both sheets the report route streams: every row, and the failed rows only.
    for (const only of [undefined, 'failed' as const]) {
      const sheet = await collect(
        resultSheet(
          (chunk) => chunkRows(s.files, created.job, chunk, true),
          created.job.chunks,
          { delimiter: ',', ...(only ? { only } : {}) }
        )
      )

      expect(sheet.split('\r\n').filter((l) => l.includes(',false,'))).toEqual([
        '5,0,,false,CONFLICT,409,"Score is now 999, not the 104 the undone job wrote; the product was left alone."',
      ])
      expect(sheet).not.toMatch(/Catalog answered/)
    }
  })

  it('starts an undo again when the last one was cancelled or failed, and answers a live one as it is', async () => {
    const s = await setup(25)

    await drain(s)
    const { items } = await undoItemsOf(s.files, s.job)
    let ids = 0
    const undo = () =>
      startUndo(
        s.files,
        s.sendEvent,
        s.clock,
        {
          job: s.job,
          items,
          startedBy: OWNER,
          newId: () =>
            `aaaaaaaa-bbbb-cccc-dddd-${String(++ids).padStart(12, '0')}`,
        },
        LIMITS
      )
    const jobOf = async (id: string) =>
      (await s.files.read<JobDefinition>(jobPaths.job(id)))
        ?.data as JobDefinition

    // The first undo is cancelled after its first chunk: 10 items restored.
    const first = await undo()

    expect(first).toMatchObject({ status: 'queued', created: true })
    await s.clock.run(runChunk(s.runner('a'), s.events.shift() as ChunkEvent))
    await cancelJob(s.files, s.clock, await jobOf(first.jobId), OWNER, 3600)
    await drain(s)
    expect((await summarise(s.files, await jobOf(first.jobId))).status).toBe(
      'cancelled'
    )
    expect(s.scores.get(1)).toBe(0)
    expect(s.scores.get(25)).toBe(124)

    // Undo again: a new undo job, not the cancelled one.
    const second = await undo()

    expect(second.created).toBe(true)
    expect(second.jobId).not.toBe(first.jobId)
    // While it is queued, undoing again answers it.
    expect(await undo()).toEqual({ ...second, created: false })
    s.puts.clear()
    await drain(s)
    const done = await summarise(s.files, await jobOf(second.jobId))

    expect(done).toMatchObject({
      status: 'done',
      counts: { UNCHANGED: 10, UPDATED: 15 },
    })
    expect([...s.scores.values()].every((score) => score === 0)).toBe(true)
    expect(s.puts.size).toBe(15)
    expect(await undo()).toEqual({
      jobId: second.jobId,
      status: 'done',
      created: false,
    })
  })

  it('starts an undo again after one the Catalog refused failed', async () => {
    const s = await setup(12)

    await drain(s)
    const { items } = await undoItemsOf(s.files, s.job)
    let ids = 0
    const undo = () =>
      startUndo(
        s.files,
        s.sendEvent,
        s.clock,
        {
          job: s.job,
          items,
          startedBy: OWNER,
          newId: () =>
            `aaaaaaaa-bbbb-cccc-eeee-${String(++ids).padStart(12, '0')}`,
        },
        LIMITS
      )
    const healthy = s.catalog.read.getMockImplementation()!

    s.catalog.read.mockImplementation(async (kind, id) => {
      throw new CatalogError('GET', kind, id, 403, 'Forbidden')
    })
    const failed = await undo()

    await drain(s)
    s.catalog.read.mockImplementation(healthy)
    const again = await undo()

    expect(again.created).toBe(true)
    expect(again.jobId).not.toBe(failed.jobId)
    await drain(s)
    expect([...s.scores.values()].every((score) => score === 0)).toBe(true)
  })
})
