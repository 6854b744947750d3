import type { CatalogCallOptions, CatalogClient } from '../clients/catalog'
import type { Claim } from './claim'
import { JobFileConflict } from './files'
import { LeaseLost, writeState } from './lease'
import type { ChunkState, JobDefinition } from './model'
import type { ChunkRunner } from './runner'

type CatalogAccess = Pick<CatalogClient, 'read' | 'write'>

/** A claim held while its slice runs: renewed by a heartbeat, and the only way to the Catalog. */
export interface HeldLease {
  /** The chunk's state as this claim last wrote it, and its ETag (for the next If-Match). */
  readonly current: Claim
  /** Another claim replaced this one: nothing this slice did may be kept. */
  readonly lost: boolean
  /** The Catalog, fenced: a call starts only while the lease outlasts a whole request timeout. */
  readonly catalog: CatalogAccess
  /** Calls the fence refused (a heartbeat was late): the slice's results may not be kept. */
  readonly fencedCalls: number
  /** Stops the heartbeat and waits for a renewal in flight; harmless twice. */
  stop(): Promise<void>
}

/**
 * Holds a claim while its slice runs: a heartbeat renews the lease with
 * If-Match every third of it, on the injected clock (tests drive it in
 * virtual time). No Catalog call starts unless the lease still has a full
 * request timeout to run, so a replica that lost its lease (paused,
 * partitioned) stops writing before another may take over: no item is
 * written by two replicas.
 */
export function holdLease(
  runner: ChunkRunner,
  job: JobDefinition,
  claim: Claim
): HeldLease {
  const { clock, settings } = runner
  let lease = claim
  let lost = false
  let fencedCalls = 0
  // A Catalog call may take a whole request timeout: none starts unless the lease outlasts it.
  const mayCall = () =>
    !lost &&
    clock.now() + settings.requestTimeoutMs < (lease.data.leaseUntil ?? 0)

  const renew = async () => {
    const at = clock.now()
    const next: ChunkState = {
      ...lease.data,
      leaseUntil: at + runner.leaseMs,
      heartbeatAt: new Date(at).toISOString(),
    }

    try {
      lease = await writeState(runner, job, next, lease.etag)
    } catch (error) {
      // A conflict means another replica took the chunk; any other error, retry on the next beat.
      if (error instanceof JobFileConflict) lost = true
    }
  }

  const stopBeating = new AbortController()
  const beatMs = Math.max(50, Math.floor(runner.leaseMs / 3))
  const beating = (async () => {
    for (;;) {
      await clock.sleep(beatMs, stopBeating.signal)
      if (stopBeating.signal.aborted || lost) return
      await renew()
    }
  })()

  const refuse = () => {
    fencedCalls += 1

    return Promise.reject(new LeaseLost())
  }

  const catalog: CatalogAccess = {
    read: (kind, id, options: CatalogCallOptions) => {
      if (!mayCall()) return refuse()

      return runner.catalog.read(kind, id, options)
    },
    write: (kind, id, body, options: CatalogCallOptions) => {
      if (!mayCall()) return refuse()

      return runner.catalog.write(kind, id, body, options)
    },
  }

  return {
    get current() {
      return lease
    },
    get lost() {
      return lost
    },
    get fencedCalls() {
      return fencedCalls
    },
    catalog,
    stop: async () => {
      stopBeating.abort()
      await beating
    },
  }
}
