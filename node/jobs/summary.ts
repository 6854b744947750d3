import { JobFiles, jobPaths, Versioned } from './files'
import type { Healer, Stalled } from './heal'
import type {
  CancelMark,
  ChunkState,
  JobDefinition,
  JobFailure,
  OutcomeCounts,
} from './model'
import type { JobFinal } from './model'

export const JOBS_PATH = '/_v/massive/score/jobs'

export const JOB_STATUSES = [
  'queued',
  'running',
  'cancelling',
  'cancelled',
  'done',
  'failed',
] as const

export type JobStatus = (typeof JOB_STATUSES)[number]

export interface JobSummary {
  jobId: string
  kind: JobDefinition['kind']
  status: JobStatus
  dryRun: boolean
  startedBy: JobDefinition['startedBy']
  progress: {
    total: number
    done: number
    chunks: number
    chunksDone: number
    /** Items of a cancelled or failed job that were never run (NOT_ATTEMPTED in counts). */
    notRun: number
  }
  /** How many items ended with each outcome: UPDATED, UNCHANGED, DRY_RUN, or a failure code. */
  counts: OutcomeCounts
  succeeded: number
  failed: number
  createdAt: string
  startedAt?: string
  updatedAt: string
  finishedAt?: string
  expiresAt: string
  cancelledAt?: string
  undoOf?: string
  /** What stopped a failed job; `resumable` when a resume may take it up again (an outage). */
  error?: JobFailure & { resumable: boolean }
  /**
   * A job that is not finished but that nothing runs now: its holder died
   * (the lease ran out) or the event of its next chunk never came. The read
   * that found it sent that chunk's event again (`resent`), or could not.
   */
  stalled?: Stalled
  links: Record<string, string>
}

const SUCCESS_CODES = new Set(['UPDATED', 'UNCHANGED', 'DRY_RUN'])
export const NOT_ATTEMPTED = 'NOT_ATTEMPTED'

/** A running chunk whose holder may still write: its items are pending, not NOT_ATTEMPTED. */
export const leaseIsLive = (state: ChunkState | undefined, now: number) =>
  state?.phase === 'running' && (state.leaseUntil ?? 0) > now

export const linksOf = (id: string) => ({
  self: `${JOBS_PATH}/${id}`,
  results: `${JOBS_PATH}/${id}/results`,
  report: `${JOBS_PATH}/${id}/report.csv`,
  failedRows: `${JOBS_PATH}/${id}/report.csv?only=failed`,
  cancel: `${JOBS_PATH}/${id}/cancel`,
  undo: `${JOBS_PATH}/${id}/undo`,
})

/**
 * The states of done chunks, which never change once written (a claim
 * never replaces a done state), kept per job for the few jobs read last.
 * With it a summary reads only the chunks not done yet: a 100,000-item job
 * polled every second costs a few VBase reads a poll instead of 200, and
 * the garbage those reads leave (a few MB a poll) no longer grows the heap.
 */
export class DoneChunks {
  private readonly jobs = new Map<string, Map<number, ChunkState>>()

  constructor(private readonly maxJobs = 8) {}

  public get(jobId: string, chunk: number): ChunkState | undefined {
    return this.jobs.get(jobId)?.get(chunk)
  }

  /** Keeps a done state; any other phase may still change, so it is not kept. */
  public keep(jobId: string, state: ChunkState | undefined) {
    if (state?.phase !== 'done') return
    let chunks = this.jobs.get(jobId)

    if (chunks) {
      // Most recently kept last, so the first key is the job read least recently.
      this.jobs.delete(jobId)
    } else {
      chunks = new Map()
    }

    this.jobs.set(jobId, chunks)
    chunks.set(state.chunk, state)
    if (this.jobs.size > this.maxJobs)
      this.jobs.delete(this.jobs.keys().next().value as string)
  }

  /** Jobs kept now (at most maxJobs). */
  public get size() {
    return this.jobs.size
  }
}

