import { RequestError } from '../input/requestError'

const INT32_MAX = 2_147_483_647
const INT32_MIN = -2_147_483_648
// Leading zeros are allowed ("01" is 1), so duplicates are caught whatever the spelling.
// Nothing else is: a space around the digits is refused, in a JSON string as in
// a CSV cell (the CSV reader does not trim cells), so " 5" means the same in both.
const INTEGER_STRING = /^-?0*([0-9]{1,10})$/

/** What to tell a caller whose number is right but for the spaces around it. */
const spacesHint = (value: unknown) =>
  typeof value === 'string' &&
  value.trim() !== value &&
  INTEGER_STRING.test(value.trim())
    ? ` Remove the spaces around ${JSON.stringify(value.trim())}.`
    : ''

export interface ScoreItem {
  /** Position in the request (0-based). */
  index: number
  id: number
  score: number
}

export interface ItemProblem {
  code:
    | 'INVALID_ITEM'
    | 'MISSING_FIELD'
    | 'INVALID_ID'
    | 'INVALID_SCORE'
    | 'DUPLICATE_ID'
  message: string
}

export interface InvalidItem {
  index: number
  /** Where the item came from in the upload, when it was not JSON (e.g. a CSV line). */
  line?: number
  id?: unknown
  score?: unknown
  problems: ItemProblem[]
}

export interface ValidationOptions {
  maxItems: number
  /** Set on a synchronous request: a batch over `maxItems` is told it may run as a job up to this size. */
  maxAsyncItems?: number
  /** Maps an item index to its source line, so errors can cite it. */
  lineOf?(index: number): number
}

export type BatchValidation =
  | { ok: true; items: ScoreItem[] }
  | { ok: false; invalid: InvalidItem[] }

/** Parses an int32 given as a number or a string of ASCII digits; -0 becomes 0. */
export function parseInt32(value: unknown): number | undefined {
  let parsed: number

  if (typeof value === 'number') {
    parsed = value
  } else if (typeof value === 'string' && INTEGER_STRING.test(value)) {
    parsed = Number(value)
  } else {
    return undefined
  }

  if (!Number.isInteger(parsed) || parsed < INT32_MIN || parsed > INT32_MAX) {
    return undefined
  }

  return parsed === 0 ? 0 : parsed
}

function problem(code: ItemProblem['code'], detail: string): ItemProblem {
  return { code, message: `The request is invalid: ${detail}` }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Echoes only scalar input back, so a huge or nested value never bloats the answer. */
const echo = (value: unknown) =>
  value === null || ['string', 'number', 'boolean'].includes(typeof value)
    ? value
    : undefined

/**
 * Validates a whole batch. All or nothing: the caller writes only when every
 * item is valid, and gets every problem of every invalid item otherwise.
 */
export function validateBatch(
  body: unknown,
  options: ValidationOptions
): BatchValidation {
  if (!Array.isArray(body)) {
    throw new RequestError(
      400,
      'PAYLOAD_NOT_A_LIST',
      'The request body must be a JSON array of { "id", "score" } items.'
    )
  }

  if (body.length === 0) {
    throw new RequestError(
      400,
      'EMPTY_BATCH',
      'The batch is empty: send at least one { "id", "score" } item.'
    )
  }

  if (body.length > options.maxItems) {
    throw new RequestError(
      413,
      'BATCH_TOO_LARGE',
      `The batch has ${body.length} items; at most ${
        options.maxItems
      } are accepted per request.${
        options.maxAsyncItems !== undefined &&
        body.length <= options.maxAsyncItems
          ? ` Send it with ?async=true to run it as a job (up to ${options.maxAsyncItems} items), or split it.`
          : options.maxAsyncItems !== undefined
          ? ` A job (?async=true) takes up to ${options.maxAsyncItems} items: split the batch.`
          : ' Split the batch.'
      }`
    )
  }

  const items: ScoreItem[] = []
  const invalid: InvalidItem[] = []
  const firstIndexById = new Map<number, number>()

  body.forEach((raw: unknown, index) => {
    const problems: ItemProblem[] = []
    const where = options.lineOf ? { line: options.lineOf(index) } : {}

    if (!isPlainObject(raw)) {
      invalid.push({
        index,
        ...where,
        problems: [
          problem(
            'INVALID_ITEM',
            "each item must be an object with fields 'id' and 'score'."
          ),
        ],
      })

      return
    }

    const rawId = Object.prototype.hasOwnProperty.call(raw, 'id')
      ? raw.id
      : undefined
    const rawScore = Object.prototype.hasOwnProperty.call(raw, 'score')
      ? raw.score
      : undefined
    const id = parseInt32(rawId)
    const score = parseInt32(rawScore)

    if (rawId === undefined) {
      problems.push(problem('MISSING_FIELD', "field 'id' is required."))
    } else if (id === undefined || id < 1) {
      problems.push(
        problem(
          'INVALID_ID',
          `field 'id' must be a positive integer.${spacesHint(rawId)}`
        )
      )
    } else if (firstIndexById.has(id)) {
      problems.push(
        problem(
          'DUPLICATE_ID',
          `id ${id} is repeated; it first appears at index ${firstIndexById.get(
            id
          )}.`
        )
      )
    } else {
      firstIndexById.set(id, index)
    }

    if (rawScore === undefined) {
      problems.push(problem('MISSING_FIELD', "field 'score' is required."))
    } else if (score === undefined) {
      problems.push(
        problem(
          'INVALID_SCORE',
          `field 'score' must be an integer between -2147483648 and 2147483647.${spacesHint(
            rawScore
          )}`
        )
      )
    }

    if (problems.length > 0) {
      invalid.push({
        index,
        ...where,
        id: echo(rawId),
        score: echo(rawScore),
        problems,
      })
    } else {
      items.push({ index, id: id as number, score: score as number })
    }
  })

  return invalid.length > 0 ? { ok: false, invalid } : { ok: true, items }
}
