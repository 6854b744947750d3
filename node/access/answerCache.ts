/**
 * Answers kept for a short time, in memory, per worker process. Keys are
 * fingerprints (sha256) of credentials, never the credentials. The oldest
 * entry goes first when it is full, so a flood of bad tokens costs memory
 * up to `maxEntries` only.
 */
export class AnswerCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>()

  constructor(
    private readonly now: () => number,
    private readonly maxEntries = 1000
  ) {}

  public get(key: string): V | undefined {
    const entry = this.entries.get(key)

    if (!entry) return undefined
    if (entry.until <= this.now()) {
      this.entries.delete(key)

      return undefined
    }

    return entry.value
  }

  public set(key: string, value: V, ttlMs: number) {
    this.entries.delete(key)
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value

      if (oldest !== undefined) this.entries.delete(oldest)
    }

    this.entries.set(key, { value, until: this.now() + ttlMs })
  }

  public get size() {
    return this.entries.size
  }
}
