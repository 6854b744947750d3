import { makeProduct } from '../../../local/catalogEmulator'
import { CatalogError } from '../../clients/catalog'
import { CallerCredentials } from '../../clients/credentials'
import { JobMeta, JobStore, VBaseFiles } from '../../jobs/jobStore'
import { envelopeToCsv, jobEnvelope } from '../../jobs/report'
import { isStale, runJob } from '../../jobs/runJob'
import { parseCsvBatch } from '../../input/csv'
import { PRODUCT_TARGET } from '../../scores/targets'
import { DEFAULT_SETTINGS } from '../../settings'
import { requestErrorOf } from '../helpers/requestErrorOf'

/** A VBase double for unit tests only; the e2e tests use the real client against the emulator. */
function memoryVBase(): VBaseFiles & { files: Map<string, string> } {
  const files = new Map<string, string>()

  return {
    files,
    getJSON: async <T>(bucket: string, path: string) => {
      const text = files.get(`${bucket}/${path}`)

      return text === undefined ? null : (JSON.parse(text) as T)
    },
    saveJSON: async (bucket, path, data) =>
      void files.set(`${bucket}/${path}`, JSON.stringify(data)),
  }
}

const items = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ index: i, id: i + 1, score: 100 + i }))

function newMeta(total: number, chunkSize: number): JobMeta {
  const now = new Date().toISOString()

  return {
    id: '11111111-2222-3333-4444-555555555555',
    kind: 'product',
    account: 'store',
    dryRun: false,
    status: 'queued',
    progress: { total, done: 0, succeeded: 0, failed: 0 },
    chunkSize,
    chunks: Math.ceil(total / chunkSize),
    chunksDone: 0,
    checkpoint: { done: 0, succeeded: 0, failed: 0 },
    createdAt: now,
    updatedAt: now,
    heartbeatAt: now,
  }
}

/** A Catalog with Score 0 everywhere; `refuseFrom` makes every call from that id on answer 401. */
function catalog(refuseFrom = Number.POSITIVE_INFINITY) {
  const read = jest.fn(async (kind: 'product' | 'category', id: number) => {
    if (id >= refuseFrom)
      throw new CatalogError('GET', kind, id, 401, 'Unauthorized')

    return { ...makeProduct(id), Score: 0 }
  })
  const write = jest.fn(async () => ({}))

  return { read, write }
}

const runOptions = (store: JobStore, upstream: ReturnType<typeof catalog>) => ({
  store,
  catalog: upstream,
  target: PRODUCT_TARGET,
  settings: { ...DEFAULT_SETTINGS, concurrency: 2 },
  call: { credentials: CallerCredentials.userToken('t') },
  heartbeatMs: 10_000,
})

describe('runJob', () => {
  it('checkpoints every chunk and ends done, with an envelope in request order', async () => {
    const vbase = memoryVBase()
    const store = new JobStore(vbase)
    const meta = newMeta(25, 10)

    await store.create(meta, items(25))
    const final = await runJob(meta, runOptions(store, catalog()))

    expect(final).toMatchObject({
      status: 'done',
      chunksDone: 3,
      progress: { total: 25, done: 25, succeeded: 25, failed: 0 },
    })
    expect(
      [...vbase.files.keys()].filter((k) => k.includes('results-'))
    ).toHaveLength(3)
    const envelope = await jobEnvelope(store, final)

    expect(envelope.successfulResponses.elements.map((e) => e.index)).toEqual(
      items(25).map((i) => i.index)
    )
    // Credentials never reach the store.
    expect([...vbase.files.values()].join('')).not.toMatch(/"t"|redacted/)
  })

  it('stops on a 401, keeps the finished chunks, and resumes from the first unfinished one', async () => {
    const store = new JobStore(memoryVBase())
    const meta = newMeta(30, 10)
    const refusing = catalog(15)

    await store.create(meta, items(30))
    const failed = await runJob(meta, runOptions(store, refusing))

    expect(failed).toMatchObject({
      status: 'failed',
      chunksDone: 1,
      error: { status: 401, code: 'UNAUTHORIZED' },
    })
    const partial = await jobEnvelope(store, failed)

    expect(partial.successfulResponses.quantity).toBe(10)
    expect(
      partial.failedResponses.elements.every((e) => e.code === 'NOT_ATTEMPTED')
    ).toBe(true)
    expect(partial.failedResponses.quantity).toBe(20)

    const fresh = catalog()
    const done = await runJob(failed, runOptions(store, fresh))

    expect(done).toMatchObject({
      status: 'done',
      progress: { done: 30, succeeded: 30 },
    })
    // The resumed run never touched the first chunk again.
    expect(fresh.read.mock.calls.map((c) => c[1]).every((id) => id > 10)).toBe(
      true
    )
  })

  it('calls a job stale when its heartbeat is older than the limit', () => {
    const meta = {
      ...newMeta(1, 1),
      status: 'running' as const,
      heartbeatAt: new Date(1_000).toISOString(),
    }

    expect(isStale(meta, 5_000, 5_999)).toBe(false)
    expect(isStale(meta, 5_000, 6_001)).toBe(true)
    expect(isStale({ ...meta, status: 'done' }, 5_000, 60_000)).toBe(false)
  })
})

describe('CSV', () => {
  it('reads a header in any order and case, with a BOM, CRLF and quotes', () => {
    expect(
      parseCsvBatch('\uFEFFName,SCORE,id\r\n"a, ""b""",1,2\r\n\r\nc,3,4\r\n')
    ).toEqual({
      items: [
        { id: '2', score: '1' },
        { id: '4', score: '3' },
      ],
      lines: [2, 4],
    })
  })

  it.each([
    ['no id column', 'name,score\r\nx,1\r\n', 'CSV_MISSING_COLUMNS'],
    ['an unclosed quote', 'id,score\r\n"1,2\r\n', 'INVALID_CSV'],
  ])('refuses %s', (_name, text, code) => {
    expect(requestErrorOf(() => parseCsvBatch(text)).code).toBe(code)
  })

  it('writes the report with RFC 4180 quoting, in request order', () => {
    const csv = envelopeToCsv({
      successfulResponses: {
        elements: [
          { index: 1, id: 2, score: 3, previousScore: null, success: 'true' },
        ],
        quantity: 1,
      },
      failedResponses: {
        elements: [
          {
            index: 0,
            id: 1,
            score: 1,
            success: 'false',
            error: 400,
            code: 'X',
            errorMessage: 'bad, "very"',
            attempts: 1,
          },
        ],
        quantity: 1,
      },
      total: 2,
    })

    expect(csv).toBe(
      'id,score,previousScore,success,error,errorMessage\r\n1,1,,false,400,"bad, ""very"""\r\n2,3,,true,,\r\n'
    )
  })
})
