/**
 * CSV uploads as spreadsheets save them, through the real runtime. Each file
 * is laid out byte for byte the way the named export writes it: Excel's
 * "CSV UTF-8" (BOM, CRLF, semicolons where the decimal separator is a comma,
 * an LF inside a quoted multi-line cell), Excel's "Unicode Text" (UTF-16 LE
 * with a BOM, tabs), Google Sheets' CSV and TSV downloads (no BOM, CRLF, no
 * final line break). The emulator's final state is the verdict.
 */
import {
  PRODUCT_PATH,
  Stack,
  startStack,
  USER_TOKEN,
  withoutScore,
} from '../helpers/e2e'

let stack: Stack

beforeAll(async () => {
  stack = await startStack({ seed: { products: 40, categories: 2 } })
})

afterAll(() => stack?.close())

beforeEach(() => stack.emulator.resetStats())

async function upload(body: Buffer | string, path = PRODUCT_PATH) {
  const response = await fetch(`${stack.service.url}${path}`, {
    method: 'PUT',
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      VtexIdclientAutCookie: USER_TOKEN,
    },
    body,
  })

  return { status: response.status, body: (await response.json()) as any }
}

const utf8Bom = (text: string) => Buffer.from(`\uFEFF${text}`, 'utf8')
const utf16LeBom = (text: string) =>
  Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])

/** Uploads `file`, which must set ids[i] to scores[i], and checks the Catalog: only those Scores changed. */
async function expectWritten(
  file: Buffer | string,
  ids: number[],
  scores: number[]
) {
  const before = stack.emulator.snapshot().products
  const { status, body } = await upload(file)

  expect(status).toBe(200)
  expect(body.failedResponses.quantity).toBe(0)
  expect(
    body.successfulResponses.elements.map((e: { id: number }) => e.id)
  ).toEqual(ids)

  const after = stack.emulator.snapshot().products

  ids.forEach((id, i) => {
    expect(after[id].Score).toBe(scores[i])
    expect(withoutScore(after[id])).toBe(withoutScore(before[id]))
  })
  // Nothing else in the Catalog moved.
  for (const id of Object.keys(before)) {
    if (!ids.includes(Number(id))) expect(after[id]).toEqual(before[id])
  }

  expect(stack.emulator.stats().requests.PUT).toBe(
    ids.filter((id, i) => before[id].Score !== scores[i]).length
  )
}

describe('spreadsheet exports are written as they read', () => {
  it('Excel pt-BR "CSV UTF-8": BOM, semicolons, CRLF, decimal commas, a quoted name with a semicolon and a line break', async () => {
    const file = utf8Bom(
      'Nome;id;score;Preço\r\n' +
        '"Camisa; azul";1;41;19,90\r\n' +
        '"Caneca ""XL""\nlouça";2;42;9,50\r\n' +
        'Prato;3;43;12,00\r\n'
    )

    await expectWritten(file, [1, 2, 3], [41, 42, 43])
  })

  it('Excel en-US "CSV UTF-8": BOM, commas, CRLF, quoted names with commas and quotes', async () => {
    const file = utf8Bom(
      'Name,ID,Score,Notes\r\n' +
        '"Shirt, blue",4,44,\r\n' +
        '"Mug ""XL"", white",5,45,"fragile, handle with care"\r\n' +
        'Plate,6,46,\r\n'
    )

    await expectWritten(file, [4, 5, 6], [44, 45, 46])
  })

  it('Excel pt-BR "CSV (separado por vírgulas)": Windows-1252, no BOM, semicolons, CRLF', async () => {
    // Not UTF-8: the accented names decode to replacement characters, which only the ignored column holds.
    const file = Buffer.from(
      'Nome;id;score\r\n"Camisa; algodão";16;56\r\nCaneca térmica;17;57\r\n',
      'latin1'
    )

    await expectWritten(file, [16, 17], [56, 57])
  })

  it('Excel "Unicode Text": UTF-16 LE with a BOM, tabs, CRLF, a quoted name with a tab', async () => {
    const file = utf16LeBom(
      'Name\tid\tscore\r\n' +
        '"Shirt\tblue"\t7\t47\r\n' +
        'Café crème\t8\t48\r\n'
    )

    await expectWritten(file, [7, 8], [47, 48])
  })

  it('Google Sheets CSV: no BOM, commas, CRLF, quoted names, no final line break', async () => {
    const file =
      'name,id,score\r\n' +
      '"Shirt, blue; navy",9,49\r\n' +
      '"Mug ""XL""",10,50\r\n' +
      'Plate,11,51'

    await expectWritten(file, [9, 10, 11], [49, 50, 51])
  })

  it('Google Sheets TSV: tabs, CRLF, commas and semicolons unquoted', async () => {
    const file =
      'name\tid\tscore\r\n' + 'Shirt, blue; navy\t12\t52\r\n' + 'Mug\t13\t53'

    await expectWritten(file, [12, 13], [52, 53])
  })

  it('Excel rows missing only trailing empty cells, and an empty row, are read', async () => {
    const file = utf8Bom('id;score;note;\r\n14;54\r\n;;;\r\n15;55;;\r\n')

    await expectWritten(file, [14, 15], [54, 55])
  })
})

