import type { Clock } from './clock'
import type { FlowController } from './flowControl'
import type { FlowMemory } from './flowMemory'

/** Where an account's flow memory is kept (VBase in the app: FlowMemoryClient). */
export interface FlowMemoryStore {
  read(): Promise<FlowMemory | undefined>
  write(memory: FlowMemory): Promise<void>
}

export interface FlowMemoryKeeperOptions {
  /** The first call waits this long at most for the memory; a later answer is kept for the next start. */
  readWaitMs?: number
  /** At most one write per this long... */
  writeEveryMs?: number
  /** ...or per this long when the rate changed (a first measure, a cut): other replicas need it now. */
  newsEveryMs?: number
  /** Nothing in flight or queued this long: a batch ended, what it learned is written. */
  idleMs?: number
}

/**
 * Keeps one account's flow memory for a worker: read once when the
 * controller is made (never failing or holding a batch for long), written
 * when the account goes idle after calls, or every `writeEveryMs` of a long
 * run, never more often (every `newsEveryMs` when the rate changed). Store
 * failures are a cold start, never an error.
 */
export class FlowMemoryKeeper {
  /** Settles when the memory is read, or when the first call stops waiting for it. */
  public readonly ready: Promise<void>
  private lastWriteAt = Number.NEGATIVE_INFINITY
  private lastWritten: FlowMemory | undefined
  /** Calls since the last write began then: a long run writes from there. */
  private activeSince: number | undefined
  private checkAt: number | undefined
  /** A call went out or came back since the last check. */
  private activeSinceCheck = false
  private readonly readWaitMs: number
  private readonly writeEveryMs: number
  private readonly newsEveryMs: number
  private readonly idleMs: number

  constructor(
    private readonly clock: Clock,
    private readonly flow: FlowController,
    private store: () => FlowMemoryStore,
    options: FlowMemoryKeeperOptions = {}
  ) {
    this.readWaitMs = options.readWaitMs ?? 500
    this.writeEveryMs = options.writeEveryMs ?? 30_000
    this.newsEveryMs = options.newsEveryMs ?? 5_000
    this.idleMs = options.idleMs ?? 1000
    const read = attempt(() => this.store().read()).then((memory) => {
      if (memory) flow.remember(memory)
    })

    this.ready = Promise.race([read, clock.sleep(this.readWaitMs)])
  }

  /** The store to write with from now on (the latest request's: its token is the freshest). */
  public useStore(store: () => FlowMemoryStore) {
    this.store = store
  }

  /** A call went out or came back: a write is due once the account is idle. */
  public noteActivity() {
    this.activeSince ??= this.clock.now()
    this.activeSinceCheck = true
    if (this.checkAt === undefined) this.checkLater(this.idleMs)
  }

  private checkLater(ms: number) {
    this.checkAt = this.clock.now() + ms
    void this.clock.sleep(ms).then(() => this.check())
  }

  private check() {
    this.checkAt = undefined
    const now = this.clock.now()
    const { inFlight, queued } = this.flow.snapshot()
    const idle = !this.activeSinceCheck && inFlight === 0 && queued === 0
    const since = Math.max(this.activeSince ?? now, this.lastWriteAt)

    this.activeSinceCheck = false

    const gapMs = rateChanged(this.lastWritten, this.flow.learnedMemory())
      ? this.newsEveryMs
      : this.writeEveryMs

    if (now - this.lastWriteAt < gapMs) {
      // Checked again within a second: what is learned meanwhile may be news.
      this.checkLater(Math.min(this.idleMs, this.lastWriteAt + gapMs - now))
    } else if (!idle && now - since < this.writeEveryMs) {
      this.checkLater(this.idleMs)
    } else {
      this.write(now)
    }
  }

  private write(now: number) {
    const memory = this.flow.learnedMemory()

    this.activeSince = undefined
    // No rate seeds nothing (seedOf), and written it would erase the rate another replica measured.
    if (!memory || memory.ratePerSec === null) return
    this.lastWriteAt = now
    this.lastWritten = memory
    void attempt(() => this.store().write(memory))
  }
}

/** The rate differs by a tenth or more from what was last written (or one of them has none). */
function rateChanged(
  written: FlowMemory | undefined,
  learned: FlowMemory | undefined
) {
  const [before, after] = [
    written?.ratePerSec ?? null,
    learned?.ratePerSec ?? null,
  ]

  if (before === null || after === null) return before !== after

  return Math.abs(after - before) >= 0.1 * before
}

/** What `work` resolves to, or undefined when it throws or rejects: memory is never worth an error. */
async function attempt<T>(work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work()
  } catch {
    return undefined
  }
}
