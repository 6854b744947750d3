/**
 * The spreadsheet round trip, through the real runtime: a semicolon sheet
 * comes back as a semicolon sheet with a BOM, the report and the failed
 * rows share their columns, no cell can run as a formula, and errors speak
 * the file's words.
 */
import { parse } from 'csv-parse/sync'

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
const COLUMNS = [
  'id',
  'score',
  'previousScore',
  'success',
  'code',
  'error',
  'errorMessage',
]
/** What a Catalog message could hold that a spreadsheet would run or split. */
const HOSTILE = '=HYPERLINK("http://x";"y"); @SUM(1+1) -2 +3\tend, done'

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

const csvHeaders = (extra: Record<string, string> = {}) => ({
  'Content-Type': 'text/csv; charset=utf-8',
  ...extra,
})

/** The cells a spreadsheet reads from a sheet the app wrote. */
const cellsOf = (text: string, delimiter: string) =>
  parse(text.replace(/^\uFEFF/, ''), { delimiter }) as string[][]

const score = (id: number) => stack.emulator.snapshot().products[id].Score

const finished = (jobId: string) => finishedJob(stack.service, jobId, AUTH)

describe('the spreadsheet round trip is Excel-native', () => {
  it('a semicolon job comes back as semicolon sheets with a BOM; the failed rows share the columns and upload again', async () => {
    const unchanged = score(2)

    stack.emulator.configure({
      faults: [
        {
          kind: 'product',
          method: 'GET',
          ids: [3],
          action: { type: 'status', status: 400, message: HOSTILE },
        },
      ],
    })
    const queued = await call('PUT', `${PRODUCT_PATH}?async=true`, {
      headers: csvHeaders(),
      body: Buffer.from(
        '\uFEFFNome;Product ID;Score\r\n' +
          '"Camisa; azul";1;71\r\n' +
          `Caneca;2;${unchanged}\r\n` +
          'Prato;3;73\r\n' +
          'Copo;999999;74\r\n',
        'utf8'
      ),
    })

    expect(queued.status).toBe(202)
    const summary = await finished(queued.body.jobId)

    expect(summary.counts).toEqual({
      UPDATED: 1,
      UNCHANGED: 1,
      UPSTREAM_REJECTED: 1,
      NOT_FOUND: 1,
    })

    const report = await call(
      'GET',
      `${JOBS}/${queued.body.jobId}/report.csv?delimiter=semicolon`
    )

    expect(report.status).toBe(200)
    expect(report.type).toBe('text/csv; charset=utf-8')
    expect([...report.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    expect(report.text.split('\r\n')[0]).toBe(`\uFEFF${COLUMNS.join(';')}`)
    const rows = cellsOf(report.text, ';')

    expect(rows.map((row) => row.slice(0, 5))).toEqual([
      COLUMNS.slice(0, 5),
      ['1', '71', expect.any(String), 'true', 'UPDATED'],
      ['2', String(unchanged), String(unchanged), 'true', 'UNCHANGED'],
      ['3', '73', '', 'false', 'UPSTREAM_REJECTED'],
      ['999999', '74', '', 'false', 'NOT_FOUND'],
    ])
    // The Catalog's message, with ; = @ + - and a tab, is one cell that runs nothing.
    expect(rows[3]).toHaveLength(COLUMNS.length)
    expect(rows[3][6]).toContain(HOSTILE)
    expect(rows[3][6]).not.toMatch(/^[=+\-@\t\r]/)

    const failed = await call(
      'GET',
      `${JOBS}/${queued.body.jobId}/report.csv?only=failed&delimiter=semicolon`
    )

    expect(failed.text.startsWith(`\uFEFF${COLUMNS.join(';')}\r\n`)).toBe(true)
    expect(cellsOf(failed.text, ';')).toEqual([rows[0], rows[3], rows[4]])

    // Fixed in the spreadsheet (here: as it is), the failed rows go up again: only id and score are read.
    stack.emulator.configure({ faults: null })
    const again = await call('PUT', `${PRODUCT_PATH}?dryRun=true`, {
      headers: csvHeaders({ Accept: 'text/csv' }),
      body: failed.bytes,
    })

    expect(again.status).toBe(200)
    expect(cellsOf(again.text, ';').map((row) => row.slice(0, 5))).toEqual([
      COLUMNS.slice(0, 5),
      ['3', '73', expect.any(String), 'true', 'DRY_RUN'],
      ['999999', '74', '', 'false', 'NOT_FOUND'],
    ])
  })

  it.each([
    ['comma', ',', 'text/csv; charset=utf-8'],
    ['tab', '\t', 'text/tab-separated-values; charset=utf-8'],
  ])(
    'a report asked ?delimiter=%s comes in that delimiter',
    async (name, delimiter, type) => {
      const queued = await call('PUT', `${PRODUCT_PATH}?async=true`, {
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify([{ id: 5, score: 75 }]),
      })

      await finished(queued.body.jobId)
      const report = await call(
        'GET',
        `${JOBS}/${queued.body.jobId}/report.csv?delimiter=${name}`
      )

      expect(report.type).toBe(type)
      expect(report.text.split('\r\n')[0]).toBe(
        `\uFEFF${COLUMNS.join(delimiter)}`
      )
    }
  )

  it('a synchronous semicolon upload with Accept: text/csv answers the same sheet, in its delimiter, with a BOM', async () => {
    const before = score(7)
    const answer = await call('PUT', PRODUCT_PATH, {
      headers: csvHeaders({ Accept: 'text/csv' }),
      body: `_IDProduto (Não alterável);_NomeProduto;Score\r\n6;Copo;76\r\n7;Prato;${before}\r\n999998;Nada;1\r\n`,
    })

    expect(answer.status).toBe(200)
    expect(answer.type).toBe('text/csv; charset=utf-8')
    expect(answer.text.startsWith(`\uFEFF${COLUMNS.join(';')}\r\n`)).toBe(true)
    expect(cellsOf(answer.text, ';').map((row) => row.slice(0, 5))).toEqual([
      COLUMNS.slice(0, 5),
      ['6', '76', expect.any(String), 'true', 'UPDATED'],
      ['7', String(before), String(before), 'true', 'UNCHANGED'],
      ['999998', '1', '', 'false', 'NOT_FOUND'],
    ])
    expect(score(6)).toBe(76)
  })

  it('a tab-separated category sheet with a "Category ID" column answers in tabs', async () => {
    const answer = await call('PUT', `${CATEGORY_PATH}?dryRun=true`, {
      headers: csvHeaders({ Accept: 'text/csv' }),
      body: 'Category ID\tName\tScore\r\n1\tShoes\t5\r\n2\tShirts\t6\r\n',
    })

    expect(answer.status).toBe(200)
    expect(answer.type).toBe('text/tab-separated-values; charset=utf-8')
    expect(cellsOf(answer.text, '\t').map((row) => row.slice(0, 5))).toEqual([
      COLUMNS.slice(0, 5),
      ['1', '5', expect.any(String), 'true', 'DRY_RUN'],
      ['2', '6', expect.any(String), 'true', 'DRY_RUN'],
    ])
    expect(stack.emulator.stats().requests.PUT).toBe(0)
  })

  it('errors speak the file: its line, the column name it uses, no decimals or thousands separators', async () => {
    const before = stack.emulator.snapshot()
    const answer = await call('PUT', PRODUCT_PATH, {
      headers: csvHeaders({ Accept: 'text/csv' }),
      body: 'Nome;Product ID;Score\r\nCamisa;8;78\r\n\r\nCaneca;1.234;4,5\r\n',
    })

    expect(answer.status).toBe(400)
    expect(answer.body.error.code).toBe('INVALID_ITEMS')
    expect(answer.body.failedResponses.elements[0]).toEqual([
      expect.objectContaining({
        line: 4,
        code: 'INVALID_ID',
        errorMessage:
          "Line 4, 'Product ID' column (B): '1.234' is not a product id. Write the id as the Catalog shows it: a whole number above 0, with no decimals or thousands separators.",
      }),
      expect.objectContaining({
        line: 4,
        code: 'INVALID_SCORE',
        errorMessage:
          "Line 4, 'Score' column (C): '4,5' is not a whole number. Write the Score with no decimals or thousands separators, from -2147483648 to 2147483647.",
      }),
    ])
    expect(stack.emulator.stats().requests.total).toBe(0)
    expect(stack.emulator.snapshot()).toEqual(before)
  })
})