describe('files that could write the wrong thing are refused whole', () => {
  const expectRefused = async (
    file: Buffer | string,
    code: string,
    message: RegExp
  ) => {
    const before = stack.emulator.snapshot()
    const { status, body } = await upload(file)

    expect(status).toBe(400)
    expect(body.error.code).toBe(code)
    expect(body.error.message).toMatch(message)
    expect(stack.emulator.stats().requests.total).toBe(0)
    expect(stack.emulator.snapshot()).toEqual(before)
  }

  it('a row with an unquoted comma in its name (more cells than the header)', async () => {
    await expectRefused(
      'name,id,score\r\nMug,18,56\r\nShirt, blue,19,57\r\n',
      'CSV_RAGGED_ROW',
      /^Line 3, column 4 \(D\): this row has 4 cells but the header has 3/
    )
  })

  it('a row missing a cell in the middle (fewer cells than the header)', async () => {
    await expectRefused(
      'name;id;score\r\nMug;16;56\r\n17;57\r\n',
      'CSV_RAGGED_ROW',
      /^Line 3, column 3 \(C\): this row has 2 cells/
    )
  })

  it('a header naming id twice', async () => {
    await expectRefused(
      'id;sku;ID;score\r\n16;x;17;56\r\n',
      'CSV_DUPLICATE_COLUMN',
      /twice: 'id' in column 1 \(A\) and 'ID' in column 3 \(C\)/
    )
  })

  it('an unclosed quote, cited where it opens', async () => {
    await expectRefused(
      utf8Bom('name;id;score\r\nMug;16;56\r\n"Shirt;17;57\r\nPlate;18;58\r\n'),
      'INVALID_CSV',
      /^Line 3, column 1 \(A\): this cell opens a quote/
    )
  })

  it('a semicolon file whose header lacks score names what it read', async () => {
    await expectRefused(
      'id;pontuação\r\n16;56\r\n',
      'CSV_MISSING_COLUMNS',
      /semicolon as the delimiter, it names 'id', 'pontuação'/
    )
  })

  it('a decimal score from a pt-BR sheet fails validation at its line', async () => {
    const before = stack.emulator.snapshot()
    const { status, body } = await upload('id;score\r\n16;56\r\n17;4,5\r\n')

    expect(status).toBe(400)
    expect(body.error.code).toBe('INVALID_ITEMS')
    expect(body.failedResponses.elements[0][0]).toMatchObject({
      index: 1,
      line: 3,
      code: 'INVALID_SCORE',
    })
    expect(stack.emulator.stats().requests.total).toBe(0)
    expect(stack.emulator.snapshot()).toEqual(before)
  })
})
