import { CallError, ItemContext, runBulk } from '../../bulk'
import { CatalogError, CatalogObject } from '../../clients/catalog'
import { classifyCatalogError } from '../../scores/classify'
import type { ScoreChange } from '../../scores/envelope'
import { CATEGORY_TARGET, PRODUCT_TARGET } from '../../scores/targets'
import {
  CatalogPort,
  fieldsWithTrailingSpaces,
  ScoreState,
  updateScoreTask,
} from '../../scores/updateScore'
import type { ScoreItem } from '../../scores/validate'
import { FakeClock } from '../helpers/fakeClock'

type Read = jest.Mock<Promise<CatalogObject>, [number]>
type Write = jest.Mock<Promise<unknown>, [number, CatalogObject]>

function fakeCatalog(read: Read = jest.fn(), write: Write = jest.fn()) {
  const port: CatalogPort = { read, write }

  return { port, read, write }
}

const item = (id: number, score: number, index = 0): ScoreItem => ({
  index,
  id,
  score,
})

/** The minimal context: no gate, no retries, first attempt. */
const context = (state: ScoreState = {}): ItemContext<ScoreState> => ({
  attempt: 1,
  state,
  call: (send) => send(),
})

const product = (extra: CatalogObject = {}): CatalogObject => ({
  Id: 1,
  Name: 'Shirt',
  CategoryId: 3,
  IsVisible: true,
  Score: 2,
  ...extra,
})

const putError = (id: number, status: number, message: string) =>
  new CatalogError('PUT', 'product', id, status, message)

/** Runs one product item through the real engine, on a fake clock. */
async function viaRunBulk(
  port: CatalogPort,
  items: ScoreItem[],
  options: { dryRun?: boolean; maxAttempts?: number } = {}
) {
  const clock = new FakeClock()

  return clock.run(
    runBulk<ScoreItem, ScoreChange, ScoreState>(
      items,
      updateScoreTask(PRODUCT_TARGET, port, {
        dryRun: options.dryRun ?? false,
      }),
      {
        concurrency: 1,
        maxAttempts: options.maxAttempts ?? 5,
        classify: classifyCatalogError,
        clock,
        random: () => 0,
      }
    )
  )
}

describe('fieldsWithTrailingSpaces', () => {
  it('names only string fields ending in whitespace', () => {
    expect(
      fieldsWithTrailingSpaces({
        Name: 'Shirt ',
        Title: 'ok',
        Description: 'line\n',
        Keywords: ' leading',
        Score: 3,
        Nested: { Name: 'x ' },
        Empty: '',
      })
    ).toEqual(['Name', 'Description'])
  })
})

