import React from 'react'
import { fireEvent, render, wait } from '@vtex/test-tools/react'

import MassiveScoreUpdate from '../MassiveScoreUpdate'
import type { Api, BatchAnswer, JobSummary } from '../utils/api'
import { ApiError } from '../utils/api'

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

const summary = (status: JobSummary['status'], done: number): JobSummary => ({
  jobId: 'job-1',
  kind: 'product',
  status,
  dryRun: false,
  progress: { total: 30, done, chunks: 1, chunksDone: 0, notRun: 0 },
  counts: { UPDATED: done },
  succeeded: done,
  failed: 0,
  createdAt: '2026-01-01T00:00:00.000Z',
})

function fakeApi(overrides: Partial<Api> = {}): Api {
  return {
    batch: jest.fn(async (_kind, items) => answer(items)),
    startJob: jest.fn(async () => ({ jobId: 'job-1', status: 'queued' })),
    job: jest.fn(async () => summary('done', 30)),
    jobs: jest.fn(async () => ({
      jobs: [
        {
          jobId: 'job-0',
          kind: 'product' as const,
          total: 3,
          dryRun: false,
          createdAt: '2026-01-01T00:00:00.000Z',
        },
      ],
    })),
    results: jest.fn(),
    cancel: jest.fn(),
    undo: jest.fn(),
    failedRows: jest.fn(),
    ...overrides,
  } as Api
}

const csv = `id,score\n${Array.from(
  { length: 30 },
  (_, i) => `${i + 1},${i + 1}`
).join('\n')}\n`

async function uploadAndPreview(utils: ReturnType<typeof render>) {
  fireEvent.change(utils.getByLabelText('Spreadsheet file (.csv or .xlsx)'), {
    target: { files: [new File([csv], 'scores.csv', { type: 'text/csv' })] },
  })
  await utils.findByTestId('file-summary')
  fireEvent.click(utils.getByRole('button', { name: 'Preview changes' }))
  await utils.findByTestId('preview-summary')
  await wait(() =>
    expect(
      utils.getByTestId('preview-table__body').querySelectorAll('tr')
    ).toHaveLength(10)
  )
}

/** The roles of the page's controls. */
const CONTROL_ROLES = [
  'button',
  'textbox',
  'checkbox',
  'radio',
  'combobox',
  'link',
]

describe('the admin page, for assistive technology', () => {
  it('gives every control a name', async () => {
    const utils = render(<MassiveScoreUpdate api={fakeApi()} />)

    await utils.findByText('Open job job-0')
    await uploadAndPreview(utils)
    const all = CONTROL_ROLES.flatMap((role) => utils.queryAllByRole(role))
    // Names as assistive technology computes them (testing-library's dom-accessibility-api).
    const unnamed = CONTROL_ROLES.flatMap((role) =>
      utils
        .queryAllByRole(role, { name: (name: string) => name.trim() === '' })
        .map((element) => element.outerHTML.slice(0, 120))
    )

    expect(all.length).toBeGreaterThan(8)
    expect(unnamed).toEqual([])
    // The file input is no role of its own: its <label> names it.
    expect(
      utils
        .getByLabelText('Spreadsheet file (.csv or .xlsx)')
        .getAttribute('type')
    ).toBe('file')
  })

  it('names the pagination controls and announces the range as pages turn', async () => {
    const utils = render(<MassiveScoreUpdate api={fakeApi()} />)

    await uploadAndPreview(utils)
    const nav = utils.getByRole('navigation', { name: 'Pages of the preview' })
    const previous = utils.getByRole('button', { name: 'Previous page' })
    const next = utils.getByRole('button', { name: 'Next page' })

    expect(nav.contains(previous) && nav.contains(next)).toBe(true)
    expect((previous as HTMLButtonElement).disabled).toBe(true)
    expect(utils.getByTestId('preview-page').getAttribute('role')).toBe(
      'status'
    )
    expect(utils.getByTestId('preview-page').textContent).toBe(
      'Rows 1–10 of 30'
    )
    fireEvent.click(next)
    await wait(() =>
      expect(utils.getByTestId('preview-page').textContent).toBe(
        'Rows 11–20 of 30'
      )
    )
    expect((previous as HTMLButtonElement).disabled).toBe(false)
    const rows = utils.getByRole('combobox', { name: /^Rows per page/ })
    fireEvent.change(rows, { target: { value: '25' } })
    await wait(() =>
      expect(utils.getByTestId('preview-page').textContent).toBe(
        'Rows 1–25 of 30'
      )
    )
  })

  it('gives the progress bar its values, and announces the status and the toasts', async () => {
    // The job runs until the test has read the running state: a loaded machine may poll late.
    let finished = false
    const api = fakeApi({
      job: jest.fn(async () =>
        finished ? summary('done', 30) : summary('running', 10)
      ),
    })
    const utils = render(<MassiveScoreUpdate api={api} pollMs={20} />)

    await uploadAndPreview(utils)
    fireEvent.click(utils.getByRole('button', { name: 'Update 30 Scores' }))
    const bar = await utils.findByRole('progressbar', {
      name: 'Progress of the update',
    })

    await wait(() => expect(bar.getAttribute('aria-valuenow')).toBe('33'))
    expect(bar.getAttribute('aria-valuemin')).toBe('0')
    expect(bar.getAttribute('aria-valuemax')).toBe('100')
    expect(bar.getAttribute('aria-valuetext')).toBe('10 of 30 items')
    const status = utils.getByTestId('run-status')

    expect(status.getAttribute('role')).toBe('status')
    expect(status.getAttribute('aria-live')).toBe('polite')
    expect(status.textContent).toContain('Running')
    expect(utils.getByTestId('announcer').textContent).toBe(
      'The update started.'
    )
    expect(utils.getByTestId('announcer').getAttribute('aria-live')).toBe(
      'polite'
    )
    finished = true
    await wait(() => expect(status.textContent).toContain('Finished'))
    expect(
      utils
        .getByRole('progressbar', { name: 'Progress of the update' })
        .getAttribute('aria-valuetext')
    ).toBe('30 of 30 items')
  })

  it('shows errors in one alert, with a named close button', async () => {
    const api = fakeApi({
      batch: jest.fn(async () => {
        throw new ApiError(403, 'FORBIDDEN', 'no')
      }),
    })
    const utils = render(<MassiveScoreUpdate api={api} />)

    fireEvent.change(utils.getByLabelText('Spreadsheet file (.csv or .xlsx)'), {
      target: { files: [new File([csv], 'scores.csv', { type: 'text/csv' })] },
    })
    await utils.findByTestId('file-summary')
    fireEvent.click(utils.getByRole('button', { name: 'Preview changes' }))
    const alert = await utils.findByRole('alert')

    expect(alert.textContent).toContain('Your user may not edit the Catalog')
    expect(alert.querySelector('[role="alert"]')).toBeNull()
    fireEvent.click(utils.getByRole('button', { name: 'Close this message' }))
    await wait(() => expect(utils.queryByRole('alert')).toBeNull())
  })
})
