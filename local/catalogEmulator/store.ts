import {
  applyPut,
  CatalogKind,
  CatalogObject,
  hasTrailingSpace,
  makeCategory,
  makeProduct,
  putProblem,
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

/** The Catalog's data: products and categories by id, seeded with sample objects. */
export class CatalogStore {
  private readonly objects: Record<CatalogKind, Map<number, CatalogObject>> = {
    product: new Map(),
    category: new Map(),
  }

  constructor(seed: { products?: number; categories?: number } = {}) {
    for (let id = 1; id <= (seed.products ?? 50); id++)
      this.objects.product.set(id, makeProduct(id))
    for (let id = 1; id <= (seed.categories ?? 20); id++)
      this.objects.category.set(id, makeCategory(id))
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

  /** GET /api/catalog/pvt/{kind}/{id}, as the Catalog answers it. */
  public read(kind: CatalogKind, rawId: string): CatalogAnswer {
    const id = parseId(rawId)

    if (id === undefined)
      return { status: 400, body: { Message: `Invalid ${kind} id '${rawId}'` } }

    const current = this.objects[kind].get(id)

    return current
      ? { status: 200, body: clone(current) }
      : { status: 404, body: `${labelOf(kind)} not found` }
  }

  /** PUT /api/catalog/pvt/{kind}/{id}: replaces the whole object (omitted fields are wiped). */
  public write(kind: CatalogKind, rawId: string, body: unknown): CatalogAnswer {
    const id = parseId(rawId)

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

    // The known VTEX issue: any string field ending in whitespace fails with an empty 400.
    if (hasTrailingSpace(body as CatalogObject)) return { status: 400 }

    const problem = putProblem(kind, body as CatalogObject)

    if (problem) return { status: 400, body: { Message: problem } }

    const stored = applyPut(kind, id, body as CatalogObject)

    this.objects[kind].set(id, stored)

    return { status: 200, body: clone(stored) }
  }
}

const labelOf = (kind: CatalogKind) =>
  kind === 'product' ? 'Product' : 'Category'

const parseId = (rawId: string) =>
  /^\d+$/.test(rawId) && Number(rawId) >= 1 ? Number(rawId) : undefined
