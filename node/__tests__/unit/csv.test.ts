import { columnLetter, detectDelimiter, parseCsvBatch } from '../../input/csv'
import { validateBatch } from '../../scores/validate'
import { requestErrorOf } from '../helpers/requestErrorOf'

const refusal = (text: string) => requestErrorOf(() => parseCsvBatch(text))

describe('detectDelimiter', () => {
  it.each([
    ['id,score\r\n1,2', ','],
    ['id;score\r\n1;2', ';'],
    ['id\tscore\r\n1\t2', '\t'],
    // A comma inside a quoted header cell does not make it comma-separated.
    ['"name, full";id;score\r\n"a, b";1;2', ';'],
    // The header decides, whatever the rows hold.
    ['name;id;score\r\n"x,y,z,w";1;2', ';'],
    // Decimal commas in a semicolon file (Excel in pt-BR, es, fr, de).
    ['id;score;price\r\n1;2;3,50', ';'],
    ['Name\tID\tScore\r\nShirt, blue; red\t1\t2', '\t'],
  ])('reads %p as delimited by %p', (text, delimiter) => {
    expect(detectDelimiter(text)).toBe(delimiter)
  })

  it('falls back to the most frequent candidate, then a comma', () => {
    expect(detectDelimiter('a;b;c\r\n')).toBe(';')
    expect(detectDelimiter('nothing')).toBe(',')
  })
})

describe('columnLetter', () => {
  it.each([
    [1, 'A'],
    [26, 'Z'],
    [27, 'AA'],
    [52, 'AZ'],
    [703, 'AAA'],
  ])('names column %p %p', (column, letter) => {
    expect(columnLetter(column)).toBe(letter)
  })
})

describe('parseCsvBatch: what spreadsheets write', () => {
  const expected = {
    items: [
      { id: '5', score: '40' },
      { id: '6', score: '0' },
    ],
    lines: [2, 3],
  }

  it.each([
    [
      'Excel pt-BR "CSV UTF-8": BOM, semicolons, CRLF, decimal commas',
      '\uFEFFNome;id;score;Preço\r\n"Camisa; azul";5;40;19,90\r\nCaneca;6;0;9,50\r\n',
    ],
    [
      'Excel en-US "CSV UTF-8": BOM, commas, CRLF, quoted names',
      '\uFEFFName,id,score\r\n"Shirt, blue",5,40\r\n"Mug ""XL""",6,0\r\n',
    ],
    [
      'Google Sheets CSV: no BOM, commas, CRLF, no trailing line break',
      'Name,id,score\r\n"Shirt, blue",5,40\r\nMug,6,0',
    ],
    [
      'Google Sheets TSV: tabs, CRLF',
      'Name\tid\tscore\r\nShirt, blue; navy\t5\t40\r\nMug\t6\t0\r\n',
    ],
    [
      'Excel "Text (Tab delimited)": tabs, quoted tab inside a cell',
      'Name\tid\tscore\r\n"Shirt\tblue"\t5\t40\r\nMug\t6\t0\r\n',
    ],
    ['LF line ends', 'name,id,score\n"Shirt, blue",5,40\nMug,6,0\n'],
  ])('%s', (_name, text) => {
    expect(parseCsvBatch(text)).toMatchObject(expected)
  })

  it('cites the line a row starts on, after a multi-line cell and blank lines', () => {
    const batch = parseCsvBatch(
      'name,id,score\r\n"Shirt\r\nblue",5,40\r\n\r\n,,\r\nMug,6,0\r\n'
    )

    expect(batch.lines).toEqual([2, 6])
    expect(batch.items[0]).toEqual({ id: '5', score: '40' })
  })

  it('skips rows whose cells are all empty, as Excel writes them', () => {
    expect(
      parseCsvBatch('id;score;name\r\n1;2;a\r\n;;\r\n3;4;b\r\n').lines
    ).toEqual([2, 4])
  })

  it('reads header names in any case, with spaces around them', () => {
    expect(parseCsvBatch(' ID ; Score \r\n1;2\r\n').items).toEqual([
      { id: '1', score: '2' },
    ])
  })

  it('keeps the spaces around cells, so " 5" is refused as in JSON', () => {
    const { items } = parseCsvBatch('id, score\r\n 5 , 40\r\n')

    expect(items).toEqual([{ id: ' 5 ', score: ' 40' }])

    const csv = validateBatch(items, { maxItems: 10 })
    const json = validateBatch([{ id: ' 5 ', score: ' 40' }], { maxItems: 10 })

    expect(csv).toEqual(json)
    expect(!csv.ok && csv.invalid[0].problems.map((p) => p.code)).toEqual([
      'INVALID_ID',
      'INVALID_SCORE',
    ])
  })

  it('a space before an opening quote or after a closing one is refused', () => {
    expect(refusal('name,id,score\r\nx, "a",1\r\n').message).toMatch(
      /^Line 2, column 2 \(B\): /
    )
    expect(refusal('name,id,score\r\n"a" ,1,2\r\n').message).toMatch(
      /^Line 2, column 1 \(A\): text follows/
    )
  })

  it('accepts rows that lack only trailing columns empty in every row', () => {
    // Excel leaves trailing empty cells out of some rows.
    const batch = parseCsvBatch('id,score,note,\r\n1,2\r\n3,4,,\r\n5,6,\r\n')

    expect(batch.items).toEqual([
      { id: '1', score: '2' },
      { id: '3', score: '4' },
      { id: '5', score: '6' },
    ])
  })
})

