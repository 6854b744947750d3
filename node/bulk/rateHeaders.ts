/** What an answer's headers say about the upstream's rate limit; every field optional. */
export interface RateHeaders {
  /** Retry-After (seconds or an HTTP date), else the reset of the limit, in ms from now. */
  retryAfterMs?: number
  /** The quota (Ratelimit-Limit / X-RateLimit-Limit). */
  limit?: number
  /** What is left of it (Ratelimit-Remaining / X-RateLimit-Remaining). */
  remaining?: number
}

export type HeaderLookup = (name: string) => string | undefined

const SECONDS = /^\s*\d+(\.\d+)?\s*$/

const secondsToMs = (value?: string) =>
  value === undefined || !SECONDS.test(value)
    ? undefined
    : Math.round(Number(value) * 1000)

const count = (value?: string) => {
  if (value === undefined) return undefined
  // IETF drafts allow `limit, 100;w=60`-style lists: the first number is the quota.
  const match = /^\s*(\d+)/.exec(value)

  return match ? Number(match[1]) : undefined
}

/** Seconds in Retry-After (or an HTTP date), else the reset seconds; nonsense is ignored. */
export function retryAfterMs(
  headers: { retryAfter?: string; reset?: string },
  now: number = Date.now()
): number | undefined {
  const retryAfter = secondsToMs(headers.retryAfter)

  if (retryAfter !== undefined) return retryAfter

  if (headers.retryAfter) {
    const date = Date.parse(headers.retryAfter)

    if (!Number.isNaN(date) && date >= now) return date - now
  }

  return secondsToMs(headers.reset)
}

/** Reads `Ratelimit-*` (IETF draft) or `X-RateLimit-*`, whichever the answer carries. */
export function readRateHeaders(
  header: HeaderLookup,
  now: number = Date.now()
): RateHeaders {
  const either = (field: string) =>
    header(`ratelimit-${field}`) ?? header(`x-ratelimit-${field}`)

  const result: RateHeaders = {}
  const wait = retryAfterMs(
    { retryAfter: header('retry-after'), reset: either('reset') },
    now
  )
  const limit = count(either('limit'))
  const remaining = count(either('remaining'))

  if (wait !== undefined) result.retryAfterMs = wait
  if (limit !== undefined && limit > 0) result.limit = limit
  if (remaining !== undefined) result.remaining = remaining

  return result
}
