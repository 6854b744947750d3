/**
 * The GET→PUT round trip, guarded: an object the app must not write back
 * fails with its own code and sends no PUT, and every other item of the same
 * batch is written with only Score changed. Runs on the emulator's seed of
 * realistic oddities (see oddityOf in local/catalogEmulator/fields.ts).
 */
import { oddityOf } from '../../../local/catalogEmulator'
import type { CatalogKind } from '../../../local/catalogEmulator'
import {
  CATEGORY_PATH,
  PRODUCT_PATH,
  putBodyViolations,
  USER_TOKEN,
  Stack,
  startStack,
  withoutScore,
} from '../helpers/e2e'

const PRODUCTS = 120
const CATEGORIES = 30

let stack: Stack

beforeAll(async () => {
  stack = await startStack(
    {
      seed: {
        products: PRODUCTS,
        categories: CATEGORIES,
        random: 11,
        oddities: true,
      },
      latency: { meanMs: 2, jitterMs: 1 },
    },
    { CONCURRENCY: '4' }
  )
})

afterAll(async () => {
  await stack?.close()
})

let saved: ReturnType<Stack['emulator']['snapshot']>

beforeEach(() => {
  saved = stack.emulator.snapshot()
  stack.emulator.configure({ faults: null, throttleOnce: null })
  stack.emulator.resetStats()
})

afterEach(() => {
  // Each test starts from the seeded data.
  for (const [id, object] of Object.entries(saved.products))
    stack.emulator.setProduct(Number(id), object)
  for (const [id, object] of Object.entries(saved.categories))
    stack.emulator.setCategory(Number(id), object)
})

type Element = {
  index: number
  id: number
  code?: string
  error?: number
  errorMessage?: string
  driftFields?: string[]
}

const byId = (elements: Element[]) =>
  new Map(elements.map((element) => [element.id, element]))

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i)

/** The seeded ids of `kind` with `oddity` in [from, to]. */
const seededWith = (kind: CatalogKind, oddity: string, from = 1, to = 40) =>
  range(from, to).filter((id) => oddityOf(kind, id) === oddity)

