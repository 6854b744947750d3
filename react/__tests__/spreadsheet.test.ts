import { parseCsv, SheetError, toCsv } from '../utils/spreadsheet'
import { readSpreadsheet } from '../utils/readFile'

describe('reading a CSV as spreadsheets save it', () => {
  it('reads a semicolon file from Excel in Portuguese, with a BOM, quotes and other columns', () => {
    const sheet = parseCsv(
      '\uFEFFNome;id;score;Preço\r\n"Camisa; azul";1;10;19,90\r\nCaneca;2;20;9,50\r\n'
    )

    expect(sheet.delimiter).toBe(';')
    expect(sheet.items).toEqual([
      { id: '1', score: '10', line: 2 },
      { id: '2', score: '20', line: 3 },
    ])
  })

  it('reads commas and tabs, and finds id headers such as "Product ID"', () => {
    expect(parseCsv('Product ID,Score\n5,1\n').items).toEqual([
      { id: '5', score: '1', line: 2 },
    ])
    expect(parseCsv('score\t_IDProduto (Não alterável)\n3\t7\n').items).toEqual(
      [{ id: '7', score: '3', line: 2 }]
    )
  })

  it('keeps the file line of each row, across quoted line breaks and empty rows', () => {
    const sheet = parseCsv('id,score,note\n1,2,"two\nlines"\n,,\n3,4,x\n')

    expect(sheet.items.map((item) => item.line)).toEqual([2, 5])
  })

  it('keeps cells as they are (the app says what is wrong with them)', () => {
    expect(parseCsv('id;score\n 12;4,5\n').items[0]).toEqual({
      id: ' 12',
      score: '4,5',
      line: 2,
    })
  })

  it.each([
    ['', 'EMPTY_FILE'],
    ['id,score\n', 'NO_ROWS'],
    ['name,price\nA,1\n', 'MISSING_COLUMNS'],
    ['id,score\n"1,2\n', 'UNCLOSED_QUOTE'],
  ])('refuses %j with %s', (text, code) => {
    expect(() => parseCsv(text)).toThrow(SheetError)
    try {
      parseCsv(text)
    } catch (error) {
      expect((error as SheetError).code).toBe(code)
    }
  })

  it('reads UTF-16 files (Excel "Unicode Text")', async () => {
    const text = 'id\tscore\r\n9\t1\r\n'
    const bytes = new Uint8Array(2 + text.length * 2)

    bytes[0] = 0xff
    bytes[1] = 0xfe
    for (let i = 0; i < text.length; i++) bytes[2 + i * 2] = text.charCodeAt(i)
    const sheet = await readSpreadsheet(new Blob([bytes]), ',')

    expect(sheet.items).toEqual([{ id: '9', score: '1', line: 2 }])
  })

  it('reads an .xlsx through the xlsx reader, numbers as the cells hold them', async () => {
    const zip = new Uint8Array([0x50, 0x4b, 3, 4])
    const readXlsx = jest.fn(async () => [
      { cells: ['id', 'score'], line: 1 },
      { cells: ['4', '-2'], line: 2 },
    ])
    const sheet = await readSpreadsheet(new Blob([zip]), ';', readXlsx)

    expect(readXlsx).toHaveBeenCalled()
    expect(sheet).toMatchObject({
      format: 'xlsx',
      delimiter: ';',
      items: [{ id: '4', score: '-2', line: 2 }],
    })
  })

  it('refuses an old .xls', async () => {
    await expect(
      readSpreadsheet(new Blob([new Uint8Array([0xd0, 0xcf, 0x11, 0xe0])]), ',')
    ).rejects.toMatchObject({
      code: 'NOT_A_SPREADSHEET',
    })
  })
})

describe('writing CSV', () => {
  it('quotes cells that hold the delimiter, quotes or line breaks', () => {
    expect(toCsv([['a;b', 'say "hi"', 'x']], ';')).toBe(
      '\uFEFF"a;b";"say ""hi""";x\r\n'
    )
  })
})
