/** One media range of an Accept header, with its weight. */
function ranges(accept: string) {
  return accept.split(',').map((part) => {
    const [type, ...params] = part.split(';').map((p) => p.trim().toLowerCase())
    const q = params.find((p) => p.startsWith('q='))

    return { type, q: q ? Number(q.slice(2)) : 1 }
  })
}

/** The weight an Accept header gives `type`: its own entry, else its major type with any subtype, else any type; 0 when none. */
function weight(accept: string, type: string): number {
  const entries = ranges(accept)
  const major = `${type.split('/')[0]}/*`
  const match =
    entries.find((entry) => entry.type === type) ??
    entries.find((entry) => entry.type === major) ??
    entries.find((entry) => entry.type === '*/*')

  return match && Number.isFinite(match.q) ? match.q : 0
}

/**
 * Whether a caller asks for the result as CSV: its Accept header names
 * `text/csv` and weighs it above JSON, or as much and before it (as Koa's
 * negotiation reads it). A missing header, one accepting anything, or one
 * naming neither, gets JSON, as before.
 */
export function prefersCsv(accept: string | undefined): boolean {
  if (!accept || !/text\/csv/i.test(accept)) return false

  const csv = weight(accept, 'text/csv')
  const json = weight(accept, 'application/json')

  if (csv !== json) return csv > json

  const types = ranges(accept).map((entry) => entry.type)
  const jsonAt = types.indexOf('application/json')

  return csv > 0 && (jsonAt === -1 || types.indexOf('text/csv') < jsonAt)
}
