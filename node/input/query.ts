import type { ParsedUrlQuery } from 'querystring'

import { RequestError } from './requestError'

/**
 * Query parameter names starting with two underscores belong to the VTEX IO
 * platform (`__bindingId`, `__v`): they are left to it, never read here.
 */
const PLATFORM_PARAMETER = /^__/

const list = (names: readonly string[]) =>
  names.length === 0 ? 'none' : names.map((name) => `'${name}'`).join(', ')

const shown = (name: string) =>
  `'${name.length > 40 ? `${name.slice(0, 40)}…` : name}'`

/**
 * Refuses a request naming a query parameter the route does not read: a
 * misspelled `?dryrun=true` must not run as if it were absent (and write).
 * Names are case-sensitive; a name that differs from an accepted one only
 * in case is pointed to it. Runs before the body is read and before
 * anything is written.
 */
export function assertKnownQuery(
  query: ParsedUrlQuery,
  accepted: readonly string[]
) {
  const unknown = Object.keys(query).filter(
    (name) => !accepted.includes(name) && !PLATFORM_PARAMETER.test(name)
  )

  if (unknown.length === 0) return

  const hints = unknown.flatMap((name) => {
    const meant = accepted.find(
      (known) => known.toLowerCase() === name.toLowerCase()
    )

    return meant ? [`${shown(name)} is written '${meant}'`] : []
  })

  throw new RequestError(
    400,
    'UNKNOWN_QUERY_PARAMETER',
    `Unknown query parameter${unknown.length > 1 ? 's' : ''} ${unknown
      .slice(0, 5)
      .map(shown)
      .join(', ')}${unknown.length > 5 ? ', …' : ''}; nothing was done.${
      hints.length > 0
        ? ` Names are case-sensitive: ${hints.slice(0, 5).join('; ')}.`
        : ''
    } This route accepts: ${list(accepted)}.`
  )
}

/** `true`, or the name with no value, is on; `false` or an absent parameter is off; anything else is refused. */
export function booleanQuery(query: ParsedUrlQuery, name: string): boolean {
  const value = query[name]

  if (value === undefined || value === 'false') return false
  if (value === 'true' || value === '') return true

  throw new RequestError(
    400,
    'INVALID_QUERY',
    `Query parameter '${name}' must be 'true' or 'false'.`
  )
}

/** An integer from `min` to `max` (`fallback` when absent or empty); the message states the range the docs give. */
export function integerQuery(
  query: ParsedUrlQuery,
  name: string,
  range: { fallback: number; min: number; max: number }
): number {
  const raw = query[name]

  if (raw === undefined || raw === '') return range.fallback
  if (
    typeof raw !== 'string' ||
    !/^\d{1,10}$/.test(raw) ||
    Number(raw) < range.min ||
    Number(raw) > range.max
  )
    throw new RequestError(
      400,
      'INVALID_QUERY',
      `Query parameter '${name}' must be a whole number from ${range.min} to ${range.max} (${range.fallback} when absent).`
    )

  return Number(raw)
}