/** Reads in parallel at most: the window of chunks read at once doubles up to it. */
const MAX_WINDOW = 16

/** A chunk state as createJob stores it, never claimed since. */
const neverClaimed = (state: ChunkState | undefined) =>
  state?.phase === 'pending' && state.attempt === 0

/**
 * Every chunk's state, in chunk order. Chunks start in order: a chunk's
 * event is sent once the chunk before it is done (or, by a resume, for the
 * first chunk not done), so a chunk never claimed has none claimed after
 * it. So the states are read from the first chunk not known done, in
 * windows of 2 to 16 at once, up to the first never-claimed one; the chunks
 * after it are as createJob stored them. With `done`, a chunk already seen
 * done is not read again: a running job's summary reads two or three small
 * files, not one per chunk.
 */
export async function chunkStates(
  files: JobFiles,
  job: JobDefinition,
  done?: DoneChunks
): Promise<Array<ChunkState | undefined>> {
  const states = new Array<ChunkState | undefined>(job.chunks)
  const read = async (chunk: number) => {
    const state = (await files.read<ChunkState>(jobPaths.state(job.id, chunk)))
      ?.data

    done?.keep(job.id, state)

    return state
  }

  let window = 2

  for (let from = 0; from < job.chunks; ) {
    const kept = done?.get(job.id, from)

    if (kept) {
      states[from++] = kept
      continue
    }

    const to = Math.min(job.chunks, from + window)
    const chunks = Array.from({ length: to - from }, (_, i) => from + i)
    const got = await Promise.all(
      chunks.map((chunk) => done?.get(job.id, chunk) ?? read(chunk))
    )
    const stop = got.findIndex(neverClaimed)

    got.forEach((state, i) => (states[from + i] = state))
    if (stop >= 0) {
      for (let chunk = from + stop + 1; chunk < job.chunks; chunk++)
        states[chunk] = { chunk, phase: 'pending', attempt: 0 }

      break
    }

    from = to
    window = Math.min(MAX_WINDOW, window * 2)
  }

  return states
}

/** What a summary is made from: every chunk's state, the cancel mark and the final file. */
export interface JobRead {
  states: Array<ChunkState | undefined>
  cancel: Versioned<CancelMark> | null
  final: Versioned<JobFinal> | null
}

/** Reads what a summary needs (with `doneChunks`, only the chunks not seen done). */
export async function readJob(
  files: JobFiles,
  job: JobDefinition,
  doneChunks?: DoneChunks
): Promise<JobRead> {
  const [states, cancel, final] = await Promise.all([
    chunkStates(files, job, doneChunks),
    files.read<CancelMark>(jobPaths.cancel(job.id)),
    files.read<JobFinal>(jobPaths.final(job.id)),
  ])

  return { states, cancel, final }
}

/**
 * The constant-size summary of a job, from its definition and chunk states;
 * it reads no Catalog. A running chunk whose lease ran out by `now` (its
 * replica died) counts as not running: a cancelled job with one reads
 * cancelled, not cancelling. With `doneChunks`, only the chunks not seen
 * done are read. With `heal`, a job found stalled (its lease ran out, or
 * the event of its next chunk never came) has that chunk's event sent again,
 * once for many readers, and the summary says so (`stalled`).
 */
export async function summarise(
  files: JobFiles,
  job: JobDefinition,
  now: number = Date.now(),
  doneChunks?: DoneChunks,
  heal?: Healer
): Promise<JobSummary> {
  const read = await readJob(files, job, doneChunks)
  const summary = summaryFrom(job, read, now)
  const stalled = heal ? await heal(job, read, now) : undefined

  return stalled ? { ...summary, stalled } : summary
}

