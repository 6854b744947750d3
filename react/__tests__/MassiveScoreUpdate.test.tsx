import React from 'react'
import { fireEvent, render, wait } from '@vtex/test-tools/react'
import { readSheet } from 'read-excel-file/browser'
import writeXlsxFile from 'write-excel-file/browser'

import MassiveScoreUpdate from '../MassiveScoreUpdate'
import type { Api, BatchAnswer, ItemResult, JobSummary } from '../utils/api'
import { ApiError } from '../utils/api'

const csvFile = (text: string, name = 'scores.csv') =>
  new File([text], name, { type: 'text/csv' })

function batchAnswer(items: Array<{ id: string; score: string }>): BatchAnswer {
  const ok: ItemResult[] = []
  const failed: ItemResult[] = []

  items.forEach((item, index) => {
    if (item.id === '999')
      failed.push({
        index,
        id: 999,
        score: item.score,
        success: 'false',
        code: 'NOT_FOUND',
        errorMessage: 'Catalog answered 404',
      })
    else
      ok.push({
        index,
        id: Number(item.id),
        score: Number(item.score),
        previousScore: 0,
        success: 'true',
        unchanged: item.score === '0',
      })
  })

  return {
    successfulResponses: { elements: ok, quantity: ok.length },
    failedResponses: { elements: failed, quantity: failed.length },
    total: items.length,
  }
}

function summary(
  status: JobSummary['status'],
  done: number,
  total: number
): JobSummary {
  return {
    jobId: 'job-1',
    kind: 'product',
    status,
    dryRun: false,
    progress: {
      total,
      done,
      chunks: 2,
      chunksDone: done === total ? 2 : 1,
      notRun: 0,
    },
    counts: { UPDATED: done - 1, NOT_FOUND: 1 },
    succeeded: done - 1,
    failed: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
  }
}

function fakeApi(overrides: Partial<Api> = {}): Api {
  return {
    batch: jest.fn(async (_kind, items) => batchAnswer(items)),
    startJob: jest.fn(async () => ({ jobId: 'job-1', status: 'queued' })),
    job: jest.fn(async () => summary('done', 30, 30)),
    jobs: jest.fn(async () => ({ jobs: [] })),
    results: jest.fn(),
    cancel: jest.fn(async () => summary('cancelling', 10, 30)),
    undo: jest.fn(async () => ({ jobId: 'undo-1', status: 'queued' })),
    failedRows: jest.fn(
      async () =>
        new Blob([
          '\uFEFFid;score;previousScore;success;code;error;errorMessage\r\n999;1;;false;NOT_FOUND;404;x\r\n',
        ])
    ),
    ...overrides,
  } as Api
}

async function upload(utils: ReturnType<typeof render>, file: File) {
  fireEvent.change(utils.getByLabelText('Spreadsheet file (.csv or .xlsx)'), {
    target: { files: [file] },
  })
  await utils.findByTestId('file-summary')
}

/** Files the page hands to the browser to save: their names and contents. */
function captureDownloads() {
  const files: Array<{ name: string; blob: Blob }> = []
  let last = new Blob([])

  jest.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
    last = blob as Blob

    return 'blob:test'
  })
  jest
    .spyOn(HTMLAnchorElement.prototype, 'click')
    .mockImplementation(function click(this: HTMLAnchorElement) {
      files.push({ name: this.download, blob: last })
    })

  return files
}

const textOf = async (blob: Blob) =>
  new TextDecoder('utf-8', { ignoreBOM: true }).decode(
    await blob.arrayBuffer()
  )

async function xlsxFile(rows: Array<Array<string | number>>, name: string) {
  const blob = await writeXlsxFile(rows).toBlob()

  return new File([blob], name, {
    type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  })
}

async function runToTheEnd(utils: ReturnType<typeof render>, count: number) {
  fireEvent.click(utils.getByText('Preview changes'))
  await utils.findByTestId('preview-summary')
  fireEvent.click(utils.getByText(`Update ${count} Scores`))
  await wait(() =>
    expect(utils.getByTestId('run-status').textContent).toContain('Finished')
  )
}

afterEach(() => jest.restoreAllMocks())

const rows = (n: number) =>
  Array.from({ length: n }, (_, i) => `${i + 1};${i % 3}`)
    .concat('999;1')
    .join('\n')

