import { AdmissionQueue } from '../../bulk/admissionQueue'
import { HaltError } from '../../bulk'
import { FakeClock } from '../helpers/fakeClock'

const NO_DEADLINE = Number.POSITIVE_INFINITY

describe('AdmissionQueue', () => {
  it('lets calls go in order of arrival, urgent ones first', async () => {
    const clock = new FakeClock()
    const queue = new AdmissionQueue<string>(clock)
    const order: string[] = []
    const wait = (name: string, urgent: boolean) =>
      queue
        .wait({ deadlineAt: NO_DEADLINE, urgent }, 0)
        .then((value) => order.push(`${name}:${value}`))
    const all = [
      wait('get 1', false),
      wait('put 1', true),
      wait('get 2', false),
      wait('put 2', true),
    ]

    expect(queue.length).toBe(4)
    for (const turn of ['a', 'b', 'c', 'd']) queue.grantNext(turn)
    await Promise.all(all)
    expect(order).toEqual(['put 1:a', 'put 2:b', 'get 1:c', 'get 2:d'])
    expect(queue.length).toBe(0)
  })

  it('gives a call up at its deadline, on the clock', async () => {
    const clock = new FakeClock()
    const queue = new AdmissionQueue<string>(clock)
    let rejectedAt = -1

    await clock.run(
      queue.wait({ deadlineAt: 500, urgent: false }, 0).catch((error) => {
        expect(error).toBeInstanceOf(HaltError)
        expect(error.failure).toMatchObject({
          status: 504,
          code: 'DEADLINE_EXCEEDED',
        })
        rejectedAt = clock.now()
      })
    )
    expect(rejectedAt).toBe(500)
    expect(queue.length).toBe(0)
  })

  it('gives a call up when its signal aborts, with the signal’s HaltError when it has one', async () => {
    const clock = new FakeClock()
    const queue = new AdmissionQueue<string>(clock)
    const stop = new AbortController()
    const reason = new HaltError({ status: 401, code: 'X', message: 'x' })
    const waiting = queue.wait(
      { deadlineAt: NO_DEADLINE, urgent: false, signal: stop.signal },
      0
    )

    stop.abort(reason)
    await expect(waiting).rejects.toBe(reason)
    expect(queue.length).toBe(0)
  })

  it('tells at once the calls whose deadline falls inside a pause, and keeps the others', async () => {
    const clock = new FakeClock()
    const queue = new AdmissionQueue<string>(clock)
    const early = queue.wait({ deadlineAt: 1_000, urgent: false }, 0)
    const late = queue.wait({ deadlineAt: 10_000, urgent: false }, 0)

    queue.rejectBefore(3_000, 0, 'breaker')
    await expect(early).rejects.toMatchObject({
      failure: {
        code: 'DEADLINE_EXCEEDED',
        message: expect.stringContaining('The Catalog is failing'),
      },
    })
    expect(queue.length).toBe(1)
    queue.grantNext('go')
    await expect(late).resolves.toBe('go')
    // The granted call's deadline timer was stopped: nothing is left to run.
    expect(clock.now()).toBe(0)
  })
})