/** The summary of a job read by readJob, as it is at `now`. */
export function summaryFrom(
  job: JobDefinition,
  { states, cancel, final }: JobRead,
  now: number
): JobSummary {
  const counts: OutcomeCounts = {}
  let done = 0
  let chunksDone = 0
  /** A chunk holds a live lease. */
  let running = false
  /** A chunk was claimed, its lease live or not. */
  let started = false
  /** Items of chunks with no results and no live lease: never run, once no chunk will start. */
  let notRun = 0
  let startedAt: string | undefined
  let updatedAt = job.createdAt

  states.forEach((state, chunk) => {
    if (!state) return
    const size = Math.min(job.chunkSize, job.total - chunk * job.chunkSize)

    if (state.startedAt && (!startedAt || state.startedAt < startedAt))
      startedAt = state.startedAt
    for (const at of [state.heartbeatAt, state.finishedAt])
      if (at && at > updatedAt) updatedAt = at
    // Items earlier slices of a chunk finished count, whatever the chunk does now.
    const sliced = state.checkpoint
    const addCounts = (of: OutcomeCounts | undefined) => {
      for (const [code, n] of Object.entries(of ?? {}))
        counts[code] = (counts[code] ?? 0) + n
    }

    if (state.phase !== 'done' && state.phase !== 'failed' && sliced) {
      started = true
      done += sliced.done
      addCounts(sliced.counts)
    }

    if (state.phase === 'running') {
      started = true
      if (leaseIsLive(state, now)) {
        running = true

        return
      }
    }

    // A chunk an outage failed has its results too: its items count, though the chunk is not done.
    if (state.phase !== 'done' && state.phase !== 'failed') {
      notRun += size - (sliced?.done ?? 0)

      return
    }

    if (state.phase === 'done') chunksDone += 1
    done += size
    addCounts(state.counts)
  })

  // Once no chunk will start, unrun items are NOT_ATTEMPTED, as the results and both CSVs show them.
  const noneWillStart = Boolean(final || cancel)

  if (noneWillStart && notRun > 0)
    counts[NOT_ATTEMPTED] = (counts[NOT_ATTEMPTED] ?? 0) + notRun

  const status: JobStatus = final
    ? final.data.status
    : cancel
    ? running
      ? 'cancelling'
      : 'cancelled'
    : started || chunksDone > 0
    ? 'running'
    : 'queued'

  const succeeded = Object.entries(counts)
    .filter(([code]) => SUCCESS_CODES.has(code))
    .reduce((sum, [, n]) => sum + n, 0)

  return {
    jobId: job.id,
    kind: job.kind,
    status,
    dryRun: job.dryRun,
    startedBy: job.startedBy,
    progress: {
      total: job.total,
      done,
      chunks: job.chunks,
      chunksDone,
      notRun: noneWillStart ? notRun : 0,
    },
    counts,
    succeeded,
    failed: done - succeeded + (noneWillStart ? notRun : 0),
    createdAt: job.createdAt,
    ...(startedAt ? { startedAt } : {}),
    updatedAt,
    ...(final ? { finishedAt: final.data.finishedAt } : {}),
    expiresAt: job.expiresAt,
    ...(cancel ? { cancelledAt: cancel.data.at } : {}),
    ...(job.undoOf ? { undoOf: job.undoOf } : {}),
    ...(final?.data.error
      ? {
          error: {
            ...final.data.error,
            resumable: final.data.resumable === true,
          },
        }
      : {}),
    links: linksOf(job.id),
  }
}

/** A stored job's summary by id (a replay answers its job as it is now); undefined when it is gone. */
export async function summaryOf(
  files: JobFiles,
  jobId: string,
  now: number = Date.now(),
  doneChunks?: DoneChunks
): Promise<JobSummary | undefined> {
  const job = (await files.read<JobDefinition>(jobPaths.job(jobId)))?.data

  return job ? summarise(files, job, now, doneChunks) : undefined
}

/** Whether no chunk will run any more. */
export const isFinished = (summary: JobSummary) =>
  summary.status === 'done' ||
  summary.status === 'failed' ||
  summary.status === 'cancelled'
