import type { Outcome } from '../../bulk'
import {
  buildEnvelope,
  buildValidationEnvelope,
  ScoreChange,
} from '../../scores/envelope'
import { InvalidItem, ScoreItem, validateBatch } from '../../scores/validate'

const items: ScoreItem[] = [
  { index: 0, id: 10, score: 1 },
  { index: 1, id: 11, score: 2 },
  { index: 2, id: 12, score: 3 },
  { index: 3, id: 13, score: 4 },
  { index: 4, id: 14, score: 5 },
]

const outcomes: Array<Outcome<ScoreChange>> = [
  {
    ok: false,
    failure: { status: 404, code: 'NOT_FOUND', message: 'gone' },
    attempts: 1,
  },
  { ok: true, value: { previousScore: 7 }, attempts: 1 },
  {
    ok: false,
    failure: { status: 503, code: 'UPSTREAM_UNAVAILABLE', message: 'down' },
    attempts: 5,
  },
  { ok: true, value: { previousScore: 3, unchanged: true }, attempts: 2 },
  { ok: true, value: { previousScore: null, dryRun: true }, attempts: 1 },
]

describe('buildEnvelope', () => {
  const envelope = buildEnvelope(items, outcomes)

  it('keeps request order in both lists', () => {
    expect(envelope.successfulResponses.elements.map((e) => e.index)).toEqual([
      1, 3, 4,
    ])
    expect(envelope.failedResponses.elements.map((e) => e.index)).toEqual([
      0, 2,
    ])
  })

  it('counts both lists and the total', () => {
    expect(envelope.successfulResponses.quantity).toBe(3)
    expect(envelope.failedResponses.quantity).toBe(2)
    expect(envelope.total).toBe(5)
  })

  it('lists every item exactly once', () => {
    const ids = [
      ...envelope.successfulResponses.elements,
      ...envelope.failedResponses.elements,
    ].map((e) => e.id)

    expect(ids.sort()).toEqual(items.map((i) => i.id))
  })

  it('describes a success with previousScore and its flags', () => {
    expect(envelope.successfulResponses.elements).toEqual([
      { index: 1, id: 11, score: 2, previousScore: 7, success: 'true' },
      {
        index: 3,
        id: 13,
        score: 4,
        previousScore: 3,
        unchanged: true,
        success: 'true',
      },
      {
        index: 4,
        id: 14,
        score: 5,
        previousScore: null,
        dryRun: true,
        success: 'true',
      },
    ])
  })

  it('has no unchanged/dryRun flags on a plain success', () => {
    const [plain] = envelope.successfulResponses.elements

    expect(plain).not.toHaveProperty('unchanged')
    expect(plain).not.toHaveProperty('dryRun')
  })

  it('describes a failure with status, code, message and attempts', () => {
    expect(envelope.failedResponses.elements).toEqual([
      {
        index: 0,
        id: 10,
        score: 1,
        success: 'false',
        error: 404,
        code: 'NOT_FOUND',
        errorMessage: 'gone',
        attempts: 1,
      },
      {
        index: 2,
        id: 12,
        score: 3,
        success: 'false',
        error: 503,
        code: 'UPSTREAM_UNAVAILABLE',
        errorMessage: 'down',
        attempts: 5,
      },
    ])
  })

  it('sets the top-level dryRun flag only for a dry run', () => {
    expect(envelope).not.toHaveProperty('dryRun')
    expect(
      buildEnvelope(items, outcomes, { dryRun: false })
    ).not.toHaveProperty('dryRun')
    expect(buildEnvelope(items, outcomes, { dryRun: true }).dryRun).toBe(true)
  })

  it('keeps the request index of items that are not numbered from 0', () => {
    const shifted = buildEnvelope(
      [{ index: 7, id: 1, score: 1 }],
      [{ ok: true, value: { previousScore: 0 }, attempts: 1 }]
    )

    expect(shifted.successfulResponses.elements[0].index).toBe(7)
  })
})

describe('buildValidationEnvelope', () => {
  const invalid: InvalidItem[] = [
    {
      index: 1,
      id: 'x',
      score: 'y',
      problems: [
        { code: 'INVALID_ID', message: 'bad id' },
        { code: 'INVALID_SCORE', message: 'bad score' },
      ],
    },
    {
      index: 3,
      line: 5,
      problems: [{ code: 'INVALID_ITEM', message: 'not an object' }],
    },
  ]
  const envelope = buildValidationEnvelope(invalid, 4)

  it('has a 400 INVALID_ITEMS error counting the invalid items', () => {
    expect(envelope.error).toEqual({
      status: 400,
      code: 'INVALID_ITEMS',
      message: '2 of 4 items are invalid; nothing was written.',
    })
    expect(envelope.total).toBe(4)
    expect(envelope.failedResponses.quantity).toBe(2)
  })

  it('has one inner array per invalid item with all its problems', () => {
    expect(envelope.failedResponses.elements).toEqual([
      [
        {
          index: 1,
          id: 'x',
          score: 'y',
          success: 'false',
          error: 400,
          code: 'INVALID_ID',
          errorMessage: 'bad id',
        },
        {
          index: 1,
          id: 'x',
          score: 'y',
          success: 'false',
          error: 400,
          code: 'INVALID_SCORE',
          errorMessage: 'bad score',
        },
      ],
      [
        {
          index: 3,
          line: 5,
          success: 'false',
          error: 400,
          code: 'INVALID_ITEM',
          errorMessage: 'not an object',
        },
      ],
    ])
  })

  it('echoes only scalar ids and scores from validateBatch', () => {
    const big = { nested: Array.from({ length: 100 }, (_, i) => i) }
    const validation = validateBatch(
      [
        { id: big, score: [1, 2, 3] },
        { id: 'abc', score: 1.5 },
        { id: null, score: false },
      ],
      { maxItems: 10 }
    )

    if (validation.ok) throw new Error('expected an invalid batch')

    const elements = buildValidationEnvelope(validation.invalid, 3)
      .failedResponses.elements

    expect(elements[0][0]).not.toHaveProperty('id')
    expect(elements[0][0]).not.toHaveProperty('score')
    expect(elements[1][0]).toMatchObject({ id: 'abc', score: 1.5 })
    expect(elements[2][0]).toMatchObject({ id: null, score: false })
    for (const element of elements.flat()) {
      for (const key of ['id', 'score'] as const) {
        if (key in element) {
          expect(
            element[key] === null || typeof element[key] !== 'object'
          ).toBe(true)
        }
      }
    }
  })

  it('is JSON-serializable without loss', () => {
    expect(JSON.parse(JSON.stringify(envelope))).toEqual(envelope)
  })
})
