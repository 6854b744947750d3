import { settleSlice } from './chain'
import { Claim, claimChunk } from './claim'
import { jobPaths } from './files'
import { holdLease } from './heartbeat'
import { LeaseLost } from './lease'
import type { ChunkEvent, JobDefinition } from './model'
import type { ChunkOutcome, ChunkRunner } from './runner'
import { mergeSlice, readSlice, runSlice } from './sliceRun'

export { LeaseLost } from './lease'
export type { ChunkOutcome, ChunkRunner } from './runner'

/**
 * Handles one chunk event, idempotently, on any replica, in three parts:
 * the claim (claim.ts: a done chunk is skipped and its next event sent
 * again; a chunk whose lease is live elsewhere is left to its holder;
 * otherwise the chunk is claimed with If-Match, one claimant wins), the
 * slice run under the held lease (sliceRun.ts, heartbeat.ts: the same
 * engine as a sync batch, with the app's credentials, no Catalog call once
 * the lease may have run out), and the chain (chain.ts: results stored,
 * then a checkpoint and the chunk's own event, or the chunk done and the
 * next chunk's event).
 */
export async function runChunk(
  runner: ChunkRunner,
  event: ChunkEvent
): Promise<ChunkOutcome> {
  const { files } = runner
  const job = (await files.read<JobDefinition>(jobPaths.job(event.jobId)))?.data

  if (!job || !(event.chunk >= 0 && event.chunk < job.chunks)) return 'gone'
  const here = `${job.id}:${event.chunk}`

  // Checked and marked in one synchronous step: a duplicate delivery here returns at once.
  if (runner.runningHere.has(here)) return 'held'
  runner.runningHere.add(here)
  try {
    const claim = await claimChunk(runner, job, event.chunk)

    return typeof claim === 'string'
      ? claim
      : await runClaimed(runner, job, claim)
  } finally {
    runner.runningHere.delete(here)
  }
}

/** One slice of a claimed chunk, run while the lease is held, then settled. */
async function runClaimed(
  runner: ChunkRunner,
  job: JobDefinition,
  claim: Claim
): Promise<ChunkOutcome> {
  const input = await readSlice(runner, job, claim)
  const lease = holdLease(runner, job, claim)

  try {
    const ran = await runSlice(runner, job, input, lease.catalog)

    await lease.stop()
    // Another claim replaced this one: keep nothing, and let the event come again.
    if (lease.lost) throw new LeaseLost()
    // Fenced without a conflict (a heartbeat was late): keep nothing, let a redelivery redo it.
    if (lease.fencedCalls > 0)
      throw new Error(
        `chunk ${claim.data.chunk} of job ${job.id} was fenced; it will be redone`
      )

    return await settleSlice(
      runner,
      job,
      claim,
      lease.current,
      input,
      mergeSlice(job, input, ran)
    )
  } finally {
    await lease.stop()
  }
}
