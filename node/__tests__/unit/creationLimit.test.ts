import { JobCreationLimiter } from '../../jobs/creationLimit'

describe('JobCreationLimiter', () => {
  it('lets an account create its burst at once, then one job per refill, and says how long to wait', () => {
    let now = 0
    const limiter = new JobCreationLimiter(() => now, {
      burst: 3,
      perMinute: 6,
    })

    expect([1, 2, 3].map(() => limiter.take('store'))).toEqual([
      undefined,
      undefined,
      undefined,
    ])
    // One job every 10 s after the burst.
    expect(limiter.take('store')).toBe(10)
    now = 4_000
    expect(limiter.take('store')).toBe(6)
    now = 10_000
    expect(limiter.take('store')).toBeUndefined()
    expect(limiter.take('store')).toBe(10)
  })

  it('keeps one bucket per account, and never refills past the burst', () => {
    let now = 0
    const limiter = new JobCreationLimiter(() => now, {
      burst: 1,
      perMinute: 60,
    })

    expect(limiter.take('a')).toBeUndefined()
    expect(limiter.take('a')).toBe(1)
    expect(limiter.take('b')).toBeUndefined()
    now = 3_600_000
    expect(limiter.take('a')).toBeUndefined()
    expect(limiter.take('a')).toBe(1)
  })
})
