import {
  applyPut,
  CatalogKind,
  CatalogObject,
  hasTrailingSpace,
  makeCategory,
  makeProduct,
  putProblem,
  SeedOptions,
  withTreePath,
} from './fields'
import { clone } from './http'

export type Snapshot = Record<
  'products' | 'categories',
  Record<string, CatalogObject>
>

/** What the Catalog answers a GET or a PUT: a status and a body (undefined: empty). */
export interface CatalogAnswer {
  status: number
  body?: unknown
}

/** A PUT body as the Catalog received it. */
export interface PutRecord {
  kind: CatalogKind
  id: number
  body: unknown
}

/** The Catalog's data: products and categories by id, seeded with sample objects. */
export class CatalogStore {
  private readonly objects: Record<CatalogKind, Map<number, CatalogObject>> = {
    product: new Map(),
    category: new Map(),
  }

  private readonly received: PutRecord[] = []

  constructor(
    seed: { products?: number; categories?: number } & SeedOptions = {},
    private readonly now: () => number = Date.now,
    private readonly recordPuts = false
  ) {
    const options = { oddities: seed.oddities }

    for (let id = 1; id <= (seed.products ?? 50); id++)
      this.objects.product.set(id, makeProduct(id, undefined, options))
    for (let id = 1; id <= (seed.categories ?? 20); id++)
      this.objects.category.set(id, makeCategory(id, undefined, options))
  }

  /** Every PUT body received, when recording was asked for. */
  public puts(): PutRecord[] {
    return clone(this.received)
  }

  public get(kind: CatalogKind, id: number): CatalogObject | undefined {
    const object = this.objects[kind].get(id)

    return object ? clone(object) : undefined
  }

  public set(kind: CatalogKind, id: number, object: CatalogObject) {
    this.objects[kind].set(id, clone(object))
  }

  public delete(kind: CatalogKind, id: number) {
    this.objects[kind].delete(id)
  }

  public snapshot(): Snapshot {
    const all = (kind: CatalogKind) =>
      Object.fromEntries(
        [...this.objects[kind]].map(([id, object]) => [
          String(id),
          clone(object),
        ])
      )

    return { products: all('product'), categories: all('category') }
  }

  /** GET /api/catalog/pvt/{kind}/{id}, as the Catalog answers it; a category's TreePath fields are null unless `includeTreePath`. */
  public read(
    kind: CatalogKind,
    rawId: string,
    query: { includeTreePath?: boolean } = {}
  ): CatalogAnswer {
    const id = parseId(rawId)

    if (id === undefined)
      return { status: 400, body: { Message: `Invalid ${kind} id '${rawId}'` } }

    const current = this.objects[kind].get(id)

    if (!current) return { status: 404, body: `${labelOf(kind)} not found` }
    if (kind === 'category' && query.includeTreePath)
      return {
        status: 200,
        body: clone(withTreePath(current, this.objects.category)),
      }

    return { status: 200, body: clone(current) }
  }

  /** PUT /api/catalog/pvt/{kind}/{id}: replaces the whole object (omitted fields are wiped). */
  public write(kind: CatalogKind, rawId: string, body: unknown): CatalogAnswer {
    const id = parseId(rawId)

    if (this.recordPuts)
      this.received.push({
        kind,
        id: Number(rawId),
        body: body === undefined ? undefined : clone(body),
      })

    if (id === undefined)
      return { status: 400, body: { Message: `Invalid ${kind} id '${rawId}'` } }

    if (!this.objects[kind].has(id))
      return { status: 404, body: `${labelOf(kind)} not found` }

    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return {
        status: 400,
        body: { Message: 'The request body must be a JSON object' },
      }
    }

    // VTEX known issue 977033: a string field ending in spaces fails with an empty 400.
    if (hasTrailingSpace(body as CatalogObject)) return { status: 400 }

    const problem = putProblem(kind, body as CatalogObject)

    if (problem) return { status: 400, body: { Message: problem } }

    const stored = applyPut(kind, id, body as CatalogObject, {
      current: this.objects[kind].get(id),
      now: this.now(),
    })

    this.objects[kind].set(id, stored)

    return { status: 200, body: clone(stored) }
  }
}

const labelOf = (kind: CatalogKind) =>
  kind === 'product' ? 'Product' : 'Category'

const parseId = (rawId: string) =>
  /^\d+$/.test(rawId) && Number(rawId) >= 1 ? Number(rawId) : undefined
