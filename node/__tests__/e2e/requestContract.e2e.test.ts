/**
 * The request contract, through the real runtime: what the app does not
 * understand (an unknown or misspelled query parameter, an Idempotency-Key
 * on a synchronous batch, a value out of the documented range) is refused
 * before anything is written.
 */
import {
  CATEGORY_PATH,
  PRODUCT_PATH,
  finishedJob,
  request,
  Stack,
  startStack,
  USER_TOKEN,
} from '../helpers/e2e'

const AUTH = { VtexIdclientAutCookie: USER_TOKEN }
const JOBS = '/_v/massive/score/jobs'

let stack: Stack

beforeAll(async () => {
  stack = await startStack({ seed: { products: 40, categories: 6 } })
})

afterAll(() => stack?.close())

beforeEach(() => {
  stack.emulator.configure({ faults: null })
  stack.emulator.resetStats()
})

const call = (
  method: string,
  path: string,
  options: { body?: string | Buffer; headers?: Record<string, string> } = {}
) =>
  request(stack.service, method, path, {
    ...options,
    headers: { ...AUTH, ...options.headers },
  })

const finished = (jobId: string) => finishedJob(stack.service, jobId, AUTH)

describe('a request contract that refuses what it does not understand', () => {
  const expectNothingWritten = (before: unknown) => {
    expect(stack.emulator.stats().requests.total).toBe(0)
    expect(stack.emulator.snapshot()).toEqual(before)
  }

  it.each([
    [PRODUCT_PATH, '?dryrun=true', "'dryrun' is written 'dryRun'"],
    [CATEGORY_PATH, '?DryRun=true', "'DryRun' is written 'dryRun'"],
    [PRODUCT_PATH, '?dryRun=true&verbose=1', "'verbose'"],
  ])(
    '%s%s answers 400 UNKNOWN_QUERY_PARAMETER and writes nothing',
    async (path, query, detail) => {
      const before = stack.emulator.snapshot()
      const answer = await call('PUT', `${path}${query}`, {
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify([{ id: 9, score: 1234 }]),
      })

      expect(answer.status).toBe(400)
      expect(answer.body.error.code).toBe('UNKNOWN_QUERY_PARAMETER')
      expect(answer.body.error.message).toContain(detail)
      expect(answer.body.error.message).toContain(
        "This route accepts: 'dryRun', 'async', 'allowFieldDrift'."
      )
      expectNothingWritten(before)
    }
  )

  it.each([[PRODUCT_PATH], [CATEGORY_PATH]])(
    'an Idempotency-Key on a synchronous batch to %s is refused, not ignored',
    async (path) => {
      const before = stack.emulator.snapshot()
      const answer = await call('PUT', path, {
        headers: {
          'Content-Type': 'application/json',
          'Idempotency-Key': 'sync-1',
        },
        body: JSON.stringify([{ id: 9, score: 1234 }]),
      })

      expect(answer.status).toBe(400)
      expect(answer.body.error.code).toBe('IDEMPOTENCY_KEY_NOT_SUPPORTED')
      expect(answer.body.error.message).toMatch(/^Idempotency-Key is honoured/)
      expectNothingWritten(before)
    }
  )

  it('job routes refuse unknown parameters and ranges as the docs give them; an unknown one on undo starts nothing', async () => {
    const queued = await call('PUT', `${PRODUCT_PATH}?async=true`, {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify([{ id: 10, score: 80 }]),
    })
    const { jobId } = queued.body

    await finished(jobId)

    const refusals: Array<[string, string, string, string]> = [
      ['GET', `${JOBS}?limt=5`, 'UNKNOWN_QUERY_PARAMETER', "accepts: 'limit'"],
      [
        'GET',
        `${JOBS}?limit=0`,
        'INVALID_QUERY',
        "Query parameter 'limit' must be a whole number from 1 to 100 (20 when absent).",
      ],
      [
        'GET',
        `${JOBS}/${jobId}/results?limit=1001`,
        'INVALID_QUERY',
        "Query parameter 'limit' must be a whole number from 1 to 1000 (100 when absent).",
      ],
      [
        'GET',
        `${JOBS}/${jobId}/results?page=2`,
        'UNKNOWN_QUERY_PARAMETER',
        "accepts: 'cursor', 'limit'",
      ],
      [
        'GET',
        `${JOBS}/${jobId}/report.csv?only=failed&separator=;`,
        'UNKNOWN_QUERY_PARAMETER',
        "accepts: 'only', 'delimiter'",
      ],
      [
        'GET',
        `${JOBS}/${jobId}/report.csv?delimiter=pipe`,
        'INVALID_QUERY',
        "'delimiter' must be 'comma', 'semicolon' or 'tab'",
      ],
      [
        'GET',
        `${JOBS}/${jobId}?verbose=true`,
        'UNKNOWN_QUERY_PARAMETER',
        'accepts: none',
      ],
      [
        'POST',
        `${JOBS}/${jobId}/undo?dryRun=true`,
        'UNKNOWN_QUERY_PARAMETER',
        'accepts: none',
      ],
    ]

    for (const [method, path, code, detail] of refusals) {
      const answer = await call(method, path)

      expect([path, answer.status, answer.body.error.code]).toEqual([
        path,
        400,
        code,
      ])
      expect(answer.body.error.message).toContain(detail)
    }

    // The refused undo created no job, and wrote nothing.
    const jobs = await call('GET', `${JOBS}?limit=100`)

    expect(
      jobs.body.jobs.filter((job: { undoOf?: string }) => job.undoOf === jobId)
    ).toEqual([])
    expect(stack.emulator.stats().putsById.product).toEqual({ 10: 1 })
  })
})
