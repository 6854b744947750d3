import { RateGate, systemClock } from '../bulk'

const gates = new Map<string, { gate: RateGate; users: number }>()

/**
 * The Catalog limits requests per account, so every batch and job of one
 * account in this worker shares one gate: a 429 pauses them all, and the
 * pacer learns from all of their traffic. Release it when the batch ends.
 */
export function acquireAccountGate(account: string): {
  gate: RateGate
  release(): void
} {
  const entry = gates.get(account) ?? {
    gate: new RateGate(systemClock, { adaptive: true }),
    users: 0,
  }

  entry.users += 1
  gates.set(account, entry)
  let released = false

  return {
    gate: entry.gate,
    release: () => {
      if (released) return
      released = true
      entry.users -= 1
      if (entry.users === 0 && gates.get(account) === entry)
        gates.delete(account)
    },
  }
}
