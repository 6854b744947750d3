import {
  creationLimitFor,
  DEFAULT_CREATION_LIMIT,
  JobCreationLimiter,
} from '../../jobs/creationLimit'

describe('JobCreationLimiter', () => {
  it('lets an account create its burst at once, then one job per refill, and says how long to wait', () => {
    let now = 0
    const limiter = new JobCreationLimiter(() => now, {
      burst: 3,
      perMinute: 6,
    })
    const create = () => {
      const wait = limiter.waitFor('store')

      if (wait === undefined) limiter.take('store')

      return wait
    }

    expect([create(), create(), create()]).toEqual([
      undefined,
      undefined,
      undefined,
    ])
    // One job every 10 s after the burst.
    expect(create()).toBe(10)
    now = 4_000
    expect(create()).toBe(6)
    now = 10_000
    expect(create()).toBeUndefined()
    expect(create()).toBe(10)
  })

  it('keeps one bucket per account, never refills past the burst, and asking spends nothing', () => {
    let now = 0
    const limiter = new JobCreationLimiter(() => now, {
      burst: 1,
      perMinute: 60,
    })

    expect(limiter.waitFor('a')).toBeUndefined()
    expect(limiter.waitFor('a')).toBeUndefined()
    limiter.take('a')
    expect(limiter.waitFor('a')).toBe(1)
    expect(limiter.waitFor('b')).toBeUndefined()
    now = 3_600_000
    limiter.take('a')
    expect(limiter.waitFor('a')).toBe(1)
  })

  it('reads its limit from the environment locally, and ignores nonsense', () => {
    expect(
      creationLimitFor({
        JOB_CREATION_BURST: '500',
        JOB_CREATIONS_PER_MINUTE: 'x',
      })
    ).toEqual({ burst: 500, perMinute: DEFAULT_CREATION_LIMIT.perMinute })
    expect(creationLimitFor({})).toEqual(DEFAULT_CREATION_LIMIT)
  })
})