describe('parseCsvBatch: refusals name the line and column', () => {
  it('an unclosed quote, at the cell where it opens (not the end of the file)', () => {
    const error = refusal(
      'name,id,score\r\nMug,1,2\r\n"Shirt, blue,3,4\r\nCup,5,6\r\nPan,7,8\r\n'
    )

    expect(error.status).toBe(400)
    expect(error.code).toBe('INVALID_CSV')
    expect(error.message).toMatch(/^Line 3, column 1 \(A\): /)
    expect(error.message).toContain('never closed')
    expect(error.message).not.toMatch(/trimable|Quote Not Closed/)
  })

  it('text after a closing quote', () => {
    const error = refusal('name;id;score\r\nMug;1;2\r\nx;"12" inch;4\r\n')

    expect(error.code).toBe('INVALID_CSV')
    expect(error.message).toMatch(/^Line 3, column 2 \(B\): /)
    expect(error.message).toContain('two quotes ("")')
    expect(error.message).not.toMatch(/trimable|Invalid Closing Quote/)
  })

  it('a quote in the middle of an unquoted cell', () => {
    const error = refusal('id\tscore\tname\r\n1\t2\t12" screen\r\n')

    expect(error.code).toBe('INVALID_CSV')
    expect(error.message).toMatch(/^Line 2, column 3 \(C\): /)
    expect(error.message).not.toMatch(/Invalid Opening Quote/)
  })

  it('a row with more cells than the header (an unquoted delimiter)', () => {
    const error = refusal('id,price,score\r\n4,1,30\r\n5,1,234,40\r\n')

    expect(error.code).toBe('CSV_RAGGED_ROW')
    expect(error.message).toMatch(/^Line 3, column 4 \(D\): /)
    expect(error.message).toContain('4 cells but the header has 3')
  })

  it('a row with fewer cells than the header, when a missing column has values elsewhere', () => {
    const error = refusal('name,id,score\r\nMug,1,2\r\n5,40\r\n')

    expect(error.code).toBe('CSV_RAGGED_ROW')
    expect(error.message).toMatch(/^Line 3, column 3 \(C\): /)
    expect(error.message).toContain('2 cells but the header has 3')
  })

  it.each([
    [
      'id,score,id\r\n1,2,3\r\n',
      "twice: 'id' in column 1 (A) and 'id' in column 3 (C)",
    ],
    ['ID;score;Id\r\n1;2;3\r\n', "'ID' in column 1 (A) and 'Id' in column 3"],
    [
      'id,score,Score \r\n1,2,3\r\n',
      "'score' in column 2 (B) and 'Score' in column 3 (C)",
    ],
    ['name,id,score,name\r\na,1,2,b\r\n', "'name' in column 1 (A)"],
    // Two headers the route reads as its id: which one is meant is not clear.
    [
      'ID;Product ID;score\r\n1;2;3\r\n',
      "the id column more than once: 'ID' in column 1 (A) and 'Product ID' in column 2 (B)",
    ],
  ])('a repeated column name in %p', (text, detail) => {
    const error = refusal(text)

    expect(error.code).toBe('CSV_DUPLICATE_COLUMN')
    expect(error.message).toMatch(/^Line 1: /)
    expect(error.message).toContain(detail)
  })

  it('repeated empty header cells are not repeated names', () => {
    expect(parseCsvBatch('id;score;;\r\n1;2;;\r\n').items).toHaveLength(1)
  })

  it('a header without id and score names the delimiter it was read with', () => {
    const error = refusal('product|value\r\n1|2\r\n')

    expect(error.code).toBe('CSV_MISSING_COLUMNS')
    expect(error.message).toContain("an id column ('id', 'Product ID'")
    expect(error.message).toContain("and a 'score' column")
    expect(error.message).toContain("'product|value'")
  })

  it('an empty upload', () => {
    expect(refusal('\uFEFF\r\n').code).toBe('CSV_MISSING_COLUMNS')
  })
})

