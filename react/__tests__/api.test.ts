import { createApi } from '../utils/api'

/**
 * The query parameters each route accepts (the app answers any other with
 * 400 UNKNOWN_QUERY_PARAMETER): node/middlewares/parseBatch.ts
 * (SCORE_QUERY_PARAMETERS) and the assertKnownQuery calls of
 * node/middlewares/jobs.ts.
 */
const ACCEPTED: Array<[RegExp, string[]]> = [
  [/\/score\/update$/, ['dryRun', 'async', 'allowFieldDrift']],
  [/\/score\/jobs$/, ['limit', 'status']],
  [/\/score\/jobs\/[^/]+\/results$/, ['cursor', 'limit']],
  [/\/score\/jobs\/[^/]+\/report\.csv$/, ['only', 'delimiter']],
  [/\/score\/jobs\/[^/]+(\/cancel|\/undo)?$/, []],
]

describe('the URLs the page builds', () => {
  it('name only query parameters their route accepts, spelled as it spells them', async () => {
    const urls: string[] = []
    const api = createApi({
      fetch: (async (url: string) => {
        urls.push(url)

        return {
          status: 200,
          json: async () => ({ jobs: [] }),
          blob: async () => new Blob([]),
        }
      }) as unknown as typeof fetch,
    })
    const items = [{ id: '1', score: '2' }]

    await api.batch('product', items, true)
    await api.batch('category', items, false)
    await api.startJob(items, true, 'k')
    await api.startJob(items, false, 'k')
    await api.job('j 1')
    await api.jobs(20)
    await api.results('j', '0', 50)
    await api.cancel('j')
    await api.undo('j')
    await api.failedRows('j')
    await api.failedRows('j', 'semicolon')
    await api.failedRows('j', 'tab')

    expect(urls).toHaveLength(12)
    for (const url of urls) {
      const parsed = new URL(url, 'https://store.example')
      const route = ACCEPTED.find(([pattern]) => pattern.test(parsed.pathname))

      expect({ url, known: Boolean(route) }).toEqual({ url, known: true })
      for (const name of parsed.searchParams.keys())
        expect({ url, name, accepted: route?.[1].includes(name) }).toEqual({
          url,
          name,
          accepted: true,
        })
    }

    expect(urls).toContain(
      '/_v/massive/score/jobs/j/report.csv?only=failed&delimiter=semicolon'
    )
  })
})