describe('updateScoreTask (direct)', () => {
  it('PUTs the whole GET object back with only Score changed', async () => {
    const current = product({
      Score: 2,
      SomeFieldTheAppDoesNotKnow: { nested: [1, 2] },
      LinkId: 'shirt',
      Score2: 9,
    })
    const { port, read, write } = fakeCatalog(
      jest.fn().mockResolvedValue(current),
      jest.fn().mockResolvedValue({})
    )

    const result = await updateScoreTask(PRODUCT_TARGET, port, {
      dryRun: false,
    })(item(1, 7), context())

    expect(result).toEqual({ previousScore: 2 })
    expect(read).toHaveBeenCalledWith(1)
    expect(write).toHaveBeenCalledTimes(1)
    expect(write).toHaveBeenCalledWith(1, { ...current, Score: 7 })
    expect(Object.keys(write.mock.calls[0][1])).toEqual(Object.keys(current))
    // The object read is not mutated.
    expect(current.Score).toBe(2)
  })

  it('sends no PUT when the Score is already right', async () => {
    const { port, write } = fakeCatalog(
      jest.fn().mockResolvedValue(product({ Score: 7 }))
    )

    const result = await updateScoreTask(PRODUCT_TARGET, port, {
      dryRun: false,
    })(item(1, 7), context())

    expect(result).toEqual({ previousScore: 7, unchanged: true })
    expect(write).not.toHaveBeenCalled()
  })

  it('sends no PUT on a dry run and reports dryRun', async () => {
    const { port, read, write } = fakeCatalog(
      jest.fn().mockResolvedValue(product({ Score: 2 }))
    )

    const result = await updateScoreTask(PRODUCT_TARGET, port, {
      dryRun: true,
    })(item(1, 7), context())

    expect(result).toEqual({ previousScore: 2, dryRun: true })
    expect(read).toHaveBeenCalledTimes(1)
    expect(write).not.toHaveBeenCalled()
  })

  it.each([[null], [undefined], ['3']])(
    'reports previousScore null when the GET Score is %p',
    async (Score) => {
      const { port, write } = fakeCatalog(
        jest.fn().mockResolvedValue(product({ Score })),
        jest.fn().mockResolvedValue({})
      )

      const result = await updateScoreTask(PRODUCT_TARGET, port, {
        dryRun: false,
      })(item(1, 3), context())

      expect(result).toEqual({ previousScore: null })
      expect(write).toHaveBeenCalledWith(
        1,
        expect.objectContaining({ Score: 3 })
      )
    }
  )

  it('reports a 0 Score as previousScore 0, not null', async () => {
    const { port } = fakeCatalog(
      jest.fn().mockResolvedValue(product({ Score: 0 })),
      jest.fn().mockResolvedValue({})
    )

    const result = await updateScoreTask(PRODUCT_TARGET, port, {
      dryRun: false,
    })(item(1, 3), context())

    expect(result).toEqual({ previousScore: 0 })
  })

  it('keeps the previousScore already in the state', async () => {
    const state: ScoreState = { previousScore: 5 }
    const { port } = fakeCatalog(
      jest.fn().mockResolvedValue(product({ Score: 6 })),
      jest.fn().mockResolvedValue({})
    )

    const result = await updateScoreTask(PRODUCT_TARGET, port, {
      dryRun: false,
    })(item(1, 3), context(state))

    expect(result).toEqual({ previousScore: 5 })
    expect(state.previousScore).toBe(5)
  })

  it.each([[null], ['a string'], [42], [[{ Score: 1 }]], [undefined]])(
    'rejects a non-object GET result (%p) with INVALID_UPSTREAM_RESPONSE',
    async (body) => {
      const { port, write } = fakeCatalog(
        jest.fn().mockResolvedValue(body as unknown as CatalogObject)
      )

      const run = updateScoreTask(CATEGORY_TARGET, port, { dryRun: false })(
        item(9, 1),
        context()
      )

      await expect(run).rejects.toBeInstanceOf(CallError)
      await expect(run).rejects.toMatchObject({
        failure: {
          status: 502,
          code: 'INVALID_UPSTREAM_RESPONSE',
          retryable: false,
        },
      })
      await expect(run).rejects.toThrow(/category object for id 9/)
      expect(write).not.toHaveBeenCalled()
    }
  )

  it('lets a GET error through untouched', async () => {
    const error = new CatalogError('GET', 'product', 1, 404, 'Not found')
    const { port, write } = fakeCatalog(jest.fn().mockRejectedValue(error))

    await expect(
      updateScoreTask(PRODUCT_TARGET, port, { dryRun: false })(
        item(1, 1),
        context()
      )
    ).rejects.toBe(error)
    expect(write).not.toHaveBeenCalled()
  })
})

