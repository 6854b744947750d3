/** What every load driver takes and gives back: score items, and the service's envelope of outcomes. */

export const CREDENTIAL = { VtexIdclientAutCookie: 'local-admin-token' }

export interface Item {
  id: number
  score: number
}

/** The service's answer to a batch; the other drivers answer the same shape. */
export interface Envelope {
  successfulResponses: { elements: Array<{ index: number }> }
  failedResponses: { elements: Array<{ index: number; code: string }> }
}

let scoreBase = 1000

/** Fresh scores every run, so every item really needs its PUT. */
export function makeItems(count: number): Item[] {
  scoreBase += 10_000

  return Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    score: scoreBase + (i % 997),
  }))
}

export const emptyEnvelope = (): Envelope => ({
  successfulResponses: { elements: [] },
  failedResponses: { elements: [] },
})
