/**
 * Field sets of the VTEX Catalog API (public OpenAPI: "Get Product by ID",
 * "Get Category by ID") and the fields their PUTs require.
 */
export type CatalogKind = 'product' | 'category'
export type CatalogObject = Record<string, unknown>

type FieldType = 'int' | 'string' | 'bool'

export const PRODUCT_FIELDS: Record<string, FieldType> = {
  Id: 'int',
  Name: 'string',
  DepartmentId: 'int',
  CategoryId: 'int',
  BrandId: 'int',
  LinkId: 'string',
  RefId: 'string',
  IsVisible: 'bool',
  Description: 'string',
  DescriptionShort: 'string',
  ReleaseDate: 'string',
  KeyWords: 'string',
  Title: 'string',
  IsActive: 'bool',
  TaxCode: 'string',
  MetaTagDescription: 'string',
  SupplierId: 'int',
  ShowWithoutStock: 'bool',
  AdWordsRemarketingCode: 'string',
  LomadeeCampaignCode: 'string',
  Score: 'int',
}

export const CATEGORY_FIELDS: Record<string, FieldType> = {
  Id: 'int',
  Name: 'string',
  FatherCategoryId: 'int',
  Title: 'string',
  Description: 'string',
  Keywords: 'string',
  IsActive: 'bool',
  LomadeeCampaignCode: 'string',
  AdWordsRemarketingCode: 'string',
  ShowInStoreFront: 'bool',
  ShowBrandFilter: 'bool',
  ActiveStoreFrontLink: 'bool',
  GlobalCategoryId: 'int',
  StockKeepingUnitSelectionMode: 'string',
  Score: 'int',
  LinkId: 'string',
  HasChildren: 'bool',
}

export const FIELDS: Record<CatalogKind, Record<string, FieldType>> = {
  product: PRODUCT_FIELDS,
  category: CATEGORY_FIELDS,
}

/** Required by the PUT request bodies of the OpenAPI. */
export const REQUIRED_ON_PUT: Record<CatalogKind, string[]> = {
  product: ['Name', 'CategoryId', 'BrandId'],
  category: [
    'Name',
    'Keywords',
    'Title',
    'Description',
    'AdWordsRemarketingCode',
    'LomadeeCampaignCode',
    'FatherCategoryId',
    'GlobalCategoryId',
    'ShowInStoreFront',
    'IsActive',
    'ActiveStoreFrontLink',
    'ShowBrandFilter',
    'Score',
    'StockKeepingUnitSelectionMode',
  ],
}

/** A small seeded PRNG (mulberry32), so sample data is the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0

  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state

    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)

    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const WORDS = [
  'Classic',
  'Organic',
  'Premium',
  'Ultra',
  'Smart',
  'Eco',
  'Urban',
  'Vintage',
  'Sport',
  'Mini',
]
const NOUNS = [
  'Shirt',
  'Sneaker',
  'Lamp',
  'Backpack',
  'Watch',
  'Mug',
  'Chair',
  'Jacket',
  'Kettle',
  'Speaker',
]

export function makeProduct(
  id: number,
  random: () => number = seededRandom(id)
): CatalogObject {
  const pick = (list: string[]) => list[Math.floor(random() * list.length)]
  const name = `${pick(WORDS)} ${pick(NOUNS)} ${id}`
  const slug = name.toLowerCase().replace(/\s+/g, '-')

  return {
    Id: id,
    Name: name,
    DepartmentId: 1 + Math.floor(random() * 5),
    CategoryId: 1 + Math.floor(random() * 20),
    BrandId: 2000000 + Math.floor(random() * 50),
    LinkId: slug,
    RefId: `REF-${id}`,
    IsVisible: random() > 0.1,
    Description: `<p>${name}: a product for every day. Ünïcödé & "quotes" stay intact.</p>`,
    DescriptionShort: name,
    ReleaseDate: '2024-03-01T00:00:00',
    KeyWords: `${slug}, ${pick(NOUNS).toLowerCase()}`,
    Title: `${name} | Store`,
    IsActive: random() > 0.05,
    TaxCode: '',
    MetaTagDescription: `Buy ${name} online`,
    SupplierId: random() > 0.5 ? 1 : null,
    ShowWithoutStock: random() > 0.5,
    AdWordsRemarketingCode: null,
    LomadeeCampaignCode: null,
    // Some products have never had a Score.
    Score: random() > 0.2 ? Math.floor(random() * 100) : null,
  }
}

export function makeCategory(
  id: number,
  random: () => number = seededRandom(id + 1_000_000)
): CatalogObject {
  const name = `${WORDS[id % WORDS.length]} ${
    NOUNS[Math.floor(random() * NOUNS.length)]
  }s ${id}`

  return {
    Id: id,
    Name: name,
    FatherCategoryId: id > 5 ? 1 + (id % 5) : null,
    Title: `${name} | Store`,
    Description: `All ${name.toLowerCase()}`,
    Keywords: name.toLowerCase(),
    IsActive: true,
    LomadeeCampaignCode: '',
    AdWordsRemarketingCode: '',
    ShowInStoreFront: true,
    ShowBrandFilter: random() > 0.5,
    ActiveStoreFrontLink: true,
    GlobalCategoryId: 3000 + id,
    StockKeepingUnitSelectionMode: 'SPECIFICATION',
    Score: random() > 0.3 ? Math.floor(random() * 50) : null,
    LinkId: name.toLowerCase().replace(/\s+/g, '-'),
    HasChildren: id <= 5,
  }
}

/** Why a PUT body is refused, or undefined when it is acceptable. */
export function putProblem(
  kind: CatalogKind,
  body: CatalogObject
): string | undefined {
  for (const field of REQUIRED_ON_PUT[kind]) {
    if (!(field in body)) return `The field ${field} is required.`
  }

  for (const [field, type] of Object.entries(FIELDS[kind])) {
    const value = body[field]

    if (value === null || value === undefined) continue
    if (type === 'int' && !Number.isInteger(value))
      return `The field ${field} must be an integer.`
    if (type === 'string' && typeof value !== 'string')
      return `The field ${field} must be a string.`
    if (type === 'bool' && typeof value !== 'boolean')
      return `The field ${field} must be a boolean.`
  }

  return undefined
}

/** VTEX's known issue: a string field ending in whitespace fails the PUT with an empty 400. */
export const hasTrailingSpace = (body: CatalogObject) =>
  Object.values(body).some(
    (value) => typeof value === 'string' && /\s$/.test(value)
  )

/**
 * What the Catalog stores after a PUT: every field of the body, and null for
 * every known field the body left out (the PUT replaces, it does not merge).
 */
export function applyPut(
  kind: CatalogKind,
  id: number,
  body: CatalogObject
): CatalogObject {
  const stored: CatalogObject = {}

  for (const field of Object.keys(FIELDS[kind]))
    stored[field] = field in body ? body[field] : null
  for (const [field, value] of Object.entries(body)) {
    if (!(field in stored)) stored[field] = value
  }

  stored.Id = id

  return stored
}
