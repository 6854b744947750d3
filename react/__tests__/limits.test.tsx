import React from 'react'
import { fireEvent, render, wait } from '@vtex/test-tools/react'

import MassiveScoreUpdate from '../MassiveScoreUpdate'
import type { Api, BatchAnswer } from '../utils/api'
import { ApiError, createApi } from '../utils/api'

const answer = (items: Array<{ id: string; score: string }>): BatchAnswer => ({
  successfulResponses: {
    elements: items.map((item, index) => ({
      index,
      id: Number(item.id),
      score: Number(item.score),
      previousScore: 0,
      success: 'true' as const,
    })),
    quantity: items.length,
  },
  failedResponses: { elements: [], quantity: 0 },
  total: items.length,
})

function fakeApi(overrides: Partial<Api> = {}): Api {
  return {
    batch: jest.fn(async (_kind, items) => answer(items)),
    startJob: jest.fn(async () => ({ jobId: 'job-1', status: 'queued' })),
    job: jest.fn(),
    jobs: jest.fn(async () => ({ jobs: [] })),
    results: jest.fn(),
    cancel: jest.fn(),
    undo: jest.fn(),
    failedRows: jest.fn(),
    ...overrides,
  } as Api
}

const csv = (n: number) =>
  `id,score\n${Array.from({ length: n }, (_, i) => `${i + 1},${i + 1}`).join(
    '\n'
  )}\n`

async function uploadAndPreview(
  utils: ReturnType<typeof render>,
  rows: number,
  kind: 'Products' | 'Categories'
) {
  fireEvent.click(utils.getByLabelText(kind))
  fireEvent.change(utils.getByLabelText('Spreadsheet file (.csv or .xlsx)'), {
    target: { files: [new File([csv(rows)], 'scores.csv')] },
  })
  await utils.findByTestId('file-summary')
  fireEvent.click(utils.getByRole('button', { name: 'Preview changes' }))
  await utils.findByTestId('preview-summary')
}

/** The app with a maxItems setting of `limit`: larger batches answer 413, saying so or not. */
const limitedBatch = (limit: number, says = true) =>
  jest.fn(
    async (_kind: string, items: Array<{ id: string; score: string }>) => {
      if (items.length > limit)
        throw new ApiError(
          413,
          'BATCH_TOO_LARGE',
          says
            ? `The batch has ${items.length} items; at most ${limit} are accepted per request. Split the batch.`
            : 'Payload too large.'
        )

      return answer(items)
    }
  )

const sizes = (api: Api) =>
  (api.batch as jest.Mock).mock.calls.map(([, items]) => items.length)

describe('the limits of the app', () => {
  it('says how long to wait when the account started too many jobs, and holds the run until then', async () => {
    jest.useFakeTimers()
    const api = fakeApi({
      startJob: jest.fn(async () => {
        throw new ApiError(
          429,
          'TOO_MANY_JOBS',
          'This account is creating jobs faster than the app accepts; try again in 12 s.',
          undefined,
          12
        )
      }),
    })
    const utils = render(<MassiveScoreUpdate api={api} />)

    await uploadAndPreview(utils, 3, 'Products')
    const run = utils.getByRole('button', { name: 'Update 3 Scores' })

    fireEvent.click(run)
    expect((await utils.findByRole('alert')).textContent).toContain(
      'Too many jobs were started on this account in a short time. Try again in 12 seconds.'
    )
    await wait(() => expect((run as HTMLButtonElement).disabled).toBe(true))
    jest.advanceTimersByTime(12_000)
    await wait(() => expect((run as HTMLButtonElement).disabled).toBe(false))
    jest.useRealTimers()
  })

  it("reads the wait from the app's words when Retry-After is missing", async () => {
    const api = fakeApi({
      startJob: jest.fn(async () => {
        throw new ApiError(
          429,
          'TOO_MANY_JOBS',
          'This account is creating jobs faster than the app accepts; try again in 1 s.'
        )
      }),
    })
    const utils = render(<MassiveScoreUpdate api={api} />)

    await uploadAndPreview(utils, 3, 'Products')
    fireEvent.click(utils.getByRole('button', { name: 'Update 3 Scores' }))
    expect((await utils.findByRole('alert')).textContent).toContain(
      'Try again in 1 second.'
    )
  })

  it('sends categories in batches of the limit a 413 states, for the preview and the run', async () => {
    const api = fakeApi({ batch: limitedBatch(10) })
    const utils = render(<MassiveScoreUpdate api={api} />)

    await uploadAndPreview(utils, 25, 'Categories')
    expect(utils.getByTestId('preview-summary').textContent).toBe(
      '25 would change, 0 already at that Score, 0 would fail.'
    )
    expect(sizes(api)).toEqual([25, 10, 10, 5])
    expect(utils.getByTestId('announcer').textContent).toBe(
      'This account takes at most 10 rows per request: the rows go in batches of 10.'
    )
    fireEvent.click(utils.getByRole('button', { name: 'Update 25 Scores' }))
    await wait(() =>
      expect(utils.getByTestId('run-status').textContent).toContain('Finished')
    )
    // The run starts at the limit learnt: no refused batch.
    expect(sizes(api).slice(4)).toEqual([10, 10, 5])
    expect(utils.getByTestId('run-progress').textContent).toContain(
      '25 of 25 items · 25 updated, 0 unchanged, 0 failed'
    )
    expect(utils.queryByRole('alert')).toBeNull()
  })

  it('halves the batch when a 413 does not say the limit', async () => {
    const api = fakeApi({ batch: limitedBatch(7, false) })
    const utils = render(<MassiveScoreUpdate api={api} />)

    await uploadAndPreview(utils, 30, 'Categories')
    fireEvent.click(utils.getByRole('button', { name: 'Update 30 Scores' }))
    await wait(() =>
      expect(utils.getByTestId('run-status').textContent).toContain('Finished')
    )
    expect(sizes(api).slice(0, 3)).toEqual([30, 15, 7])
    expect(
      (api.batch as jest.Mock).mock.calls
        .filter(([, , dryRun]) => dryRun === false)
        .map(([, items]) => items.length)
    ).toEqual([7, 7, 7, 7, 2])
    expect(utils.getByTestId('run-progress').textContent).toContain(
      '30 updated'
    )
  })

  it('keeps a Retry-After from the answer', async () => {
    const api = createApi({
      fetch: (async () => ({
        status: 429,
        statusText: 'Too Many Requests',
        headers: new Headers({ 'Retry-After': '7' }),
        json: async () => ({
          error: { code: 'TOO_MANY_JOBS', message: 'try again in 7 s.' },
        }),
      })) as unknown as typeof fetch,
    })

    await expect(
      api.startJob([{ id: '1', score: '1' }], false, 'k')
    ).rejects.toMatchObject({
      status: 429,
      code: 'TOO_MANY_JOBS',
      retryAfterSec: 7,
    })
  })
})
