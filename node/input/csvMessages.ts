import type { InvalidItem, ItemProblem } from '../scores/validate'
import { parseInt32 } from '../scores/validate'
import { columnLetter, CsvBatch, CsvColumn, CsvKind } from './csv'

const quoted = (value: unknown) => {
  const text = String(value)

  return `'${text.length > 40 ? `${text.slice(0, 40)}…` : text}'`
}

/** "Remove the spaces" when the cell is a number but for spaces around it. */
const spaces = (value: unknown) =>
  typeof value === 'string' &&
  value.trim() !== value &&
  parseInt32(value.trim()) !== undefined
    ? ` Remove the spaces around ${quoted(value.trim())}.`
    : ''

const where = (line: number | undefined, column: CsvColumn) =>
  `${line === undefined ? '' : `Line ${line}, `}'${column.name.slice(
    0,
    40
  )}' column (${columnLetter(column.column)})`

/**
 * The problems of invalid CSV rows, told as a spreadsheet user reads their
 * file: the line (1-based, the header is line 1), the column by the name
 * the file gives it and its letter, the cell as written, and what to write
 * instead. The codes stay those of a JSON body.
 */
export function spreadsheetProblems(
  invalid: readonly InvalidItem[],
  batch: CsvBatch,
  kind: CsvKind
): InvalidItem[] {
  const { id: idColumn, score: scoreColumn } = batch.columns
  // The line each id is first on, for a repeated id.
  const firstLine = new Map<number, number>()

  batch.items.forEach((item, index) => {
    const id = parseInt32(item.id)

    if (id !== undefined && !firstLine.has(id))
      firstLine.set(id, batch.lines[index])
  })

  const told = (item: InvalidItem, problem: ItemProblem): string => {
    const raw = batch.items[item.index] ?? {}
    const idAt = where(item.line, idColumn)
    const scoreAt = where(item.line, scoreColumn)

    switch (problem.code) {
      case 'MISSING_FIELD':
        return problem.message.includes("field 'id'")
          ? `${idAt}: the cell is empty. Fill in the ${kind} id, or delete the row.`
          : `${scoreAt}: the cell is empty. Fill in the Score (a whole number), or delete the row.`

      case 'INVALID_ID':
        return `${idAt}: ${quoted(
          raw.id
        )} is not a ${kind} id. Write the id as the Catalog shows it: a whole number above 0, with no decimals or thousands separators.${spaces(
          raw.id
        )}`

      case 'DUPLICATE_ID': {
        const id = parseInt32(raw.id)
        const first = id === undefined ? undefined : firstLine.get(id)

        return `${idAt}: ${kind} ${id} is also on line ${first}. Keep one of the two rows.`
      }

      case 'INVALID_SCORE':
        return `${scoreAt}: ${quoted(
          raw.score
        )} is not a whole number. Write the Score with no decimals or thousands separators, from -2147483648 to 2147483647.${spaces(
          raw.score
        )}`

      default:
        return problem.message
    }
  }

  return invalid.map((item) => ({
    ...item,
    problems: item.problems.map((problem) => ({
      ...problem,
      message: told(item, problem),
    })),
  }))
}
