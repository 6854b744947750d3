import { parse } from 'csv-parse/sync'

import { prefersCsv } from '../../input/accept'
import { parseCsvBatch } from '../../input/csv'
import { spreadsheetProblems } from '../../input/csvMessages'
import {
  BOM,
  csvCell,
  delimiterNamed,
  envelopeSheet,
  RESULT_COLUMNS,
  resultCells,
  resultSheet,
  toCsv,
} from '../../jobs/csvWriter'
import type { ResultRow } from '../../jobs/results'
import { buildEnvelope } from '../../scores/envelope'
import { validateBatch } from '../../scores/validate'

/** What a spreadsheet would read: csv-parse, as RFC 4180 reads the file. */
const cellsOf = (text: string, delimiter: string) =>
  parse(text.replace(/^\uFEFF/, ''), { delimiter }) as string[][]

describe('csvCell: no cell runs as a formula (OWASP CSV injection)', () => {
  it.each([
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ['+1+cmd|/C calc!A0', "'+1+cmd|/C calc!A0"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', `"'\t=1"`],
    ['\r=1', `"'\r=1"`],
    ['a;b', '"a;b"'],
    ['a,b', '"a,b"'],
    ['a\tb', '"a\tb"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['plain text', 'plain text'],
  ])('writes %p as %p', (value, written) => {
    expect(csvCell(value)).toBe(written)
  })

  it('writes numbers as numbers, negative ones too', () => {
    expect(csvCell(-5)).toBe('-5')
    expect(csvCell(0)).toBe('0')
    expect(csvCell(undefined)).toBe('')
    expect(csvCell(null)).toBe('')
  })

  it.each([[','], [';'], ['\t']])(
    'a Catalog message with ; = @ + - and a tab stays one inert cell with %p',
    (delimiter) => {
      const message = '=cmd|; @x +1 -2\tend, "q"\r\nnext'
      const text = toCsv(['id', 'message'], [[1, message]], delimiter as ',')
      const [, row] = cellsOf(text, delimiter)

      expect(row).toEqual(['1', `'${message}`])
    }
  )
})

const rows: ResultRow[] = [
  { index: 0, id: 1, score: 10, previousScore: 1, success: 'true' },
  {
    index: 1,
    id: 2,
    score: -20,
    previousScore: 20,
    unchanged: true,
    success: 'true',
  },
  {
    index: 2,
    id: 3,
    score: 30,
    success: 'false',
    error: 404,
    code: 'NOT_FOUND',
    errorMessage: 'Catalog answered 404; =1+1',
    attempts: 1,
  },
  {
    index: 3,
    id: 4,
    score: 40,
    previousScore: 4,
    dryRun: true,
    success: 'true',
  },
  { index: 4, id: 5, score: 50, success: 'pending' },
]

describe('result sheets', () => {
  it('tells updated, unchanged, dry-run, failed and pending rows apart by code', () => {
    expect(rows.map(resultCells)).toEqual([
      [1, 10, 1, 'true', 'UPDATED', '', ''],
      [2, -20, 20, 'true', 'UNCHANGED', '', ''],
      [3, 30, '', 'false', 'NOT_FOUND', 404, 'Catalog answered 404; =1+1'],
      [4, 40, 4, 'true', 'DRY_RUN', '', ''],
      [5, 50, '', 'pending', 'PENDING', '', ''],
    ])
  })

  const sheet = async (format: Parameters<typeof resultSheet>[2]) => {
    const pieces: string[] = []

    for await (const piece of resultSheet(
      async (chunk) => (chunk === 0 ? rows.slice(0, 3) : rows.slice(3)),
      2,
      format
    ))
      pieces.push(piece)

    return pieces.join('')
  }

  it('streams a BOM, the header and every row, in the delimiter asked for', async () => {
    const text = await sheet({ delimiter: ';' })

    expect(text.startsWith(`${BOM}id;score;previousScore;success;code;`)).toBe(
      true
    )
    expect(text).toContain(
      `\r\n3;30;;false;NOT_FOUND;404;"Catalog answered 404; =1+1"\r\n`
    )
    expect(cellsOf(text, ';')).toHaveLength(1 + rows.length)
  })

  it('gives the failed rows in the same columns, codes included', async () => {
    const text = await sheet({ delimiter: '\t', only: 'failed' })

    expect(cellsOf(text, '\t')).toEqual([
      RESULT_COLUMNS,
      [
        '3',
        '30',
        '',
        'false',
        'NOT_FOUND',
        '404',
        'Catalog answered 404; =1+1',
      ],
    ])
  })

  it('uploads again as it is: only id and score are read', async () => {
    const text = await sheet({ delimiter: ';', only: 'failed' })

    expect(parseCsvBatch(text).items).toEqual([{ id: '3', score: '30' }])
  })

  it('answers a synchronous envelope as the same sheet, in request order', () => {
    const envelope = buildEnvelope(
      [
        { index: 0, id: 7, score: 1 },
        { index: 1, id: 8, score: 2 },
      ],
      [
        {
          ok: false,
          failure: { status: 404, code: 'NOT_FOUND', message: '@nope' },
          attempts: 1,
        },
        { ok: true, value: { previousScore: 5 }, attempts: 1 },
      ] as never
    )
    const text = envelopeSheet(envelope, ',')

    expect(text.startsWith(BOM)).toBe(true)
    expect(cellsOf(text, ',')).toEqual([
      RESULT_COLUMNS,
      ['7', '1', '', 'false', 'NOT_FOUND', '404', "'@nope"],
      ['8', '2', '5', 'true', 'UPDATED', '', ''],
    ])
  })

  it.each([
    ['comma', ','],
    ['semicolon', ';'],
    ['tab', '\t'],
    ['constructor', undefined],
    [';', undefined],
    [['comma', 'tab'], undefined],
  ])('reads ?delimiter=%p as %p', (name, delimiter) => {
    expect(delimiterNamed(name)).toBe(delimiter)
  })
})

describe('prefersCsv', () => {
  it.each([
    [undefined, false],
    ['*/*', false],
    ['application/json', false],
    ['text/csv', true],
    ['text/csv; charset=utf-8', true],
    ['Text/CSV', true],
    ['text/csv, application/json', true],
    ['application/json, text/csv', false],
    ['application/json;q=0.5, text/csv', true],
    ['text/csv;q=0.5, application/json', false],
    ['text/csv;q=0.5, */*;q=0.1', true],
    ['text/csv;q=0', false],
  ])('%p: %p', (accept, csv) => {
    expect(prefersCsv(accept)).toBe(csv)
  })
})

describe('spreadsheetProblems', () => {
  const problemsOf = (
    text: string,
    kind: 'product' | 'category' = 'product'
  ) => {
    const batch = parseCsvBatch(text, kind)
    const validation = validateBatch(batch.items, {
      maxItems: 100,
      lineOf: (index) => batch.lines[index],
    })

    if (validation.ok) throw new Error('expected invalid rows')

    return spreadsheetProblems(validation.invalid, batch, kind).flatMap(
      (item) => item.problems.map((p) => [item.line, p.code, p.message])
    )
  }

  it('speaks the file: its line numbers, its column names and letters, its cells', () => {
    expect(
      problemsOf(
        'Nome;Product ID;Pontos;Score\r\n' +
          'a;5;x;4,5\r\n' +
          'b;1.234;x;3\r\n' +
          'c;5;x;7\r\n' +
          'd;;x;\r\n' +
          'e;6;x; 8\r\n'
      )
    ).toEqual([
      [
        2,
        'INVALID_SCORE',
        "Line 2, 'Score' column (D): '4,5' is not a whole number. Write the Score with no decimals or thousands separators, from -2147483648 to 2147483647.",
      ],
      [
        3,
        'INVALID_ID',
        "Line 3, 'Product ID' column (B): '1.234' is not a product id. Write the id as the Catalog shows it: a whole number above 0, with no decimals or thousands separators.",
      ],
      [
        4,
        'DUPLICATE_ID',
        "Line 4, 'Product ID' column (B): product 5 is also on line 2. Keep one of the two rows.",
      ],
      [
        5,
        'MISSING_FIELD',
        "Line 5, 'Product ID' column (B): the cell is empty. Fill in the product id, or delete the row.",
      ],
      [
        5,
        'MISSING_FIELD',
        "Line 5, 'Score' column (D): the cell is empty. Fill in the Score (a whole number), or delete the row.",
      ],
      [
        6,
        'INVALID_SCORE',
        "Line 6, 'Score' column (D): ' 8' is not a whole number. Write the Score with no decimals or thousands separators, from -2147483648 to 2147483647. Remove the spaces around '8'.",
      ],
    ])
  })

  it('names category ids on the category route', () => {
    expect(problemsOf('Category ID,score\r\n0,1\r\n', 'category')).toEqual([
      [
        2,
        'INVALID_ID',
        "Line 2, 'Category ID' column (A): '0' is not a category id. Write the id as the Catalog shows it: a whole number above 0, with no decimals or thousands separators.",
      ],
    ])
  })
})
