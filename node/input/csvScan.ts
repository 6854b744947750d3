/** The text of a CSV walked as RFC 4180 reads it: where records start, where a quoting mistake starts, where the header ends. */

export type QuoteProblem =
  | 'unclosed'
  | 'text after closing quote'
  | 'quote inside'

export interface Scan {
  /** The line each non-empty record starts on. */
  recordLines: number[]
  /** The first quoting mistake, where it starts. */
  problem?: { kind: QuoteProblem; line: number; column: number }
}

/**
 * Walks the text the way RFC 4180 reads it, as csv-parse does here: a quote
 * opens a cell only as its first character, and only a delimiter or a line
 * break may follow the closing quote. It does not build cells: csv-parse
 * does. It finds where each record starts and where a quoting mistake
 * starts, which csv-parse's errors do not say (an unclosed quote is reported
 * at the end of the file).
 */
export function scan(text: string, delimiter: string): Scan {
  const result: Scan = { recordLines: [] }
  let state: 'start' | 'unquoted' | 'quoted' | 'closed' = 'start'
  let line = 1
  let column = 1
  let recordLine = 1
  let recordHasText = false
  let quote = { line: 1, column: 1 }

  for (let i = 0; i < text.length; i++) {
    const char = text[i]

    if (state === 'quoted') {
      if (char === '"') {
        if (text[i + 1] === '"') i++
        else state = 'closed'
      } else if (char === '\n' || (char === '\r' && text[i + 1] !== '\n')) {
        line++
      }

      continue
    }

    if (char === '\r' || char === '\n') {
      if (char === '\r' && text[i + 1] === '\n') i++
      if (recordHasText) result.recordLines.push(recordLine)

      line++
      recordLine = line
      column = 1
      recordHasText = false
      state = 'start'
      continue
    }

    recordHasText = true

    if (char === delimiter) {
      column++
      state = 'start'
    } else if (state === 'start') {
      if (char === '"') {
        state = 'quoted'
        quote = { line, column }
      } else {
        state = 'unquoted'
      }
    } else if (state === 'closed') {
      result.problem = { kind: 'text after closing quote', line, column }

      return result
    } else if (state === 'unquoted' && char === '"') {
      result.problem = { kind: 'quote inside', line, column }

      return result
    }
  }

  if (state === 'quoted') {
    result.problem = { kind: 'unclosed', ...quote }
  } else if (recordHasText) {
    result.recordLines.push(recordLine)
  }

  return result
}

/** Where the header row ends: the first line break outside quotes. */
export function headerEnd(text: string): number {
  let quoted = false

  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') quoted = !quoted
    else if (!quoted && (text[i] === '\n' || text[i] === '\r')) return i
  }

  return text.length
}
