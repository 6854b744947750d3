import {
  batchBudgetMs,
  DEFAULT_SETTINGS,
  ignoredEnvSettings,
  ignoredSettings,
  resolveSettings,
  ROUTE_TIMEOUT_MS,
  settingsFromEnv,
} from '../../settings'

describe('resolveSettings', () => {
  it.each([[undefined], [null], [{}]])('gives the defaults for %p', (raw) => {
    expect(resolveSettings(raw)).toEqual(DEFAULT_SETTINGS)
  })

  it('does not share the defaults object', () => {
    const settings = resolveSettings(undefined)

    settings.concurrency = 99
    expect(DEFAULT_SETTINGS.concurrency).toBe(150)
  })

  it('has no attempt cap and no rate cap by default', () => {
    expect(DEFAULT_SETTINGS).not.toHaveProperty('maxAttempts')
    expect(DEFAULT_SETTINGS).not.toHaveProperty('maxRequestsPerMinute')
  })

  it('takes integers in range, as numbers or numeric strings', () => {
    expect(
      resolveSettings({
        concurrency: 16,
        maxAttempts: '3',
        requestTimeoutMs: 2500,
        maxItems: '100',
        maxAsyncItems: '20000',
      })
    ).toEqual({
      concurrency: 16,
      maxAttempts: 3,
      requestTimeoutMs: 2500,
      maxItems: 100,
      maxAsyncItems: 20_000,
    })
  })

  it('takes the bounds themselves', () => {
    expect(
      resolveSettings({
        concurrency: 256,
        maxAttempts: 1,
        maxRequestsPerMinute: 60,
        requestTimeoutMs: 100,
        maxItems: 50_000,
        maxAsyncItems: 200_000,
      })
    ).toEqual({
      concurrency: 256,
      maxAttempts: 1,
      maxRequestsPerMinute: 60,
      requestTimeoutMs: 100,
      maxItems: 50_000,
      maxAsyncItems: 200_000,
    })
  })

  it.each([
    ['concurrency', 0],
    ['concurrency', 257],
    ['concurrency', -1],
    ['concurrency', 2.5],
    ['concurrency', '2.5'],
    ['concurrency', 'abc'],
    ['concurrency', ''],
    ['concurrency', null],
    ['concurrency', NaN],
    ['concurrency', Infinity],
    ['concurrency', {}],
    ['maxAttempts', 0],
    ['maxAttempts', 101],
    ['maxRequestsPerMinute', 59],
    ['maxRequestsPerMinute', 'lots'],
    ['requestTimeoutMs', 99],
    ['requestTimeoutMs', 60_001],
    ['maxItems', 0],
    ['maxItems', 50_001],
    ['maxItems', '1.5'],
  ])('ignores %s = %p', (key, value) => {
    expect(resolveSettings({ [key]: value })).toEqual(DEFAULT_SETTINGS)
  })

  it('keeps valid values beside ignored ones', () => {
    expect(resolveSettings({ concurrency: 4, maxAttempts: 999 })).toEqual({
      ...DEFAULT_SETTINGS,
      concurrency: 4,
    })
  })

  it('has no setting that moves the Catalog: catalogBaseUrl is ignored', () => {
    expect(
      resolveSettings({ catalogBaseUrl: 'https://catalog.example.com' })
    ).toEqual(DEFAULT_SETTINGS)
  })
})

describe('ignoredSettings', () => {
  it('names each value out of range or not an integer, and nothing else', () => {
    expect(
      ignoredSettings({
        concurrency: 0,
        maxItems: 'many',
        requestTimeoutMs: 500,
        maxAttempts: '',
      })
    ).toEqual([
      'concurrency=0 is not an integer from 1 to 256; the default applies.',
      'maxItems="many" is not an integer from 1 to 50000; the default applies.',
    ])
  })

  it('names environment variables as they were set', () => {
    expect(ignoredEnvSettings({ CONCURRENCY: '999', MAX_ITEMS: '10' })).toEqual(
      [
        'CONCURRENCY="999" is not an integer from 1 to 256; the default applies.',
      ]
    )
  })
})

describe('settingsFromEnv', () => {
  it('reads CONCURRENCY, MAX_ATTEMPTS, MAX_REQUESTS_PER_MINUTE, REQUEST_TIMEOUT_MS, MAX_ITEMS and MAX_ASYNC_ITEMS', () => {
    expect(
      settingsFromEnv({
        CONCURRENCY: '2',
        MAX_ATTEMPTS: '7',
        MAX_REQUESTS_PER_MINUTE: '6000',
        REQUEST_TIMEOUT_MS: '1500',
        MAX_ITEMS: '20',
        MAX_ASYNC_ITEMS: '300',
      })
    ).toEqual({
      concurrency: 2,
      maxAttempts: 7,
      maxRequestsPerMinute: 6000,
      requestTimeoutMs: 1500,
      maxItems: 20,
      maxAsyncItems: 300,
    })
  })

  it('ignores the setting names, other variables and bad values', () => {
    expect(
      settingsFromEnv({
        concurrency: '2',
        maxItems: '20',
        CATALOG_URL: 'http://localhost:1',
        CONCURRENCY: '0',
        MAX_ATTEMPTS: 'five',
        REQUEST_TIMEOUT_MS: '',
        MAX_ITEMS: '1e9',
      })
    ).toEqual(DEFAULT_SETTINGS)
  })

  it('gives the defaults for an empty environment', () => {
    expect(settingsFromEnv({})).toEqual(DEFAULT_SETTINGS)
  })
})

describe('batchBudgetMs', () => {
  const budgetFor = (requestTimeoutMs: number) =>
    ROUTE_TIMEOUT_MS - requestTimeoutMs - 5_000

  it('leaves a request timeout and a margin inside the route timeout', () => {
    expect(batchBudgetMs(DEFAULT_SETTINGS, {})).toBe(budgetFor(10_000))
    expect(
      batchBudgetMs({ ...DEFAULT_SETTINGS, requestTimeoutMs: 20_000 }, {})
    ).toBe(budgetFor(20_000))
  })

  it('never gives less than one second', () => {
    expect(
      batchBudgetMs({ ...DEFAULT_SETTINGS, requestTimeoutMs: 10_000_000 }, {})
    ).toBe(1_000)
  })

  it('takes a smaller BATCH_DEADLINE_MS', () => {
    expect(batchBudgetMs(DEFAULT_SETTINGS, { BATCH_DEADLINE_MS: '2000' })).toBe(
      2000
    )
  })

  it('caps BATCH_DEADLINE_MS at the route budget', () => {
    expect(
      batchBudgetMs(DEFAULT_SETTINGS, { BATCH_DEADLINE_MS: '10000000' })
    ).toBe(budgetFor(10_000))
  })

  it.each([['0'], ['-5'], ['1.5'], ['abc'], ['']])(
    'ignores BATCH_DEADLINE_MS %p',
    (value) => {
      expect(
        batchBudgetMs(DEFAULT_SETTINGS, { BATCH_DEADLINE_MS: value })
      ).toBe(budgetFor(10_000))
    }
  )
})
