/**
 * The emulator and the app against VTEX's Catalog OpenAPI, through the JSON
 * Schemas translated from it (local/catalogEmulator/schemas, each citing its
 * source). The e2e suites also check every PUT body the app sent (helpers/e2e).
 */
import {
  applyPut,
  CatalogEmulator,
  CatalogKind,
  CatalogObject,
  FIELDS,
  makeCategory,
  makeProduct,
  oddityOf,
  putProblem,
  SCHEMAS,
  startCatalogEmulator,
} from '../../../local/catalogEmulator'
import { CATEGORY_TARGET, PRODUCT_TARGET } from '../../scores/targets'
import { violations } from '../helpers/openApi'

const KINDS: CatalogKind[] = ['product', 'category']
const TARGETS = { product: PRODUCT_TARGET, category: CATEGORY_TARGET }
const make = { product: makeProduct, category: makeCategory }
const IDS = Array.from({ length: 120 }, (_, i) => i + 1)

const seeded = (kind: CatalogKind, oddities: boolean) =>
  IDS.map((id) => make[kind](id, undefined, { oddities }))

describe('the JSON Schemas', () => {
  it.each(KINDS)('cite their source in vtex/openapi-schemas (%s)', (kind) => {
    for (const schema of Object.values(SCHEMAS[kind])) {
      expect((schema as { $comment: string }).$comment).toMatch(
        /vtex\/openapi-schemas, file 'VTEX - Catalog API\.json', commit [0-9a-f]{40}/
      )
    }
  })

  it.each(KINDS)(
    "hold the app's object rules for %s: every required field with the schema's type and nullability, and the fields a PUT would erase",
    (kind) => {
      const put = SCHEMAS[kind].put
      const expected = (put.required ?? []).map((name) => {
        const types = ([] as string[]).concat(put.properties?.[name].type ?? [])

        return {
          name,
          type: types.find((t) => t !== 'null'),
          nullable: types.includes('null'),
        }
      })
      const byName = (a: { name: string }, b: { name: string }) =>
        a.name.localeCompare(b.name)

      expect([...TARGETS[kind].requiredFields].sort(byName)).toEqual(
        expected.sort(byName)
      )
      // Every other non-deprecated field the PUT sets: missing from a GET answer, the PUT would erase it.
      const erasable = Object.entries(put.properties ?? {})
        .filter(
          ([name, property]) =>
            !put.required?.includes(name) &&
            !property.deprecated &&
            name !== 'Score'
        )
        .map(([name]) => name)

      expect([...TARGETS[kind].erasableFields].sort()).toEqual(erasable.sort())
      expect(TARGETS[kind].schemas).toEqual({
        get: `${kind}.get.json`,
        put: `${kind}.put.json`,
      })
    }
  )
})

describe('the emulator data', () => {
  it.each([
    ['product', false],
    ['product', true],
    ['category', false],
    ['category', true],
  ] as Array<[CatalogKind, boolean]>)(
    'seeds %s objects that match the GET schema, with its exact field set (oddities: %p)',
    (kind, oddities) => {
      for (const object of seeded(kind, oddities)) {
        expect(violations(kind, 'get', object)).toEqual([])
        expect(Object.keys(object)).toEqual(FIELDS[kind])
      }
    }
  )

  it('seeds every oddity it names', () => {
    const products = seeded('product', true)
    const categories = seeded('category', true)
    const oddities = [
      ...IDS.map((id) => oddityOf('product', id)),
      ...IDS.map((id) => oddityOf('category', id)),
    ]

    for (const oddity of [
      'empty-release-date',
      'strippable-diacritics',
      'latin1-accents',
      'long-name',
      'legacy-nulls',
    ]) {
      expect(oddities).toContain(oddity)
    }
    expect(products[2]).toMatchObject({ Id: 3, ReleaseDate: '' })
    expect(products[16].Name).toMatch(/ă/)
    expect((products[20].Name as string).length).toBe(150)
    expect(products[3].SupplierId).toBeNull()
    expect(categories[6].Name).toMatch(/ț/)
    expect(categories[0].FatherCategoryId).toBeNull()
  })
})

describe('the emulator PUT semantics', () => {
  it.each(KINDS)(
    'accepts what the app sends (the GET object with a new Score), and stores a valid GET object (%s)',
    (kind) => {
      for (const object of seeded(kind, true)) {
        const body = { ...object, Score: 5 }

        expect(violations(kind, 'put', body)).toEqual([])
        expect(putProblem(kind, body)).toBeUndefined()
        const stored = applyPut(kind, object.Id as number, body, {
          current: object,
        })

        expect(violations(kind, 'get', stored)).toEqual([])
      }
    }
  )

  it.each(KINDS)(
    'refuses a PUT body exactly when the PUT schema does (%s): each required field missing or null, each field of the wrong type',
    (kind) => {
      const base: CatalogObject = { ...make[kind](8), Score: 1 }
      const put = SCHEMAS[kind].put
      const bodies: CatalogObject[] = []

      for (const field of put.required ?? []) {
        const { [field]: _omitted, ...without } = base

        bodies.push(without, { ...base, [field]: null })
      }
      for (const [field, property] of Object.entries(put.properties ?? {})) {
        const wrong = property.type?.includes('string') ? 1 : 'text'

        bodies.push({ ...base, [field]: wrong })
      }

      for (const body of bodies) {
        const schemaRefuses = violations(kind, 'put', body).length > 0

        expect({ body, refused: putProblem(kind, body) !== undefined }).toEqual(
          { body, refused: schemaRefuses }
        )
      }
    }
  )
})

describe('the emulator over HTTP', () => {
  let emulator: CatalogEmulator
  const ADMIN = { VtexIdclientAutCookie: 'local-admin-token' }
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${emulator.url}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', ...ADMIN },
      body: body === undefined ? undefined : JSON.stringify(body),
    })

    return {
      status: response.status,
      json: (await response.json()) as CatalogObject,
    }
  }

  beforeAll(async () => {
    emulator = await startCatalogEmulator({
      seed: { products: 60, categories: 25, oddities: true },
    })
  })

  afterAll(() => emulator.close())

  it.each([
    ['product', 60],
    ['category', 25],
  ] as Array<[CatalogKind, number]>)(
    'answers every %s GET and PUT with an object the GET schema accepts',
    async (kind, count) => {
      for (let id = 1; id <= count; id++) {
        const get = await call('GET', `/api/catalog/pvt/${kind}/${id}`)

        expect(get.status).toBe(200)
        expect(violations(kind, 'get', get.json)).toEqual([])
        const put = await call('PUT', `/api/catalog/pvt/${kind}/${id}`, {
          ...get.json,
          Score: id,
        })

        expect(put.status).toBe(200)
        expect(violations(kind, 'get', put.json)).toEqual([])
      }
    }
  )

  it('fills TreePath, TreePathIds and TreePathLinkIds only with includeTreePath=true', async () => {
    const plain = await call('GET', '/api/catalog/pvt/category/12')
    const withPath = await call(
      'GET',
      '/api/catalog/pvt/category/12?includeTreePath=true'
    )
    const father = emulator.getCategory(
      emulator.getCategory(12)?.FatherCategoryId as number
    ) as CatalogObject

    expect(plain.json).toMatchObject({
      TreePath: null,
      TreePathIds: null,
      TreePathLinkIds: null,
    })
    expect(violations('category', 'get', withPath.json)).toEqual([])
    expect(withPath.json).toMatchObject({
      TreePath: [father.Name, plain.json.Name],
      TreePathIds: [father.Id, 12],
      TreePathLinkIds: [father.LinkId, plain.json.LinkId],
    })
  })
})
