import { assertKnownQuery, integerQuery } from '../../input/query'
import { requestErrorOf } from '../helpers/requestErrorOf'

describe('assertKnownQuery', () => {
  const accepted = ['dryRun', 'async', 'allowFieldDrift']

  it('lets the accepted names and the platform reserved ones pass', () => {
    expect(() =>
      assertKnownQuery({ dryRun: 'true', __bindingId: 'x' }, accepted)
    ).not.toThrow()
  })

  it('refuses a misspelled name, points to the right one and lists what the route accepts', () => {
    const error = requestErrorOf(() =>
      assertKnownQuery({ dryrun: 'true', limit: '3' }, accepted)
    )

    expect(error.status).toBe(400)
    expect(error.code).toBe('UNKNOWN_QUERY_PARAMETER')
    expect(error.message).toBe(
      "Unknown query parameters 'dryrun', 'limit'; nothing was done. Names are case-sensitive: 'dryrun' is written 'dryRun'. This route accepts: 'dryRun', 'async', 'allowFieldDrift'."
    )
  })

  it('says when a route accepts no parameter', () => {
    expect(
      requestErrorOf(() => assertKnownQuery({ force: '1' }, [])).message
    ).toContain('This route accepts: none.')
  })
})

describe('integerQuery', () => {
  const range = { fallback: 100, min: 1, max: 1000 }

  it.each([
    [undefined, 100],
    ['', 100],
    ['1', 1],
    ['1000', 1000],
  ])('reads %p as %p', (value, expected) => {
    expect(
      integerQuery(value === undefined ? {} : { limit: value }, 'limit', range)
    ).toBe(expected)
  })

  it.each([['0'], ['1001'], ['-1'], ['1.5'], ['abc'], ['99999999999']])(
    'refuses %p with the range the docs give',
    (value) => {
      const error = requestErrorOf(() =>
        integerQuery({ limit: value }, 'limit', range)
      )

      expect(error.code).toBe('INVALID_QUERY')
      expect(error.message).toBe(
        "Query parameter 'limit' must be a whole number from 1 to 1000 (100 when absent)."
      )
    }
  )
})