describe('updateScoreTask through runBulk', () => {
  it('writes the whole object and reports previousScore', async () => {
    const current = product({ Score: 1, Unknown: 'kept' })
    const { port, write } = fakeCatalog(
      jest.fn().mockResolvedValue(current),
      jest.fn().mockResolvedValue({})
    )

    const report = await viaRunBulk(port, [item(1, 4)])

    expect(report.outcomes[0]).toEqual({
      ok: true,
      value: { previousScore: 1 },
      attempts: 1,
    })
    expect(write).toHaveBeenCalledWith(1, { ...current, Score: 4 })
  })

  it('explains an empty 400 on fields that end in spaces as TRAILING_SPACES', async () => {
    const { port, write } = fakeCatalog(
      jest
        .fn()
        .mockResolvedValue(
          product({ Name: 'Shirt ', Title: 'Shirt', MetaTagDescription: 'x\t' })
        ),
      jest.fn().mockRejectedValue(putError(1, 400, ''))
    )

    const report = await viaRunBulk(port, [item(1, 4)])
    const outcome = report.outcomes[0]

    if (outcome.ok) throw new Error('expected a failure')
    expect(outcome.failure.status).toBe(400)
    expect(outcome.failure.code).toBe('TRAILING_SPACES')
    expect(outcome.failure.message).toContain("'Name'")
    expect(outcome.failure.message).toContain("'MetaTagDescription'")
    expect(outcome.failure.message).not.toContain("'Title'")
    expect(outcome.attempts).toBe(1)
    expect(write).toHaveBeenCalledTimes(1)
  })

  it('passes a 400 with a message through unchanged', async () => {
    const { port } = fakeCatalog(
      jest.fn().mockResolvedValue(product({ Name: 'Shirt ' })),
      jest.fn().mockRejectedValue(putError(1, 400, 'CategoryId is invalid'))
    )

    const report = await viaRunBulk(port, [item(1, 4)])

    expect(report.outcomes[0]).toEqual({
      ok: false,
      failure: {
        status: 400,
        code: 'UPSTREAM_REJECTED',
        message: 'Catalog answered 400 to PUT product 1: CategoryId is invalid',
      },
      attempts: 1,
    })
  })

  it('passes an empty 400 through when no field ends in spaces', async () => {
    const { port } = fakeCatalog(
      jest.fn().mockResolvedValue(product()),
      jest.fn().mockRejectedValue(putError(1, 400, ''))
    )

    const report = await viaRunBulk(port, [item(1, 4)])

    expect(report.outcomes[0]).toMatchObject({
      ok: false,
      failure: { status: 400, code: 'UPSTREAM_REJECTED' },
    })
  })

  it('re-reads before re-writing when a PUT fails with 503', async () => {
    const calls: string[] = []
    const first = product({ Score: 2 })
    const { port, write } = fakeCatalog(
      jest.fn(async (_id: number) => {
        calls.push('read')

        return first
      }),
      jest.fn(async (_id: number, _object: CatalogObject) => {
        calls.push('write')
        if (calls.filter((c) => c === 'write').length === 1) {
          throw putError(1, 503, 'Service Unavailable')
        }

        return {}
      })
    )

    const report = await viaRunBulk(port, [item(1, 9)])

    expect(calls).toEqual(['read', 'write', 'read', 'write'])
    expect(report.outcomes[0]).toEqual({
      ok: true,
      value: { previousScore: 2 },
      attempts: 2,
    })
    expect(write).toHaveBeenLastCalledWith(1, { ...first, Score: 9 })
  })

  it('keeps the first-seen score when the retry GET already sees the new one', async () => {
    const calls: string[] = []
    let stored = product({ Score: 2 })
    const { port } = fakeCatalog(
      jest.fn(async (_id: number) => {
        calls.push('read')

        return { ...stored }
      }),
      jest.fn(async (_id: number, object: CatalogObject) => {
        calls.push('write')
        // The Catalog applied the write but the answer was lost.
        stored = object
        throw putError(1, 503, '')
      })
    )

    const report = await viaRunBulk(port, [item(1, 9)])

    expect(calls).toEqual(['read', 'write', 'read'])
    expect(report.outcomes[0]).toEqual({
      ok: true,
      value: { previousScore: 2, unchanged: true },
      attempts: 2,
    })
  })

  it('retries a GET 503 and then writes once', async () => {
    const read: Read = jest
      .fn()
      .mockRejectedValueOnce(
        new CatalogError('GET', 'product', 1, 503, 'Service Unavailable')
      )
      .mockResolvedValue(product({ Score: 2 }))
    const { port, write } = fakeCatalog(read, jest.fn().mockResolvedValue({}))

    const report = await viaRunBulk(port, [item(1, 3)])

    expect(read).toHaveBeenCalledTimes(2)
    expect(write).toHaveBeenCalledTimes(1)
    expect(report.outcomes[0]).toEqual({
      ok: true,
      value: { previousScore: 2 },
      attempts: 2,
    })
  })

  it('writes nothing on a dry run', async () => {
    const { port, write } = fakeCatalog(
      jest.fn().mockResolvedValue(product({ Score: 2 }))
    )

    const report = await viaRunBulk(port, [item(1, 3), item(2, 2, 1)], {
      dryRun: true,
    })

    expect(write).not.toHaveBeenCalled()
    expect(report.outcomes.map((o) => o.ok && o.value)).toEqual([
      { previousScore: 2, dryRun: true },
      { previousScore: 2, unchanged: true },
    ])
  })
})