describe('a product batch with objects the app must not write back', () => {
  const WRONG = 10
  const TRUNCATED = 12
  /** Truncated to the fields the PUT requires: IsActive, Description... would be erased. */
  const HALF = 14
  const EMPTY_DATE = seededWith('product', 'empty-release-date')
  const STRIPPED = seededWith('product', 'strippable-diacritics')

  /** The GET of WRONG answers product 11's object; TRUNCATED's answers only { Id, Score }, HALF's only the required fields. */
  function lie() {
    stack.emulator.configure({
      faults: [
        {
          name: 'wrong-object',
          kind: 'product',
          ids: [WRONG],
          action: { type: 'wrong-object', id: 11 },
        },
        {
          name: 'truncate',
          kind: 'product',
          ids: [TRUNCATED],
          action: { type: 'truncate', keep: ['Id', 'Score'] },
        },
        {
          name: 'truncate-to-required',
          kind: 'product',
          ids: [HALF],
          action: {
            type: 'truncate',
            keep: ['Id', 'Name', 'CategoryId', 'BrandId', 'Score'],
          },
        },
      ],
    })
  }

  /** Both lies were told, and neither lied-about object was touched. */
  function expectLiesToldAndHarmless() {
    const { faultHits, putsById } = stack.emulator.stats()

    expect(faultHits['wrong-object']).toBeGreaterThanOrEqual(1)
    expect(faultHits.truncate).toBeGreaterThanOrEqual(1)
    expect(faultHits['truncate-to-required']).toBeGreaterThanOrEqual(1)
    for (const id of [WRONG, TRUNCATED, HALF]) {
      expect(putsById.product[id]).toBeUndefined()
      expect(stack.emulator.getProduct(id)).toEqual(saved.products[id])
    }
  }

  it('fails each guarded item with its code, sends it no PUT, and writes every other item', async () => {
    lie()
    const batch = range(1, 40).map((id) => ({ id, score: 500 + id }))
    const { status, body } = await stack.put(PRODUCT_PATH, batch)
    const failed = byId(body.failedResponses.elements)
    const guarded = [WRONG, TRUNCATED, HALF, ...EMPTY_DATE, ...STRIPPED]

    expect(EMPTY_DATE.length).toBeGreaterThan(0)
    expect(STRIPPED.length).toBeGreaterThan(0)
    expect(status).toBe(200)
    expect([...failed.keys()].sort((a, b) => a - b)).toEqual(
      [...guarded].sort((a, b) => a - b)
    )
    expect(failed.get(WRONG)).toMatchObject({
      error: 502,
      code: 'INVALID_CATALOG_OBJECT',
    })
    expect(failed.get(WRONG)?.errorMessage).toMatch(/Id is 11, not 10/)
    expect(failed.get(TRUNCATED)).toMatchObject({
      error: 502,
      code: 'INVALID_CATALOG_OBJECT',
    })
    expect(failed.get(TRUNCATED)?.errorMessage).toMatch(/Name is missing/)
    expect(failed.get(HALF)).toMatchObject({
      error: 502,
      code: 'INVALID_CATALOG_OBJECT',
    })
    expect(failed.get(HALF)?.errorMessage).toMatch(
      /IsActive.* are missing, and the PUT would erase them/
    )
    for (const id of EMPTY_DATE) {
      expect(failed.get(id)).toMatchObject({
        error: 422,
        code: 'EMPTY_RELEASE_DATE',
      })
    }
    for (const id of STRIPPED) {
      expect(failed.get(id)).toMatchObject({
        error: 422,
        code: 'DIACRITICS_WOULD_BE_STRIPPED',
      })
    }

    const { putsById } = stack.emulator.stats()
    const after = stack.emulator.snapshot()

    expectLiesToldAndHarmless()
    for (const id of guarded) {
      expect(putsById.product[id]).toBeUndefined()
      expect(after.products[id]).toEqual(saved.products[id])
    }
    expect(body.successfulResponses.quantity).toBe(40 - guarded.length)
    for (const { id, score } of batch) {
      if (guarded.includes(id)) continue
      expect(putsById.product[id]).toBe(1)
      expect(after.products[id].Score).toBe(score)
      expect(withoutScore(after.products[id])).toBe(
        withoutScore(saved.products[id])
      )
    }
  })

  it('a dry run reports the same refusals and writes nothing', async () => {
    lie()
    const { body } = await stack.put(
      `${PRODUCT_PATH}?dryRun=true`,
      range(1, 40).map((id) => ({ id, score: 900 + id }))
    )

    expect(
      body.failedResponses.elements.map((e: Element) => e.code).sort()
    ).toEqual(
      [
        'INVALID_CATALOG_OBJECT',
        'INVALID_CATALOG_OBJECT',
        'INVALID_CATALOG_OBJECT',
        ...EMPTY_DATE.map(() => 'EMPTY_RELEASE_DATE'),
        ...STRIPPED.map(() => 'DIACRITICS_WOULD_BE_STRIPPED'),
      ].sort()
    )
    expectLiesToldAndHarmless()
    expect(stack.emulator.stats().requests.PUT).toBe(0)
  })

  it('with ?allowFieldDrift=true writes the drifting items, names their fields, and the Catalog changes them as documented', async () => {
    lie()
    const ids = [...EMPTY_DATE, ...STRIPPED, WRONG, TRUNCATED, HALF, 1]
    const { body } = await stack.put(
      `${PRODUCT_PATH}?allowFieldDrift=true`,
      ids.map((id) => ({ id, score: 700 + id }))
    )
    const succeeded = byId(body.successfulResponses.elements)
    const after = stack.emulator.snapshot()

    // A wrong or truncated object is never written, opt-in or not.
    expect(
      body.failedResponses.elements.map((e: Element) => [e.id, e.code])
    ).toEqual([
      [WRONG, 'INVALID_CATALOG_OBJECT'],
      [TRUNCATED, 'INVALID_CATALOG_OBJECT'],
      [HALF, 'INVALID_CATALOG_OBJECT'],
    ])
    expectLiesToldAndHarmless()
    expect(succeeded.get(1)).not.toHaveProperty('driftFields')
    for (const id of EMPTY_DATE) {
      expect(succeeded.get(id)?.driftFields).toEqual(['ReleaseDate'])
      expect(after.products[id].ReleaseDate).toMatch(/^\d{4}-\d\d-\d\dT/)
    }
    for (const id of STRIPPED) {
      expect(succeeded.get(id)?.driftFields).toEqual(
        expect.arrayContaining(['Name'])
      )
      expect(after.products[id].Name).toBe(`Camasa Stefan ${id}`)
    }
  })
})