describe('parseCsvBatch: id headers spreadsheets already have', () => {
  it.each([
    ['id'],
    ['ID'],
    ['Product ID'],
    ['product_id'],
    ['ProductId'],
    ['_ProductId'],
    // VTEX's legacy Catalog export, in Portuguese.
    ['_IDProduto (Não alterável)'],
    ['IdProduto'],
  ])('reads a product sheet whose id column is %p', (header) => {
    const batch = parseCsvBatch(
      `Nome;${header};SKU ID;Category ID;Score\r\nCamisa;5;51;9;40\r\n`
    )

    expect(batch.items).toEqual([{ id: '5', score: '40' }])
    expect(batch.delimiter).toBe(';')
    expect(batch.columns).toEqual({
      id: { name: header, column: 2 },
      score: { name: 'Score', column: 5 },
    })
  })

  it.each([['id'], ['Category ID'], ['CategoryId'], ['_IDCategoria']])(
    'reads a category sheet whose id column is %p',
    (header) => {
      const batch = parseCsvBatch(
        `Name,${header},score\r\nShoes,9,3\r\n`,
        'category'
      )

      expect(batch.items).toEqual([{ id: '9', score: '3' }])
    }
  )

  it('does not read a product export as category ids, nor SKU ids as product ids', () => {
    expect(
      parseCsvBatch('Product ID,Category ID,score\r\n5,9,3\r\n', 'category')
        .items
    ).toEqual([{ id: '9', score: '3' }])

    const sku = refusal('SKU ID;score\r\n51;3\r\n')

    expect(sku.code).toBe('CSV_MISSING_COLUMNS')
    expect(sku.message).toContain(
      "'SKU ID' in column 1 (A) holds SKU ids; the Score is set per product"
    )
  })

  it('points a category sheet sent to the product route to the category route', () => {
    const error = refusal('Category ID,score\r\n9,3\r\n')

    expect(error.code).toBe('CSV_MISSING_COLUMNS')
    expect(error.message).toContain('/_v/massive/catalog/score/update')
  })

  it('reads the delimiter from a header naming an accepted id column', () => {
    expect(detectDelimiter('Product ID;Score\r\n1;2')).toBe(';')
    expect(detectDelimiter('Category ID\tScore\r\n1\t2', 'category')).toBe('\t')
  })
})
