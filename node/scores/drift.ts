import type { CatalogObject } from './catalogPort'

/**
 * A documented case where the Catalog would change a field other than Score
 * (or refuse the PUT) when the object is written back as it was read.
 * Sources: docs/README.md, "Guarded cases".
 */
export interface DriftFinding {
  /** Names the case; the item's code when it is refused. */
  code: DriftCode
  /** The item's status when it is refused. */
  status: number
  fields: string[]
  /** What the Catalog would do, and how the admin fixes it. */
  message: string
}

export type DriftCode =
  | 'TRAILING_SPACES'
  | 'EMPTY_RELEASE_DATE'
  | 'DIACRITICS_WOULD_BE_STRIPPED'

export type DriftCheck = (object: CatalogObject) => DriftFinding | undefined

const quoted = (fields: string[]) => fields.map((f) => `'${f}'`).join(', ')

const stringFields = (
  object: CatalogObject,
  test: (value: string) => boolean
) =>
  Object.keys(object).filter((key) => {
    const value = object[key]

    return typeof value === 'string' && test(value)
  })

/**
 * VTEX known issue 977033, "Catalog API doesn't respond properly to space at
 * the end of strings" (https://help.vtex.com/en/known-issues/catalog-api-doesnt-respond-properly-to-space-at-the-end-of-strings):
 * a string field "sent ending with spaces (for instance productName:
 * "myProductName ")" gets "an improper 400 response and empty response
 * body"; its simulation inserts "1+ empty spaces at the end of a string
 * field". Spaces, then: not any whitespace. A description ending in a line
 * break is common and not documented to fail, so it is neither refused
 * before the PUT nor blamed for an empty 400.
 */
const ENDS_IN_SPACE = / $/

/** Names the string fields that end in a space (VTEX known issue 977033). */
export const fieldsEndingInSpace = (object: CatalogObject) =>
  stringFields(object, (value) => ENDS_IN_SPACE.test(value))

export const trailingSpaces: DriftCheck = (object) => {
  const fields = fieldsEndingInSpace(object)

  if (fields.length === 0) return undefined

  return {
    code: 'TRAILING_SPACES',
    status: 400,
    fields,
    message: `field(s) ${quoted(
      fields
    )} end in spaces, and the Catalog refuses such a PUT with an empty 400 (a known Catalog issue). Remove the trailing spaces from those fields in the Catalog admin, then send this item again.`,
  }
}

// VTEX known issue 1024207: a null ReleaseDate is saved as the current date.
const isEmptyDate = (value: unknown) =>
  value === null ||
  value === undefined ||
  (typeof value === 'string' && value.trim() === '')

export const emptyReleaseDate: DriftCheck = (object) => {
  if (!isEmptyDate(object.ReleaseDate)) return undefined

  return {
    code: 'EMPTY_RELEASE_DATE',
    status: 422,
    fields: ['ReleaseDate'],
    message:
      "the field 'ReleaseDate' is empty, and the Catalog saves an empty ReleaseDate as today's date (a known Catalog issue), which moves the product in release-date sorting and collections. Set the product's release date in the Catalog admin, then send this item again.",
  }
}

const COMBINING_MARK = /[\u0300-\u036f]/

/**
 * A letter outside Latin-1 that carries a diacritic (ă, ș, ő...), or a bare
 * combining mark. The Latin-1 accents (á, ç, ã, ñ, ü...) are kept by the
 * Catalog; which others it strips is not documented beyond "such as ă".
 */
export function hasStrippableDiacritic(value: string): boolean {
  for (const char of value) {
    if (COMBINING_MARK.test(char)) return true
    if (
      (char.codePointAt(0) as number) > 0xff &&
      COMBINING_MARK.test(char.normalize('NFD'))
    )
      return true
  }

  return false
}

// VTEX known issue 623345 ("No Fix"): some diacritics, such as ă, are removed on PUT.
export const strippableDiacritics: DriftCheck = (object) => {
  const fields = stringFields(object, hasStrippableDiacritic)

  if (fields.length === 0) return undefined

  return {
    code: 'DIACRITICS_WOULD_BE_STRIPPED',
    status: 422,
    fields,
    message: `field(s) ${quoted(
      fields
    )} contain diacritics outside Latin-1 (such as ă), which the Catalog API removes on every update (a known Catalog issue, not to be fixed). Set this item's Score in the Catalog admin instead, which keeps them (VTEX's workaround).`,
  }
}

/** Every finding of `checks` on `object`, in the order of the checks. */
export const findDrift = (
  object: CatalogObject,
  checks: readonly DriftCheck[]
): DriftFinding[] =>
  checks
    .map((check) => check(object))
    .filter((finding): finding is DriftFinding => finding !== undefined)