describe('an async job', () => {
  it('keeps ?allowFieldDrift=true: its result lists driftFields, and refuses the same items without it', async () => {
    const [drifting] = seededWith('product', 'empty-release-date')
    const runJob = async (query: string) => {
      const queued = await stack.put(`${PRODUCT_PATH}?async=true${query}`, [
        { id: drifting, score: 321 },
        { id: 2, score: 322 },
      ])

      expect(queued.status).toBe(202)
      for (;;) {
        const response = await fetch(
          `${stack.service.url}${queued.body.statusUrl}`,
          { headers: { VtexIdclientAutCookie: USER_TOKEN } }
        )
        const job = (await response.json()) as { status: string }

        if (job.status === 'failed') throw new Error('the job failed')
        if (job.status === 'done') break
        await new Promise((resolve) => setTimeout(resolve, 50))
      }

      // The summary holds no items: they are read from the paged results.
      const page = (await (
        await fetch(`${stack.service.url}${queued.body.statusUrl}/results`, {
          headers: { VtexIdclientAutCookie: USER_TOKEN },
        })
      ).json()) as { elements: Array<Element & { success: string }> }

      return {
        successfulResponses: {
          elements: page.elements.filter((e) => e.success === 'true'),
        },
        failedResponses: {
          elements: page.elements.filter((e) => e.success === 'false'),
        },
      }
    }

    const refused = await runJob('')

    expect(
      refused?.failedResponses.elements.map((e) => [e.id, e.code])
    ).toEqual([[drifting, 'EMPTY_RELEASE_DATE']])
    expect(stack.emulator.stats().putsById.product[drifting]).toBeUndefined()

    const written = await runJob('&allowFieldDrift=true')

    expect(
      byId(written?.successfulResponses.elements ?? []).get(drifting)
    ).toMatchObject({ driftFields: ['ReleaseDate'] })
    expect(stack.emulator.stats().putsById.product[drifting]).toBe(1)
  })
})

describe('a Catalog mock that answers one example object to every GET', () => {
  it('writes nothing onto any other id, known or not', async () => {
    stack.emulator.configure({
      faults: [
        {
          name: 'example',
          kind: 'product',
          action: { type: 'wrong-object', id: 42 },
        },
      ],
    })
    const { status, body } = await stack.put(PRODUCT_PATH, [
      { id: 1, score: 9 },
      { id: 3, score: 9 },
      { id: 4, score: 9 },
      { id: 999_999, score: 9 },
      { id: 42, score: 9 },
    ])
    const stats = stack.emulator.stats()

    expect(status).toBe(200)
    expect(stats.faultHits.example).toBe(5)
    expect(
      body.failedResponses.elements.map((e: Element) => [e.id, e.code])
    ).toEqual([
      [1, 'INVALID_CATALOG_OBJECT'],
      [3, 'INVALID_CATALOG_OBJECT'],
      [4, 'INVALID_CATALOG_OBJECT'],
      [999_999, 'INVALID_CATALOG_OBJECT'],
    ])
    expect(body.successfulResponses.elements).toEqual([
      expect.objectContaining({ id: 42 }),
    ])
    expect(stats.putsById.product).toEqual({ 42: 1 })
  })
})

