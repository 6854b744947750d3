import Ajv, { ValidateFunction } from 'ajv'

import { CatalogKind, SCHEMAS } from '../../../local/catalogEmulator/fields'

// Ajv 8 knows `deprecated` (an annotation the schemas keep from the OpenAPI).
const ajv = new Ajv({ allErrors: true, strict: true })

/** The JSON Schemas of local/catalogEmulator/schemas, compiled once. */
export const validators: Record<
  CatalogKind,
  { get: ValidateFunction; put: ValidateFunction }
> = {
  product: {
    get: ajv.compile(SCHEMAS.product.get),
    put: ajv.compile(SCHEMAS.product.put),
  },
  category: {
    get: ajv.compile(SCHEMAS.category.get),
    put: ajv.compile(SCHEMAS.category.put),
  },
}

/** The schema violations of `value`, as readable lines; empty when it conforms. */
export function violations(
  kind: CatalogKind,
  which: 'get' | 'put',
  value: unknown
): string[] {
  const validate = validators[kind][which]

  if (validate(value)) return []

  return (validate.errors ?? []).map(
    (e) => `${kind} ${which}: ${e.instancePath || '/'} ${e.message}`
  )
}
