import { acquireAccountGate } from '../../scores/accountGates'

describe('acquireAccountGate', () => {
  it('shares one gate per account while batches use it', () => {
    const first = acquireAccountGate('store-a')
    const second = acquireAccountGate('store-a')
    const other = acquireAccountGate('store-b')

    expect(second.gate).toBe(first.gate)
    expect(other.gate).not.toBe(first.gate)
    // A 429 seen by one batch pauses the other.
    first.gate.pause(1000)
    expect(second.gate.closedUntil).toBeGreaterThan(Date.now())
    first.release()
    second.release()
    other.release()
  })

  it('forgets the gate once the last batch releases it, and a double release counts once', () => {
    const first = acquireAccountGate('store-c')
    const second = acquireAccountGate('store-c')

    first.release()
    first.release()
    const third = acquireAccountGate('store-c')

    expect(third.gate).toBe(second.gate)
    second.release()
    third.release()
  })

  it('starts afresh after every batch of the account has ended', () => {
    const done = acquireAccountGate('store-d')

    done.gate.pause(5000)
    done.release()
    const next = acquireAccountGate('store-d')

    expect(next.gate).not.toBe(done.gate)
    expect(next.gate.closedUntil).toBe(0)
    next.release()
  })
})
