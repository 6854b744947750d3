import type { CatalogObject } from './catalogPort'

export type FieldType = 'integer' | 'string' | 'boolean'

/** A field the Catalog PUT requires (VTEX Catalog OpenAPI), and whether it may be null. */
export interface RequiredField {
  name: string
  type: FieldType
  nullable: boolean
}

export type ObjectCheck =
  | { ok: true; object: CatalogObject }
  | { ok: false; problems: string[] }

const isPlainObject = (value: unknown): value is CatalogObject =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  [Object.prototype, null].includes(Object.getPrototypeOf(value))

function hasType(value: unknown, type: FieldType) {
  if (type === 'integer') return Number.isInteger(value)

  return typeof value === type
}

const show = (value: unknown) => {
  const text = JSON.stringify(value)

  return text === undefined ? String(value) : text.slice(0, 40)
}

/** What a GET answer must carry to be written back. */
export interface ObjectRules {
  /** Present, of their type, and non-null unless nullable. */
  required: readonly RequiredField[]
  /** Present (any value, null included): the PUT sets them, so one missing from the answer would be erased. */
  erasable: readonly string[]
  /** Fields the caller sets itself (Score). */
  skip?: readonly string[]
}

/**
 * Is this GET answer safe to PUT back? The PUT replaces the whole object, so
 * another object's data, or a truncated one, would be written as it is.
 */
export function checkCatalogObject(
  value: unknown,
  id: number,
  rules: ObjectRules
): ObjectCheck {
  const skip = rules.skip ?? []

  if (!isPlainObject(value)) {
    return {
      ok: false,
      problems: [
        `the answer is ${
          Array.isArray(value)
            ? 'an array'
            : value === null
            ? 'null'
            : typeof value
        }, not an object`,
      ],
    }
  }

  const problems: string[] = []

  if (value.Id === undefined) problems.push('it has no Id')
  else if (value.Id !== id)
    problems.push(`its Id is ${show(value.Id)}, not ${id}`)

  for (const field of rules.required) {
    if (skip.includes(field.name)) continue
    const present = field.name in value
    const fieldValue = value[field.name]

    if (!present || fieldValue === undefined) {
      problems.push(`the required field ${field.name} is missing`)
    } else if (fieldValue === null) {
      if (!field.nullable)
        problems.push(`the required field ${field.name} is null`)
    } else if (!hasType(fieldValue, field.type)) {
      problems.push(
        `the field ${field.name} is ${show(fieldValue)}, not ${
          field.type === 'integer' ? 'an integer' : `a ${field.type}`
        }`
      )
    }
  }

  const erased = rules.erasable.filter(
    (name) => !skip.includes(name) && value[name] === undefined
  )

  if (erased.length > 0)
    problems.push(
      `the field(s) ${erased.join(
        ', '
      )} are missing, and the PUT would erase them`
    )

  return problems.length > 0
    ? { ok: false, problems }
    : { ok: true, object: value }
}
