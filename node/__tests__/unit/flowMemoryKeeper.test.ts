import { FlowMemory, FlowMemoryKeeper, FlowMemoryStore } from '../../bulk'
import { drive, pool150 } from '../helpers/bucketCatalog'

const REMEMBERED: FlowMemory = {
  ratePerSec: 180,
  probing: false,
  inFlight: 40,
  measuredAt: 0,
}

/** A store in memory: what was read and written, and how each call ends. */
function memoryStore(
  read: () => Promise<FlowMemory | undefined>,
  write: (memory: FlowMemory) => Promise<void> = async () => undefined
) {
  const written: FlowMemory[] = []
  const store: FlowMemoryStore = {
    read,
    write: (memory) => {
      written.push(memory)

      return write(memory)
    },
  }

  return { written, store: () => store }
}

/** A controller kept by a keeper, on a bucket Catalog; every answer is noted, as CatalogClient does. */
function keptPool(store: () => FlowMemoryStore) {
  const pool = pool150({ ratePerSec: 200, burst: 40, headers: 'none' })
  const keeper = new FlowMemoryKeeper(pool.clock, pool.flow, store)
  const run = (until: number) =>
    drive(pool.clock, pool.flow, 150, until, pool.serve, () =>
      keeper.noteActivity()
    )

  return { ...pool, keeper, run }
}

describe('FlowMemoryKeeper', () => {
  it('seeds the controller from what it reads before the first call', async () => {
    const { store } = memoryStore(async () => REMEMBERED)
    const { clock, flow, keeper } = keptPool(store)

    await clock.run(keeper.ready)
    expect(flow.snapshot().ratePerSec).toBeGreaterThan(0.8 * 180)
  })

  it('starts cold, without an error, when the read fails', async () => {
    const { store } = memoryStore(() =>
      Promise.reject(new Error('VBase is down'))
    )
    const { clock, flow, keeper } = keptPool(store)

    await expect(clock.run(keeper.ready)).resolves.toBeUndefined()
    expect(flow.snapshot().ratePerSec).toBeNull()
  })

  it('stops waiting for a slow read, and keeps its late answer for the next start', async () => {
    let answer: (memory: FlowMemory) => void = () => undefined
    const { store } = memoryStore(
      () => new Promise((resolve) => (answer = resolve))
    )
    const { clock, flow, keeper, run } = keptPool(store)

    await clock.run(keeper.ready)
    await run(clock.now() + 2_000)
    const learnedRate = flow.snapshot().ratePerSec

    answer({ ...REMEMBERED, ratePerSec: 50, measuredAt: clock.now() })
    await clock.run(clock.sleep(1))
    // The batch under way goes on as it was; the memory waits for the next start.
    expect(flow.snapshot().ratePerSec).toBe(learnedRate)
    await clock.run(clock.sleep(61_000))
    ;(await flow.admit()).cancel()
    expect(flow.snapshot().ratePerSec).toBeLessThan(50)
  })

  it('writes what the controller learned once a batch ends, and nothing while idle', async () => {
    const { written, store } = memoryStore(async () => undefined)
    const { clock, flow, keeper, run } = keptPool(store)

    await clock.run(keeper.ready)
    await run(10_000)
    await clock.run(clock.sleep(5_000))
    expect(written).toHaveLength(1)
    expect(written[0]).toEqual(flow.learnedMemory())
    expect(written[0].ratePerSec).toBeGreaterThan(0)

    await clock.run(clock.sleep(120_000))
    expect(written).toHaveLength(1)
  })

  it('writes at most once per 30 s through a long run whose rate holds, and still writes during it', async () => {
    const { written, store } = memoryStore(async () => undefined)
    const { clock, keeper, run } = keptPool(store)

    await clock.run(keeper.ready)
    await run(125_000)
    // 30, 60, 90 and 120 s into the run.
    expect(written.length).toBeGreaterThanOrEqual(3)
    expect(written.length).toBeLessThanOrEqual(4)
    await clock.run(clock.sleep(60_000))
    // The end of the run, once 30 s after the last write.
    expect(written.length).toBeLessThanOrEqual(5)
    expect(written[written.length - 1].measuredAt).toBeGreaterThanOrEqual(
      124_000
    )
  })

  it("writes no memory without a rate (it would erase another replica's), and a rate it measured within seconds", async () => {
    const { written, store } = memoryStore(async () => undefined)
    const { clock, flow, keeper, serve } = keptPool(store)
    const note = () => keeper.noteActivity()

    await clock.run(keeper.ready)
    // One call at a time: far below the bucket, nothing learned of its rate.
    await drive(clock, flow, 1, 3_000, serve, note)
    await clock.run(clock.sleep(2_000))
    expect(written).toEqual([])

    await drive(clock, flow, 150, clock.now() + 5_000, serve, note)
    await clock.run(clock.sleep(5_000))
    expect(written).toHaveLength(1)
    expect(written[0].ratePerSec).toBeGreaterThan(0)
  })

  it('lets a failed write pass, and writes again after the next batch', async () => {
    const { written, store } = memoryStore(
      async () => undefined,
      () => Promise.reject(new Error('VBase is down'))
    )
    const { clock, keeper, run } = keptPool(store)

    await clock.run(keeper.ready)
    await run(5_000)
    await clock.run(clock.sleep(40_000))
    await run(clock.now() + 5_000)
    await clock.run(clock.sleep(40_000))
    expect(written).toHaveLength(2)
  })
})
