/**
 * The Catalog's objects as the official OpenAPI describes them (the JSON
 * Schemas in ./schemas, translated from vtex/openapi-schemas), what a PUT
 * does to them, and the sample data the emulator is seeded with.
 */
import categoryGet from './schemas/category.get.json'
import categoryPut from './schemas/category.put.json'
import productGet from './schemas/product.get.json'
import productPut from './schemas/product.put.json'

export type CatalogKind = 'product' | 'category'
export type CatalogObject = Record<string, unknown>

export interface JsonSchema {
  type?: string | string[]
  required?: string[]
  properties?: Record<string, JsonSchema>
  items?: JsonSchema
  deprecated?: boolean
}

/** GET (and PUT answer) and PUT request body, per kind. */
export const SCHEMAS: Record<
  CatalogKind,
  { get: JsonSchema; put: JsonSchema }
> = {
  product: { get: productGet, put: productPut },
  category: { get: categoryGet, put: categoryPut },
}

interface FieldRule {
  type: string
  nullable: boolean
}

function rulesOf(schema: JsonSchema): Record<string, FieldRule> {
  return Object.fromEntries(
    Object.entries(schema.properties ?? {}).map(([name, property]) => {
      const types = ([] as string[]).concat(property.type ?? [])

      return [
        name,
        {
          type: types.find((t) => t !== 'null') ?? 'any',
          nullable: types.includes('null'),
        },
      ]
    })
  )
}

/** The fields of the object the GET answers, in the OpenAPI's order. */
export const FIELDS: Record<CatalogKind, string[]> = {
  product: Object.keys(SCHEMAS.product.get.properties ?? {}),
  category: Object.keys(SCHEMAS.category.get.properties ?? {}),
}

/** The fields a PUT body may set, with their type and whether null is allowed. */
export const PUT_FIELDS: Record<CatalogKind, Record<string, FieldRule>> = {
  product: rulesOf(SCHEMAS.product.put),
  category: rulesOf(SCHEMAS.category.put),
}

/** Required by the PUT request bodies of the OpenAPI. */
export const REQUIRED_ON_PUT: Record<CatalogKind, string[]> = {
  product: SCHEMAS.product.put.required ?? [],
  category: SCHEMAS.category.put.required ?? [],
}

/** Fields of the GET that no PUT sets (Id, and a category's LinkId, HasChildren, TreePath*): the Catalog keeps them. */
export const SERVER_FIELDS: Record<CatalogKind, string[]> = {
  product: FIELDS.product.filter((f) => !(f in PUT_FIELDS.product)),
  category: FIELDS.category.filter((f) => !(f in PUT_FIELDS.category)),
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

/**
 * What real catalogs hold and a tidy sample does not. `strippable-diacritics`
 * (ă, ș) and `empty-release-date` are documented cases where a PUT changes
 * the object (VTEX known issues 623345 and 1024207); the others must round-trip.
 */
export type Oddity =
  | 'empty-release-date'
  | 'strippable-diacritics'
  | 'latin1-accents'
  | 'long-name'
  | 'legacy-nulls'

export interface SeedOptions {
  /** Seed realistic oddities at the ids `oddityOf` names. */
  oddities?: boolean
}

/** Which oddity the `oddities` seed gives this id, if any (one per id, fixed). */
export function oddityOf(kind: CatalogKind, id: number): Oddity | undefined {
  if (kind === 'product') {
    if (id % 50 === 3) return 'empty-release-date'
    if (id % 50 === 17) return 'strippable-diacritics'
    if (id % 50 === 21) return 'long-name'
    if (id % 25 === 9) return 'latin1-accents'
    if (id % 10 === 4) return 'legacy-nulls'

    return undefined
  }

  if (id % 20 === 7) return 'strippable-diacritics'
  if (id % 20 === 11) return 'latin1-accents'
  if (id % 20 === 13) return 'long-name'

  return undefined
}

/** The Catalog documents names of at most 150 characters. */
const longName = (base: string) =>
  `${base} `
    .repeat(Math.ceil(150 / (base.length + 1)))
    .slice(0, 150)
    .trimEnd()

const slugOf = (name: string) =>
  name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')

export function makeProduct(
  id: number,
  random: () => number = seededRandom(id),
  options: SeedOptions = {}
): CatalogObject {
  const pick = (list: string[]) => list[Math.floor(random() * list.length)]
  const oddity = options.oddities ? oddityOf('product', id) : undefined
  let name = `${pick(WORDS)} ${pick(NOUNS)} ${id}`

  if (oddity === 'strippable-diacritics') name = `Cămașă Ștefan ${id}`
  if (oddity === 'latin1-accents') name = `Café São João Niño Über ${id}`
  if (oddity === 'long-name') name = longName(`${name} Edição Especial`)
  const slug = slugOf(name)

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
    ReleaseDate: oddity === 'empty-release-date' ? '' : '2024-03-01T00:00:00',
    KeyWords: `${slug}, ${pick(NOUNS).toLowerCase()}`,
    Title: `${name} | Store`,
    IsActive: random() > 0.05,
    TaxCode: '',
    MetaTagDescription: `Buy ${name} online`,
    // The OpenAPI lets only SupplierId be null in a product GET.
    SupplierId: oddity === 'legacy-nulls' || random() > 0.5 ? null : 1,
    ShowWithoutStock: random() > 0.5,
    AdWordsRemarketingCode: '',
    LomadeeCampaignCode: '',
    Score: random() > 0.2 ? Math.floor(random() * 100) : 0,
  }
}

