import { batchLine } from '../../scores/batchLog'
import type { ScoreEnvelope } from '../../scores/envelope'

const success = (id: number, extra: object = {}) => ({
  index: id,
  id,
  score: 1,
  previousScore: 0,
  success: 'true' as const,
  ...extra,
})

const failure = (id: number, code: string) => ({
  index: id,
  id,
  score: 1,
  success: 'false' as const,
  error: 404,
  code,
  errorMessage: 'secret detail of item',
  attempts: 1,
})

const envelope = (
  succeeded: ScoreEnvelope['successfulResponses']['elements'],
  failed: ScoreEnvelope['failedResponses']['elements']
): ScoreEnvelope => ({
  successfulResponses: { elements: succeeded, quantity: succeeded.length },
  failedResponses: { elements: failed, quantity: failed.length },
  total: succeeded.length + failed.length,
})

describe('batchLine', () => {
  it('says items, outcomes, failures by code, calls and duration in one line', () => {
    const line = batchLine({
      kind: 'product',
      status: 200,
      envelope: envelope(
        [success(1), success(2), success(3, { unchanged: true })],
        [
          failure(4, 'TIMEOUT'),
          failure(5, 'NOT_FOUND'),
          failure(6, 'NOT_FOUND'),
        ]
      ),
      stats: { calls: 11, retries: 1, rateLimited: 0, durationMs: 8_240 },
    })

    expect(line).toBe(
      'score batch: product, 6 items in 8.2 s, status 200: 2 updated, 1 unchanged, 3 failed (2 NOT_FOUND, 1 TIMEOUT); 11 calls, 1 retry, 0 rate-limited'
    )
    // Counts only: no ids, no messages.
    expect(line).not.toContain('secret')
    expect(line.split('\n')).toHaveLength(1)
  })

  it('counts a dry run apart, and a batch with no failure says so', () => {
    expect(
      batchLine({
        kind: 'category',
        status: 200,
        envelope: envelope([success(1, { dryRun: true })], []),
        stats: { calls: 1, retries: 0, rateLimited: 0, durationMs: 40 },
      })
    ).toBe(
      'score batch: category, 1 item in 0.0 s, status 200: 0 updated, 1 dry run, 0 failed; 1 call, 0 retries, 0 rate-limited'
    )
  })
})
