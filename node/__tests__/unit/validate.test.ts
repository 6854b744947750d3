import {
  BatchValidation,
  InvalidItem,
  parseInt32,
  ScoreItem,
  validateBatch,
} from '../../scores/validate'
import { requestErrorOf } from '../helpers/requestErrorOf'

const OPTIONS = { maxItems: 100 }

const validItems = (result: BatchValidation): ScoreItem[] => {
  if (!result.ok) {
    throw new Error(`expected a valid batch, got ${JSON.stringify(result)}`)
  }

  return result.items
}

const invalidItems = (result: BatchValidation): InvalidItem[] => {
  if (result.ok) {
    throw new Error(`expected an invalid batch, got ${JSON.stringify(result)}`)
  }

  return result.invalid
}

/** The problem codes of a single-item batch. */
const codesOf = (item: unknown) =>
  invalidItems(validateBatch([item], OPTIONS)).flatMap((i) =>
    i.problems.map((p) => p.code)
  )

describe('parseInt32', () => {
  it.each([
    [12, 12],
    ['12', 12],
    ['01', 1],
    ['-5', -5],
    [0, 0],
    ['0', 0],
    [2147483647, 2147483647],
    ['2147483647', 2147483647],
    [-2147483648, -2147483648],
    ['-2147483648', -2147483648],
  ])('parses %p as %p', (input, expected) => {
    expect(parseInt32(input)).toBe(expected)
  })

  it('turns -0 (number or string) into 0', () => {
    expect(Object.is(parseInt32(-0), 0)).toBe(true)
    expect(Object.is(parseInt32('-0'), 0)).toBe(true)
  })

  it.each([
    ['12a'],
    [1.5],
    ['1.5'],
    ['abc'],
    [''],
    [' '],
    [' 12'],
    ['12 '],
    ['\t-7\t'],
    ['1 2'],
    ['12\n'],
    ['\u00A012'],
    ['1e3'],
    ['+12'],
    ['0x10'],
    [2147483648],
    ['2147483648'],
    [-2147483649],
    ['-2147483649'],
    [2 ** 31],
    [Infinity],
    [-Infinity],
    [NaN],
    [true],
    [null],
    [undefined],
    [{}],
    [[]],
    [[7]],
  ])('rejects %p', (input) => {
    expect(parseInt32(input)).toBeUndefined()
  })
})

