import { PRODUCT_PATH, Stack, startStack } from '../helpers/e2e'

let stack: Stack

beforeAll(async () => {
  stack = await startStack({ seed: { products: 5 } })
})

afterAll(async () => {
  await stack?.close()
})

/** Waits for the runtime's output to show `pattern` (it is read from a pipe). */
async function outputShows(pattern: RegExp, timeoutMs = 5_000) {
  const until = Date.now() + timeoutMs

  while (!pattern.test(stack.service.output()) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }

  return stack.service.output()
}

describe('the local runtime’s output', () => {
  it('has one readable line per batch, no billing JSON and no unnamed handler', async () => {
    const answer = await stack.put(PRODUCT_PATH, [
      { id: 1, score: 7 },
      { id: 2, score: 8 },
      { id: 999_999, score: 9 },
    ])

    expect(answer.status).toBe(200)
    // The route's own line comes last, after the batch's.
    const output = await outputShows(/productScore[^\n]*PUT/)

    expect(output).toMatch(
      /score batch: product, 3 items in \d+\.\d s, status 200: 2 updated, 1 failed \(1 NOT_FOUND\); 5 calls, 0 retries, 0 rate-limited\n/
    )
    // The route's own line still says the request was served...
    expect(output).toMatch(/productScore[^\n]*200[^\n]*PUT/)
    // ... but @vtex/api's billing record after it is not printed locally.
    expect(output).not.toContain('__VTEX_IO_BILLING')
    // Every middleware is named, so @vtex/api times each one and warns of none.
    expect(output).not.toContain('Please use a named function')
  })
})
