/** What the header cells of a spreadsheet name: the id and score columns, as VTEX's own exports write them. */

/** What a CSV upload sets: product or category Scores. */
export type CsvKind = 'product' | 'category'

/** A spreadsheet's name for a 1-based column: 1 is A, 27 is AA. */
export function columnLetter(column: number): string {
  let letters = ''

  for (let n = column; n > 0; n = Math.floor((n - 1) / 26)) {
    letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters
  }

  return letters
}

export const normalizeName = (name: string) => name.trim().toLowerCase()

/**
 * A header cell reduced to what tells columns apart: lower case, without a
 * trailing note in parentheses ("(Não alterável)"), leading underscores,
 * spaces, underscores, hyphens or dots. "Product ID", "_ProductId" and
 * "product_id" are all "productid".
 */
export const headerKey = (name: string) =>
  name
    .trim()
    .toLowerCase()
    .replace(/\s*\([^)]*\)\s*$/, '')
    .replace(/[\s_.-]+/g, '')

/**
 * The id headers accepted, by key: `id`, and the id column of VTEX's own
 * spreadsheets: "Product ID" / "Category ID" (Catalog > Products and SKUs >
 * Export), "ProductId" / "CategoryId" and, in Portuguese, "IdProduto" /
 * "IdCategoria" (the legacy Import and Export spreadsheet, whose headers
 * read "_IDProduto (Não alterável)" and "_IDCategoria").
 */
export const ID_HEADERS: Record<CsvKind, readonly string[]> = {
  product: ['id', 'productid', 'idproduto'],
  category: ['id', 'categoryid', 'idcategoria'],
}

/** Headers that name another kind's ids: said to the caller, never read. */
export const OTHER_IDS: Record<CsvKind, Record<string, string>> = {
  product: {
    categoryid:
      'holds category ids: upload the file to /_v/massive/catalog/score/update',
    idcategoria:
      'holds category ids: upload the file to /_v/massive/catalog/score/update',
    skuid: 'holds SKU ids; the Score is set per product: use its product id',
    idsku: 'holds SKU ids; the Score is set per product: use its product id',
  },
  category: {
    productid:
      'holds product ids: upload the file to /_v/massive/product/score/update',
    idproduto:
      'holds product ids: upload the file to /_v/massive/product/score/update',
  },
}

export const isIdHeader = (kind: CsvKind, name: string) =>
  ID_HEADERS[kind].includes(headerKey(name))
export const isScoreHeader = (name: string) => headerKey(name) === 'score'

/** The kind's id header names, as a message lists them. */
export const idHeaderNames = (kind: CsvKind) =>
  kind === 'product'
    ? "'id', 'Product ID' or '_IDProduto' (the id column of VTEX's product export)"
    : "'id', 'Category ID' or '_IDCategoria'"