describe('the admin page', () => {
  it('shows empty states before a file, and an empty history', async () => {
    const utils = render(<MassiveScoreUpdate api={fakeApi()} />)

    expect(
      utils.getAllByText('Upload a spreadsheet to see what would change.')
        .length
    ).toBeGreaterThan(0)
    expect(await utils.findByText(/No job yet/)).toBeTruthy()
  })

  it('reads a semicolon CSV and says what it found', async () => {
    const utils = render(<MassiveScoreUpdate api={fakeApi()} />)

    await upload(utils, csvFile(`id;score\n${rows(29)}\n`))
    expect(utils.getByTestId('file-summary').textContent).toMatch(
      /30 rows read from scores.csv \(CSV, semicolon-separated\)/
    )
  })

  it('tells what is wrong with a file it cannot read', async () => {
    const utils = render(<MassiveScoreUpdate api={fakeApi()} />)

    fireEvent.change(utils.getByLabelText('Spreadsheet file (.csv or .xlsx)'), {
      target: { files: [csvFile('name,price\nA,1\n')] },
    })
    expect(
      await utils.findByText(/The header row must name an id column/)
    ).toBeTruthy()
  })

  it('previews page by page, never the whole file, and filters the failures', async () => {
    const api = fakeApi()
    const utils = render(<MassiveScoreUpdate api={api} />)

    await upload(utils, csvFile(`id;score\n${rows(29)}\n`))
    fireEvent.click(utils.getByText('Preview changes'))
    const summaryText = await utils.findByTestId('preview-summary')

    expect(summaryText.textContent).toBe(
      '19 would change, 10 already at that Score, 1 would fail.'
    )
    expect(api.batch).toHaveBeenCalledWith('product', expect.any(Array), true)
    const body = () => utils.getByTestId('preview-table__body')

    await wait(() => expect(body().querySelectorAll('tr')).toHaveLength(10))
    expect(body().querySelector('tr')?.textContent).toBe('2100Unchanged')
    fireEvent.click(utils.getByTestId('preview-next'))
    await wait(() =>
      expect(body().querySelector('tr')?.textContent).toBe('121101Will change')
    )
    expect(utils.getByTestId('preview-page').textContent).toContain('11')
    fireEvent.click(utils.getByLabelText('Show only rows that would fail'))
    await wait(() => expect(body().querySelectorAll('tr')).toHaveLength(1))
    expect(body().textContent).toContain('NOT_FOUND: Catalog answered 404')
    expect(body().textContent).toContain('31')
  })

  it('shows invalid rows at their line, and does not let the run start', async () => {
    const api = fakeApi({
      batch: jest.fn(async () => {
        throw new ApiError(400, 'INVALID_ITEMS', '1 of 2 items are invalid', {
          failedResponses: {
            elements: [
              [
                {
                  index: 1,
                  id: 'x',
                  score: 1,
                  success: 'false',
                  code: 'INVALID_ID',
                  errorMessage: "field 'id' must be a positive integer",
                },
              ],
            ],
          },
        })
      }),
    })
    const utils = render(<MassiveScoreUpdate api={api} />)

    await upload(utils, csvFile('id,score\n1,1\n\nx,1\n'))
    fireEvent.click(utils.getByText('Preview changes'))
    expect(await utils.findByText(/1 row is invalid/)).toBeTruthy()
    await wait(() =>
      expect(utils.getByTestId('preview-table__body').textContent).toContain(
        'INVALID_ID'
      )
    )
    expect(utils.getByTestId('preview-table__body').textContent).toMatch(/^4/)
    expect(
      (
        utils
          .getByText('Update 2 Scores')
          .closest('button') as HTMLButtonElement
      ).disabled
    ).toBe(true)
  })

  it('runs a product job and follows its progress to the end', async () => {
    let polls = 0
    const api = fakeApi({
      job: jest.fn(async () =>
        ++polls < 3
          ? summary('running', polls * 10, 30)
          : summary('done', 30, 30)
      ),
    })
    const utils = render(<MassiveScoreUpdate api={api} pollMs={5} />)

    await upload(utils, csvFile(`id;score\n${rows(29)}\n`))
    fireEvent.click(utils.getByText('Preview changes'))
    await utils.findByTestId('preview-summary')
    fireEvent.click(utils.getByText('Update 30 Scores'))
    await wait(() =>
      expect(utils.getByRole('progressbar').getAttribute('aria-valuenow')).toBe(
        '100'
      )
    )
    expect(api.startJob).toHaveBeenCalledWith(
      expect.any(Array),
      false,
      expect.any(String)
    )
    expect(utils.getByTestId('run-status').textContent).toContain('Finished')
    expect(utils.getByTestId('run-progress').textContent).toContain(
      '29 updated, 0 unchanged, 1 failed'
    )
    expect(utils.getByText('Download failed rows')).toBeTruthy()
    expect(utils.getByText('Undo this update')).toBeTruthy()
  })

  it('cancels a running job', async () => {
    const api = fakeApi({
      job: jest.fn(async () => summary('running', 10, 30)),
    })
    const utils = render(<MassiveScoreUpdate api={api} pollMs={20} />)

    await upload(utils, csvFile(`id;score\n${rows(29)}\n`))
    fireEvent.click(utils.getByText('Preview changes'))
    await utils.findByTestId('preview-summary')
    fireEvent.click(utils.getByText('Update 30 Scores'))
    await wait(() =>
      expect(utils.getByRole('progressbar').getAttribute('aria-valuenow')).toBe(
        '33'
      )
    )
    fireEvent.click(utils.getByText('Cancel'))
    await wait(() => expect(api.cancel).toHaveBeenCalledWith('job-1'))
    utils.unmount()
  })

  it('runs categories as synchronous batches, without a job', async () => {
    const api = fakeApi()
    const utils = render(<MassiveScoreUpdate api={api} />)

    fireEvent.click(utils.getByLabelText('Categories'))
    await upload(utils, csvFile('id,score\n1,5\n999,1\n'))
    fireEvent.click(utils.getByText('Preview changes'))
    await utils.findByTestId('preview-summary')
    fireEvent.click(utils.getByText('Update 2 Scores'))
    await wait(() =>
      expect(utils.getByTestId('run-status').textContent).toContain('Finished')
    )
    expect(api.startJob).not.toHaveBeenCalled()
    expect(api.batch).toHaveBeenLastCalledWith(
      'category',
      [
        { id: '1', score: '5' },
        { id: '999', score: '1' },
      ],
      false
    )
    expect(utils.getByTestId('run-progress').textContent).toContain(
      '1 updated, 0 unchanged, 1 failed'
    )
  })

  it('says so when the session expired, and the history offers a retry', async () => {
    const expired = new ApiError(401, 'UNAUTHORIZED', 'no credentials')
    const api = fakeApi({ jobs: jest.fn(async () => Promise.reject(expired)) })
    const utils = render(<MassiveScoreUpdate api={api} />)

    expect(
      await utils.findByText(
        'Your session has expired: log in to the admin again.'
      )
    ).toBeTruthy()
    expect(utils.getByText('Try again')).toBeTruthy()
  })

  it('lists recent jobs with status and counts, and reopens one', async () => {
    const api = fakeApi({
      jobs: jest.fn(async () => ({
        jobs: [
          {
            jobId: 'job-1',
            kind: 'product' as const,
            total: 30,
            dryRun: false,
            createdAt: '2026-01-01T00:00:00.000Z',
            startedBy: { kind: 'user', login: 'ana@example.com' },
          },
        ],
      })),
    })
    const utils = render(<MassiveScoreUpdate api={api} />)

    expect(await utils.findByText('ana@example.com')).toBeTruthy()
    await utils.findByText('29 updated, 0 unchanged, 1 failed')
    fireEvent.click(
      utils.getByText('Open job job-1').closest('button') as HTMLElement
    )
    await wait(() =>
      expect(utils.getByTestId('run-status').textContent).toContain('Job job-1')
    )
  })

  it("downloads a job's failed rows from the app in the upload's delimiter, BOM and all", async () => {
    const files = captureDownloads()
    const api = fakeApi()
    const utils = render(<MassiveScoreUpdate api={api} />)

    await upload(utils, csvFile(`id;score\n${rows(29)}\n`))
    await runToTheEnd(utils, 30)
    fireEvent.click(utils.getByText('Download failed rows'))
    await wait(() => expect(files).toHaveLength(1))
    expect(api.failedRows).toHaveBeenCalledWith('job-1', 'semicolon')
    expect(files[0].name).toBe('scores-failed.csv')
    // The app's bytes, not rewritten: the BOM and the report's columns as sent.
    expect(await textOf(files[0].blob)).toBe(
      '\uFEFFid;score;previousScore;success;code;error;errorMessage\r\n999;1;;false;NOT_FOUND;404;x\r\n'
    )
  })

  it('writes the failed rows of a category CSV with the report columns, in its delimiter, inert', async () => {
    const files = captureDownloads()
    const api = fakeApi({
      batch: jest.fn(async (_kind, items) => {
        const answer = batchAnswer(items)

        answer.failedResponses.elements.forEach((element) => {
          element.error = 404
          element.errorMessage = '=HYPERLINK("x"); not found'
        })

        return answer
      }),
    })
    const utils = render(<MassiveScoreUpdate api={api} />)

    fireEvent.click(utils.getByLabelText('Categories'))
    await upload(utils, csvFile('id\tscore\n1\t5\n999\t1\n', 'cats.tsv'))
    await runToTheEnd(utils, 2)
    fireEvent.click(utils.getByText('Download failed rows'))
    await wait(() => expect(files).toHaveLength(1))
    expect(files[0].name).toBe('cats-failed.tsv')
    expect(await textOf(files[0].blob)).toBe(
      '\uFEFFid\tscore\tpreviousScore\tsuccess\tcode\terror\terrorMessage\r\n' +
        `999\t1\t\tfalse\tNOT_FOUND\t404\t"'=HYPERLINK(""x""); not found"\r\n`
    )
    expect(api.failedRows).not.toHaveBeenCalled()
  })

  it('gives the failed rows of an .xlsx category run back as an .xlsx that uploads again', async () => {
    const files = captureDownloads()
    const api = fakeApi()
    const utils = render(<MassiveScoreUpdate api={api} />)

    fireEvent.click(utils.getByLabelText('Categories'))
    await upload(
      utils,
      await xlsxFile(
        [
          ['Category ID', 'Name', 'Score'],
          [1, 'Shoes', 5],
          [999, 'Ghost', 1],
        ],
        'categories.xlsx'
      )
    )
    expect(utils.getByTestId('file-summary').textContent).toContain(
      '(Excel workbook)'
    )
    await runToTheEnd(utils, 2)
    fireEvent.click(utils.getByText('Download failed rows'))
    await wait(() => expect(files).toHaveLength(1))
    expect(files[0].name).toBe('categories-failed.xlsx')
    expect(await readSheet(files[0].blob)).toEqual([
      [
        'id',
        'score',
        'previousScore',
        'success',
        'code',
        'error',
        'errorMessage',
      ],
      [999, 1, null, 'false', 'NOT_FOUND', null, 'Catalog answered 404'],
    ])
    await upload(
      utils,
      new File([files[0].blob], files[0].name, { type: files[0].blob.type })
    )
    expect(utils.getByTestId('file-summary').textContent).toMatch(
      /^1 row read from categories-failed.xlsx \(Excel workbook\)/
    )
  })

  it("turns a product job's report into an .xlsx for an .xlsx upload: numbers as numbers, text never a formula", async () => {
    const files = captureDownloads()
    const api = fakeApi({
      failedRows: jest.fn(
        async () =>
          new Blob([
            '\uFEFFid,score,previousScore,success,code,error,errorMessage\r\n' +
              `999,1,,false,NOT_FOUND,404,"'=cmd|' /C calc'!A0, x"\r\n` +
              "7,-2,,false,CATALOG_ERROR,500,'-not a formula\r\n",
          ])
      ),
    })
    const utils = render(<MassiveScoreUpdate api={api} />)

    await upload(
      utils,
      await xlsxFile(
        [['id', 'score'], ...Array.from({ length: 30 }, (_, i) => [i + 1, 2])],
        'products.xlsx'
      )
    )
    await runToTheEnd(utils, 30)
    fireEvent.click(utils.getByText('Download failed rows'))
    await wait(() => expect(files).toHaveLength(1))
    expect(api.failedRows).toHaveBeenCalledWith('job-1')
    expect(files[0].name).toBe('products-failed.xlsx')
    const sheet = await readSheet(files[0].blob)

    expect(sheet.slice(1)).toEqual([
      [999, 1, null, 'false', 'NOT_FOUND', 404, "=cmd|' /C calc'!A0, x"],
      [7, -2, null, 'false', 'CATALOG_ERROR', 500, '-not a formula'],
    ])
  })
})