describe('validateBatch', () => {
  describe('request-level errors', () => {
    it.each([[{ id: 1, score: 1 }], ['[]'], [null], [42], [undefined]])(
      'rejects a body that is not an array (%p) with 400 PAYLOAD_NOT_A_LIST',
      (body) => {
        const error = requestErrorOf(() => validateBatch(body, OPTIONS))

        expect(error.status).toBe(400)
        expect(error.code).toBe('PAYLOAD_NOT_A_LIST')
      }
    )

    it('rejects an empty array with 400 EMPTY_BATCH', () => {
      const error = requestErrorOf(() => validateBatch([], OPTIONS))

      expect(error.status).toBe(400)
      expect(error.code).toBe('EMPTY_BATCH')
    })

    it('rejects more than maxItems with 413 BATCH_TOO_LARGE', () => {
      const body = [1, 2, 3].map((id) => ({ id, score: 1 }))
      const error = requestErrorOf(() => validateBatch(body, { maxItems: 2 }))

      expect(error.status).toBe(413)
      expect(error.code).toBe('BATCH_TOO_LARGE')
      expect(error.message).toContain('3 items')
      expect(error.message).toContain('at most 2')
    })

    it('refuses spaces around a number, and says to remove them', () => {
      const validation = validateBatch([{ id: ' 12', score: '4 ' }], {
        maxItems: 10,
      })
      const messages =
        !validation.ok && validation.invalid[0].problems.map((p) => p.message)

      expect(messages).toEqual([
        expect.stringContaining('Remove the spaces around "12".'),
        expect.stringContaining('Remove the spaces around "4".'),
      ])
    })

    it('names ?async=true and its limit when the batch would fit a job', () => {
      const body = [1, 2, 3].map((id) => ({ id, score: 1 }))
      const error = requestErrorOf(() =>
        validateBatch(body, { maxItems: 2, maxAsyncItems: 100 })
      )

      expect(error.code).toBe('BATCH_TOO_LARGE')
      expect(error.message).toContain('?async=true')
      expect(error.message).toContain('up to 100 items')
    })

    it('says to split a batch too large even for a job', () => {
      const body = [1, 2, 3].map((id) => ({ id, score: 1 }))
      const error = requestErrorOf(() =>
        validateBatch(body, { maxItems: 1, maxAsyncItems: 2 })
      )

      expect(error.message).toContain('?async=true')
      expect(error.message).toContain('up to 2 items')
      expect(error.message).toContain('split')
    })

    it('accepts exactly maxItems', () => {
      const body = [1, 2].map((id) => ({ id, score: 1 }))

      expect(validItems(validateBatch(body, { maxItems: 2 }))).toHaveLength(2)
    })

    it('checks the size before looking at the items', () => {
      const error = requestErrorOf(() =>
        validateBatch([null, null, null], { maxItems: 2 })
      )

      expect(error.code).toBe('BATCH_TOO_LARGE')
    })
  })

  describe('valid items', () => {
    it('normalizes ids and scores and keeps the request index', () => {
      const items = validItems(
        validateBatch(
          [
            { id: '12', score: '4' },
            { id: 2, score: 0 },
            { id: '03', score: '-5' },
            { id: 2147483647, score: -2147483648 },
          ],
          OPTIONS
        )
      )

      expect(items).toEqual([
        { index: 0, id: 12, score: 4 },
        { index: 1, id: 2, score: 0 },
        { index: 2, id: 3, score: -5 },
        { index: 3, id: 2147483647, score: -2147483648 },
      ])
    })

    it('reads "01" as id 1', () => {
      expect(
        validItems(validateBatch([{ id: '01', score: 1 }], OPTIONS))[0].id
      ).toBe(1)
    })

    it('turns a score of -0 into 0', () => {
      const [item] = validItems(validateBatch([{ id: 1, score: -0 }], OPTIONS))

      expect(Object.is(item.score, 0)).toBe(true)
    })

    it('ignores unknown fields and keeps them out of the output', () => {
      const items = validItems(
        validateBatch(
          [{ id: 1, score: 2, name: 'x', Score: 99, extra: { deep: 1 } }],
          OPTIONS
        )
      )

      expect(items).toEqual([{ index: 0, id: 1, score: 2 }])
    })
  })

  describe('ids', () => {
    it.each([
      ['12a'],
      [1.5],
      [0],
      ['0'],
      [-3],
      ['-3'],
      [''],
      [' 12'],
      ['1 2'],
      ['1e3'],
      [true],
      [null],
      [{}],
      [[]],
      [2147483648],
      ['2147483648'],
    ])('rejects id %p with INVALID_ID', (id) => {
      expect(codesOf({ id, score: 1 })).toEqual(['INVALID_ID'])
    })

    it.each([[12], ['12'], ['01'], [2147483647]])('accepts id %p', (id) => {
      expect(validateBatch([{ id, score: 1 }], OPTIONS).ok).toBe(true)
    })
  })

  describe('scores', () => {
    it.each([[1.5], ['1.5'], ['abc'], [2 ** 31], [Infinity], [-Infinity]])(
      'rejects score %p with INVALID_SCORE',
      (score) => {
        expect(codesOf({ id: 1, score })).toEqual(['INVALID_SCORE'])
      }
    )

    it.each([[0], ['0'], [-0], ['-5'], [-5], [2147483647], ['-2147483648']])(
      'accepts score %p',
      (score) => {
        expect(validateBatch([{ id: 1, score }], OPTIONS).ok).toBe(true)
      }
    )
  })

  describe('missing fields', () => {
    it('reports a missing id', () => {
      const [item] = invalidItems(validateBatch([{ score: 1 }], OPTIONS))

      expect(item.problems).toEqual([
        expect.objectContaining({ code: 'MISSING_FIELD' }),
      ])
      expect(item.problems[0].message).toContain("'id'")
    })

    it('reports a missing score', () => {
      const [item] = invalidItems(validateBatch([{ id: 1 }], OPTIONS))

      expect(item.problems).toEqual([
        expect.objectContaining({ code: 'MISSING_FIELD' }),
      ])
      expect(item.problems[0].message).toContain("'score'")
    })

    it('reports both problems of one item in the same inner list', () => {
      const invalid = invalidItems(validateBatch([{}], OPTIONS))

      expect(invalid).toHaveLength(1)
      expect(invalid[0].problems.map((p) => p.code)).toEqual([
        'MISSING_FIELD',
        'MISSING_FIELD',
      ])
      expect(invalid[0].problems[0].message).toContain("'id'")
      expect(invalid[0].problems[1].message).toContain("'score'")
    })

    it('reports an invalid id and an invalid score of one item together', () => {
      const invalid = invalidItems(
        validateBatch([{ id: 'x', score: 'y' }], OPTIONS)
      )

      expect(invalid).toHaveLength(1)
      expect(invalid[0].problems.map((p) => p.code)).toEqual([
        'INVALID_ID',
        'INVALID_SCORE',
      ])
    })
  })

  describe('non-object items', () => {
    it.each([[null], [3], ['x'], [[]], [[1, 2]], [true]])(
      'rejects %p with INVALID_ITEM',
      (raw) => {
        const [item] = invalidItems(validateBatch([raw], OPTIONS))

        expect(item.index).toBe(0)
        expect(item.problems.map((p) => p.code)).toEqual(['INVALID_ITEM'])
        expect(item).not.toHaveProperty('id')
        expect(item).not.toHaveProperty('score')
      }
    )
  })

  describe('duplicates', () => {
    it('flags 1, "1" and "01" as the same id, naming the first index', () => {
      const invalid = invalidItems(
        validateBatch(
          [
            { id: 1, score: 1 },
            { id: 2, score: 1 },
            { id: '1', score: 2 },
            { id: '01', score: 3 },
          ],
          OPTIONS
        )
      )

      expect(invalid.map((i) => i.index)).toEqual([2, 3])
      for (const item of invalid) {
        expect(item.problems).toHaveLength(1)
        expect(item.problems[0].code).toBe('DUPLICATE_ID')
        expect(item.problems[0].message).toContain('id 1 ')
        expect(item.problems[0].message).toContain('index 0')
      }
    })

    it('reports a duplicate id together with an invalid score', () => {
      const invalid = invalidItems(
        validateBatch(
          [
            { id: 5, score: 1 },
            { id: 5, score: 'x' },
          ],
          OPTIONS
        )
      )

      expect(invalid).toHaveLength(1)
      expect(invalid[0].problems.map((p) => p.code)).toEqual([
        'DUPLICATE_ID',
        'INVALID_SCORE',
      ])
    })
  })

  describe('prototype keys', () => {
    it('does not crash on __proto__ and constructor keys nor read them as id', () => {
      const body = JSON.parse(
        '[{"__proto__": {"id": 7, "score": 1}, "constructor": {"id": 8}, "score": 1},' +
          ' {"__proto__": 7, "constructor": 9, "id": 3, "score": 4}]'
      )

      expect(Object.keys(body[0])).toContain('__proto__')

      const invalid = invalidItems(validateBatch(body, OPTIONS))

      expect(invalid).toHaveLength(1)
      expect(invalid[0].index).toBe(0)
      expect(invalid[0].problems.map((p) => p.code)).toEqual(['MISSING_FIELD'])
      expect(invalid[0].problems[0].message).toContain("'id'")
    })

    it('validates the item that has a real id beside prototype keys', () => {
      const body = JSON.parse(
        '[{"__proto__": 7, "constructor": 9, "id": 3, "score": 4}]'
      )

      expect(validItems(validateBatch(body, OPTIONS))).toEqual([
        { index: 0, id: 3, score: 4 },
      ])
    })

    it('does not pollute Object.prototype', () => {
      validateBatch(JSON.parse('[{"__proto__": {"polluted": 1}}]'), OPTIONS)

      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    })
  })

  describe('lineOf and echoes', () => {
    it('puts the source line on every invalid item', () => {
      const invalid = invalidItems(
        validateBatch([{ id: 1, score: 1 }, null, { id: 'x', score: 1 }], {
          maxItems: 10,
          lineOf: (index) => index + 2,
        })
      )

      expect(invalid.map((i) => [i.index, i.line])).toEqual([
        [1, 3],
        [2, 4],
      ])
    })

    it('leaves line out without lineOf', () => {
      const [item] = invalidItems(
        validateBatch([{ id: 'x', score: 1 }], OPTIONS)
      )

      expect(item).not.toHaveProperty('line')
    })

    it('echoes scalar id/score and drops objects', () => {
      const invalid = invalidItems(
        validateBatch(
          [
            { id: 'x', score: 1 },
            { id: { big: 'value' }, score: [1, 2] },
            { id: null, score: true },
          ],
          OPTIONS
        )
      )

      expect(invalid[0]).toMatchObject({ id: 'x', score: 1 })
      expect(invalid[1].id).toBeUndefined()
      expect(invalid[1].score).toBeUndefined()
      expect(invalid[2].id).toBeNull()
      expect(invalid[2].score).toBe(true)
    })

    it('is all or nothing: one invalid item returns no valid items', () => {
      const result = validateBatch(
        [
          { id: 1, score: 1 },
          { id: 2, score: 'x' },
        ],
        OPTIONS
      )

      expect(result.ok).toBe(false)
      expect(result).not.toHaveProperty('items')
    })
  })
})