export function makeCategory(
  id: number,
  random: () => number = seededRandom(id + 1_000_000),
  options: SeedOptions = {}
): CatalogObject {
  const oddity = options.oddities ? oddityOf('category', id) : undefined
  let name = `${WORDS[id % WORDS.length]} ${
    NOUNS[Math.floor(random() * NOUNS.length)]
  }s ${id}`

  if (oddity === 'strippable-diacritics') name = `Încălțăminte ${id}`
  if (oddity === 'latin1-accents') name = `Acessórios & Calçados ${id}`
  if (oddity === 'long-name') name = longName(name)

  return {
    Id: id,
    Name: name,
    // Roots have no father: null, as the OpenAPI allows.
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
    // Categories that never had a Score answer null (the OpenAPI's own example does).
    Score: random() > 0.3 ? Math.floor(random() * 50) : null,
    LinkId: slugOf(name),
    HasChildren: id <= 5,
    TreePath: null,
    TreePathIds: null,
    TreePathLinkIds: null,
  }
}

/**
 * The category's path from its root, as a GET with `includeTreePath=true`
 * answers it; without that query the three fields are null.
 */
export function withTreePath(
  category: CatalogObject,
  categories: ReadonlyMap<number, CatalogObject>
): CatalogObject {
  const path: CatalogObject[] = []
  const seen = new Set<number>()
  let node: CatalogObject | undefined = category

  while (node && !seen.has(node.Id as number)) {
    seen.add(node.Id as number)
    path.unshift(node)
    node =
      typeof node.FatherCategoryId === 'number'
        ? categories.get(node.FatherCategoryId)
        : undefined
  }

  return {
    ...category,
    TreePath: path.map((c) => c.Name),
    TreePathIds: path.map((c) => c.Id),
    TreePathLinkIds: path.map((c) => c.LinkId),
  }
}

const TYPE_NAMES: Record<string, string> = {
  integer: 'an integer',
  string: 'a string',
  boolean: 'a boolean',
}

function hasType(value: unknown, type: string) {
  if (type === 'integer') return Number.isInteger(value)
  if (type === 'array') return Array.isArray(value)

  return type === 'any' || typeof value === type
}

/** Why a PUT body is refused, or undefined when it is acceptable. */
export function putProblem(
  kind: CatalogKind,
  body: CatalogObject
): string | undefined {
  const rules = PUT_FIELDS[kind]

  for (const field of REQUIRED_ON_PUT[kind]) {
    if (body[field] === undefined) return `The field ${field} is required.`
    if (body[field] === null && !rules[field].nullable)
      return `The field ${field} cannot be null.`
  }

  for (const [field, rule] of Object.entries(rules)) {
    const value = body[field]

    // An optional field sent as null is cleared, like an omitted one.
    if (value === null || value === undefined) continue
    if (!hasType(value, rule.type))
      return `The field ${field} must be ${TYPE_NAMES[rule.type] ?? rule.type}.`
  }

  return undefined
}

/** VTEX known issue 977033: a string field ending in spaces fails the PUT with an empty 400. */
export const hasTrailingSpace = (body: CatalogObject) =>
  Object.values(body).some(
    (value) => typeof value === 'string' && / $/.test(value)
  )

/** VTEX known issue 623345: diacritics outside Latin-1 (ă, ș...) are removed on PUT; Latin-1 accents stay. */
export function stripDiacritics(value: string): string {
  let out = ''

  for (const char of value) {
    if ((char.codePointAt(0) as number) <= 0xff) out += char
    else out += char.normalize('NFD').replace(/[\u0300-\u036f]/g, '')
  }

  return out
}

/** VTEX known issue 1024207: a product PUT without a ReleaseDate stores the current date. */
const isEmptyDate = (value: unknown) =>
  value === null || value === undefined || value === ''

const catalogDate = (ms: number) => new Date(ms).toISOString().slice(0, 19)

export interface PutContext {
  /** The object stored before the PUT: the fields no PUT sets are kept from it. */
  current?: CatalogObject
  now?: number
}

/**
 * What the Catalog stores after a PUT, which replaces and never merges: every
 * field the PUT schema knows is taken from the body, an omitted one becomes
 * false (booleans) or null; fields the PUT cannot set keep their stored
 * value; unknown fields are dropped. Plus the documented drift.
 */
export function applyPut(
  kind: CatalogKind,
  id: number,
  body: CatalogObject,
  context: PutContext = {}
): CatalogObject {
  const stored: CatalogObject = {}
  const rules = PUT_FIELDS[kind]

  for (const field of FIELDS[kind]) {
    const rule = rules[field]

    if (!rule) {
      stored[field] = context.current?.[field] ?? null
      continue
    }

    const value = body[field]

    if (value === undefined || value === null)
      stored[field] = rule.type === 'boolean' ? false : null
    else if (typeof value === 'string') stored[field] = stripDiacritics(value)
    else stored[field] = value
  }

  stored.Id = id
  if (kind === 'product' && isEmptyDate(body.ReleaseDate))
    stored.ReleaseDate = catalogDate(context.now ?? Date.now())
  if (kind === 'category') {
    for (const field of ['TreePath', 'TreePathIds', 'TreePathLinkIds'])
      stored[field] = null
  }

  return stored
}
