import type { CatalogKind } from './catalogPort'
import type { RequiredField } from './catalogObject'
import {
  DriftCheck,
  emptyReleaseDate,
  strippableDiacritics,
  trailingSpaces,
} from './drift'

/**
 * Everything that differs between products and categories. The Catalog route
 * of each kind lives in the client's routes map; the JSON Schemas named here
 * (local/catalogEmulator/schemas/) are the contract the required fields are
 * tested against.
 */
export interface ScoreTarget {
  kind: CatalogKind
  /** What the PUT requires (VTEX Catalog OpenAPI), checked on every GET answer before it is written back. */
  requiredFields: readonly RequiredField[]
  /**
   * The other fields the PUT sets (deprecated ones aside): a GET answer
   * without one of them is truncated, since the PUT would erase it (and set
   * an omitted boolean such as IsActive to false).
   */
  erasableFields: readonly string[]
  /** Documented cases where writing the object back would change other fields. */
  driftChecks: readonly DriftCheck[]
  schemas: { get: string; put: string }
  /**
   * Whether `?async=true` may run a batch of this kind as a job. Jobs write
   * with the app's own token, which holds only the policies the manifest
   * declares; VTEX publishes one for products and none for categories.
   */
  runsAsJobs: boolean
}

const required = (
  type: RequiredField['type'],
  names: string[],
  nullable = false
): RequiredField[] => names.map((name) => ({ name, type, nullable }))

export const PRODUCT_TARGET: ScoreTarget = {
  kind: 'product',
  runsAsJobs: true,
  requiredFields: [
    ...required('string', ['Name']),
    ...required('integer', ['CategoryId', 'BrandId']),
  ],
  erasableFields: [
    'DepartmentId',
    'LinkId',
    'RefId',
    'IsVisible',
    'Description',
    'DescriptionShort',
    'ReleaseDate',
    'KeyWords',
    'Title',
    'IsActive',
    'TaxCode',
    'MetaTagDescription',
    'ShowWithoutStock',
  ],
  driftChecks: [trailingSpaces, emptyReleaseDate, strippableDiacritics],
  schemas: { get: 'product.get.json', put: 'product.put.json' },
}

export const CATEGORY_TARGET: ScoreTarget = {
  kind: 'category',
  runsAsJobs: false,
  requiredFields: [
    ...required('string', [
      'Name',
      'Keywords',
      'Title',
      'Description',
      'StockKeepingUnitSelectionMode',
    ]),
    ...required(
      'string',
      ['AdWordsRemarketingCode', 'LomadeeCampaignCode'],
      true
    ),
    ...required('integer', ['FatherCategoryId'], true),
    ...required('integer', ['GlobalCategoryId', 'Score']),
    ...required('boolean', [
      'ShowInStoreFront',
      'IsActive',
      'ActiveStoreFrontLink',
      'ShowBrandFilter',
    ]),
  ],
  // Every field the category PUT sets is required.
  erasableFields: [],
  driftChecks: [trailingSpaces, strippableDiacritics],
  schemas: { get: 'category.get.json', put: 'category.put.json' },
}