describe('a category batch with objects the app must not write back', () => {
  it('refuses another category, a null GlobalCategoryId and stripped diacritics, and writes the rest', async () => {
    stack.emulator.configure({
      faults: [
        {
          name: 'wrong-object',
          kind: 'category',
          ids: [4],
          action: { type: 'wrong-object', id: 5 },
        },
      ],
    })
    stack.emulator.setCategory(6, {
      ...saved.categories['6'],
      GlobalCategoryId: null,
    })
    const STRIPPED = seededWith('category', 'strippable-diacritics', 1, 30)
    const batch = range(1, CATEGORIES).map((id) => ({ id, score: id * 2 }))
    const { body } = await stack.put(CATEGORY_PATH, batch)
    const failed = byId(body.failedResponses.elements)
    const guarded = [4, 6, ...STRIPPED]
    const { putsById } = stack.emulator.stats()
    const after = stack.emulator.snapshot()

    expect(STRIPPED.length).toBeGreaterThan(0)
    expect(stack.emulator.stats().faultHits['wrong-object']).toBe(1)
    expect([...failed.keys()].sort((a, b) => a - b)).toEqual(
      guarded.sort((a, b) => a - b)
    )
    expect(failed.get(4)?.errorMessage).toMatch(/Id is 5, not 4/)
    expect(failed.get(6)?.errorMessage).toMatch(/GlobalCategoryId is null/)
    for (const id of STRIPPED)
      expect(failed.get(id)?.code).toBe('DIACRITICS_WOULD_BE_STRIPPED')
    for (const id of guarded) expect(putsById.category[id]).toBeUndefined()
    for (const { id, score } of batch) {
      if (guarded.includes(id)) continue
      expect(after.categories[id].Score).toBe(score)
      expect(withoutScore(after.categories[id])).toBe(
        withoutScore(saved.categories[id])
      )
    }
  })
})

describe('an edit made while an item waits for its PUT', () => {
  it('is read again after a long 429 pause and kept; only Score changes', async () => {
    const EDITED = 50
    const THROTTLED = 51
    const original = saved.products[String(EDITED)]

    // EDITED's GET is slow, so it is answered while THROTTLED's 429 holds the
    // gate for 4 s; right after that answer, someone renames the product.
    stack.emulator.configure({
      throttleOnce: { kind: 'product', ids: [THROTTLED], retryAfterSec: 4 },
      faults: [
        {
          name: 'slow',
          stage: 'edge',
          kind: 'product',
          method: 'GET',
          ids: [EDITED],
          times: 1,
          action: { type: 'slow', delayMs: 300 },
        },
        {
          name: 'edit',
          kind: 'product',
          ids: [EDITED],
          times: 1,
          action: {
            type: 'edit-after-get',
            patch: { Name: 'Renamed by hand' },
          },
        },
      ],
    })
    const putsBefore = stack.emulator.puts().length
    const answer = stack.put(PRODUCT_PATH, [
      { id: EDITED, score: 4242 },
      { id: THROTTLED, score: 4343 },
    ])

    const { body } = await answer
    const stats = stack.emulator.stats()
    const puts = stack.emulator
      .puts()
      .slice(putsBefore)
      .filter((p) => p.kind === 'product' && p.id === EDITED)

    expect(stats.faultHits).toMatchObject({ slow: 1, edit: 1, throttleOnce: 1 })
    expect(body.successfulResponses.quantity).toBe(2)
    expect(stats.rateLimited).toBe(1)
    // EDITED was read twice (the second time after the pause), THROTTLED twice (429, then ok).
    expect(stats.requests.GET).toBe(4)
    expect(puts.map((p) => (p.body as { Name: unknown }).Name)).toEqual([
      'Renamed by hand',
    ])
    expect(stack.emulator.getProduct(EDITED)).toEqual({
      ...original,
      Name: 'Renamed by hand',
      Score: 4242,
    })
  })
})

describe('the contract', () => {
  it('every PUT body the app sent in this suite matches the OpenAPI PUT schema', () => {
    // Runs last: the batches above sent products and categories, drifting ones included.
    const puts = stack.emulator.puts()

    expect(puts.filter((p) => p.kind === 'product').length).toBeGreaterThan(30)
    expect(puts.filter((p) => p.kind === 'category').length).toBeGreaterThan(20)
    expect(putBodyViolations(stack.emulator)).toEqual([])
  })
})
