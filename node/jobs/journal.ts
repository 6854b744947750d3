import type { CatalogClient } from '../clients/catalog'
import type { SuccessElement } from '../scores/envelope'
import { JobFiles, jobPaths } from './files'

/** One item a claim was about to write: its Score before the job. */
export interface JournalEntry {
  id: number
  previousScore: number | null
}

/**
 * `chunks/{n}/journal-{attempt}.json`: every item a claim of the chunk sent
 * a PUT for, with its Score before the job, stored before the PUT left. A
 * replica killed after its PUTs landed and before its results were stored
 * leaves its journal: the claim that takes the chunk over finds those items
 * already at the job's Score, and the journal says what they were before,
 * so the results (and the undo built from them) still have them.
 *
 * The entries are written in batches (group commit): a PUT waits for the
 * write of the batch its entry is in, and the entries that arrive during
 * that write go in the next one. A slice writes the journal a few times,
 * never once per item.
 */
export class Journal {
  private readonly entries = new Map<number, JournalEntry>()
  private waiting: Array<{ resolve(): void; reject(error: unknown): void }> = []
  private flushing = false
  public writes = 0

  constructor(
    private readonly files: JobFiles,
    private readonly path: string,
    private readonly ttlSec: number
  ) {}

  /** Resolves once the entry is durable (with those that arrived with it). */
  public record(entry: JournalEntry): Promise<void> {
    if (!this.entries.has(entry.id)) this.entries.set(entry.id, entry)

    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject })
      void this.flush()
    })
  }

  private async flush() {
    if (this.flushing) return
    this.flushing = true
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting
        const entries = [...this.entries.values()]

        this.waiting = []
        try {
          await this.files.write(this.path, entries, { ttlSec: this.ttlSec })
          this.writes += 1
          batch.forEach((w) => w.resolve())
        } catch (error) {
          batch.forEach((w) => w.reject(error))
        }
      }
    } finally {
      this.flushing = false
    }
  }
}

/** The Score each item had before the job, from the journals of the chunk's earlier claims (the earliest wins). */
export async function journalledBefore(
  files: JobFiles,
  jobId: string,
  chunk: number,
  beforeAttempt: number
): Promise<Map<number, number | null>> {
  const before = new Map<number, number | null>()

  if (beforeAttempt <= 1) return before
  const prefix = jobPaths.journalPrefix(jobId, chunk)
  const attempts = (await files.list(prefix))
    .map((path) => Number(/journal-(\d+)\.json$/.exec(path)?.[1]))
    .filter((n) => Number.isInteger(n) && n < beforeAttempt)
    .sort((a, b) => a - b)

  for (const attempt of attempts) {
    const entries =
      (
        await files.read<JournalEntry[]>(
          jobPaths.journal(jobId, chunk, attempt)
        )
      )?.data ?? []

    for (const entry of entries)
      if (!before.has(entry.id)) before.set(entry.id, entry.previousScore)
  }

  return before
}

/**
 * A success as the job saw it: an item the journal says a claim wrote
 * (its Score before the job differs from the job's) is UPDATED from that
 * Score, though this claim found it already at the job's Score.
 */
export function withJournal(
  element: SuccessElement,
  before: Map<number, number | null>
): SuccessElement {
  if (element.dryRun || !before.has(element.id)) return element
  const previousScore = before.get(element.id) ?? null

  if (previousScore === element.score) return element
  const { unchanged: _unchanged, ...updated } = element

  return { ...updated, previousScore }
}

/**
 * The Catalog of a claim that journals: each GET keeps the Score it saw
 * first, and each PUT waits until its item's {id, previousScore} is in the
 * journal (an earlier claim's entry first: the Score before the job).
 */
export function journallingCatalog(
  catalog: Pick<CatalogClient, 'read' | 'write'>,
  journal: Journal,
  before: Map<number, number | null>
): Pick<CatalogClient, 'read' | 'write'> {
  const seen = new Map<number, number | null>()

  return {
    read: async (kind, id, options) => {
      const object = await catalog.read(kind, id, options)

      if (!seen.has(id))
        seen.set(id, typeof object?.Score === 'number' ? object.Score : null)

      return object
    },
    write: async (kind, id, body, options) => {
      await journal.record({
        id,
        previousScore: before.has(id)
          ? (before.get(id) as number | null)
          : seen.get(id) ?? null,
      })

      return catalog.write(kind, id, body, options)
    },
  }
}
