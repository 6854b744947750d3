import { catalogRoutes, CatalogKind } from '../clients/catalog'

/** Products and categories differ only in their path and their label. */
export interface ScoreTarget {
  kind: CatalogKind
  label: string
  path(id: number): string
}

export const PRODUCT_TARGET: ScoreTarget = {
  kind: 'product',
  label: 'product',
  path: catalogRoutes.product,
}

export const CATEGORY_TARGET: ScoreTarget = {
  kind: 'category',
  label: 'category',
  path: catalogRoutes.category,
}
