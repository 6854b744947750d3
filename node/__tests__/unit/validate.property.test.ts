import fc from 'fast-check'

import { parseJsonBody } from '../../input/body'
import { RequestError } from '../../input/requestError'
import { validateBatch } from '../../scores/validate'
import { recordFigures } from '../helpers/invariants'

const MAX_ITEMS = 200
const runs: Record<string, number> = {}

/** Runs a property and remembers how many cases it tried, for dev-docs/RELIABILITY.md. */
function check<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T) => void,
  numRuns: number
) {
  fc.assert(fc.property(arbitrary, predicate), { numRuns })
  runs[name] = numRuns
}

afterAll(() => {
  recordFigures(
    'properties',
    Object.entries(runs).map(([property, cases]) => ({ property, cases }))
  )
})

/** The whole request pipeline on a raw body: parse, then validate. */
function pipeline(text: string) {
  try {
    return {
      result: validateBatch(parseJsonBody(text), { maxItems: MAX_ITEMS }),
    }
  } catch (error) {
    return { error }
  }
}

const expectPreciseRejection = (error: unknown) => {
  expect(error).toBeInstanceOf(RequestError)
  const { status, code, message } = error as RequestError

  expect(status).toBeGreaterThanOrEqual(400)
  expect(status).toBeLessThan(500)
  expect(code).toMatch(/^[A-Z_]+$/)
  expect(message.length).toBeGreaterThan(10)
}

// Ids and scores in every spelling a caller might send, valid or not.
const idLike = fc.oneof(
  fc.integer({ min: -5, max: 2 ** 31 + 5 }),
  fc.integer({ min: 1, max: 1000 }).map(String),
  fc.integer({ min: 1, max: 1000 }).map((n) => `0${n}`),
  fc.constantFrom(
    '1e3',
    '1.5',
    '-0',
    ' 12',
    '12a',
    'NaN',
    'Infinity',
    '١٢',
    '１２',
    '0x10',
    '',
    '1/../../x',
    '1?an=other'
  ),
  fc.double(),
  fc.constantFrom(
    null,
    true,
    false,
    [],
    {},
    1e400,
    -0,
    Number.MAX_SAFE_INTEGER + 2
  )
)

const itemLike = fc.oneof(
  fc.record({ id: idLike, score: idLike }),
  fc.record(
    { id: idLike, score: idLike, extra: fc.jsonValue() },
    { requiredKeys: ['id'] }
  ),
  fc.jsonValue()
)

describe('validation properties', () => {
  it('any JSON value: a precise 4xx or a validation result, never anything else', () => {
    check(
      'any JSON value as the body',
      fc.jsonValue(),
      (value) => {
        const { result, error } = pipeline(JSON.stringify(value) ?? 'null')

        if (error) expectPreciseRejection(error)
        else expect(result?.ok === true || result?.ok === false).toBe(true)
      },
      1000
    )
  })

  it('any string: a precise 4xx or a validation result', () => {
    check(
      'any unicode string as the body',
      fc.fullUnicodeString({ maxLength: 200 }),
      (text) => {
        const { error } = pipeline(text)

        if (error) expectPreciseRejection(error)
      },
      1000
    )
  })

  it('every item lands exactly once, valid items are int32 and ids are unique', () => {
    check(
      'arrays of id/score items in many spellings',
      fc.array(itemLike, { minLength: 1, maxLength: 60 }),
      (items) => {
        const { result, error } = pipeline(JSON.stringify(items))

        if (error) {
          expectPreciseRejection(error)

          return
        }

        if (result?.ok) {
          expect(result.items.map((i) => i.index)).toEqual(
            items.map((_, i) => i)
          )
          expect(new Set(result.items.map((i) => i.id)).size).toBe(items.length)
          for (const { id, score } of result.items) {
            expect(Number.isInteger(id) && id >= 1 && id <= 2 ** 31 - 1).toBe(
              true
            )
            expect(
              Number.isInteger(score) &&
                score >= -(2 ** 31) &&
                score <= 2 ** 31 - 1
            ).toBe(true)
            expect(Object.is(score, -0)).toBe(false)
          }
        } else if (result) {
          // All or nothing: an invalid batch yields no items at all, only problems.
          expect(result.invalid.length).toBeGreaterThan(0)
          expect(result.invalid.every((i) => i.problems.length > 0)).toBe(true)
        }
      },
      1500
    )
  })

  it('one id in any spelling twice is always a duplicate', () => {
    check(
      'duplicate ids as 1, "1", "01"',
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      (id) => {
        const result = validateBatch(
          [
            { id, score: 1 },
            { id: String(id), score: 2 },
            { id: `00${id}`, score: 3 },
          ],
          { maxItems: MAX_ITEMS }
        )

        expect(result.ok).toBe(false)
        if (!result.ok) {
          expect(
            result.invalid.map((i) => [i.index, i.problems[0].code])
          ).toEqual([
            [1, 'DUPLICATE_ID'],
            [2, 'DUPLICATE_ID'],
          ])
        }
      },
      500
    )
  })

  it('__proto__ and constructor keys never pollute and never count as fields', () => {
    check(
      'items with __proto__ / constructor keys',
      fc.record({
        key: fc.constantFrom('__proto__', 'constructor', 'prototype'),
        value: fc.jsonValue(),
      }),
      ({ key, value }) => {
        const text = `[{"${key}": ${
          JSON.stringify(value) ?? 'null'
        }, "id": 1, "score": 2}, {"${key}": {"id": 5, "score": 5}}]`
        const { result } = pipeline(text)

        expect(({} as Record<string, unknown>).id).toBeUndefined()
        expect(result?.ok).toBe(false)
        if (result && !result.ok)
          expect(result.invalid.map((i) => i.index)).toEqual([1])
      },
      300
    )
  })

  it('rejects huge arrays, deep nesting and out-of-range numbers precisely', () => {
    const cases = [
      JSON.stringify(
        Array.from({ length: MAX_ITEMS + 1 }, (_, i) => ({
          id: i + 1,
          score: 1,
        }))
      ),
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      '[{"id": 1e400, "score": 1}]',
      '[{"id": 1, "score": -1e400}]',
      '[{"id": 99999999999999999999999, "score": 1}]',
    ]

    const outcomes = cases.map((text) => pipeline(text))

    expect((outcomes[0].error as RequestError).code).toBe('BATCH_TOO_LARGE')
    expect(outcomes[1].result?.ok).toBe(false)
    expect(outcomes.slice(2).every((o) => o.result?.ok === false)).toBe(true)
  })
})
