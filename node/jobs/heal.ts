import type { SendEvent } from './create'
import { JobFileConflict, JobFiles, jobPaths } from './files'
import { CHUNK_EVENT_KEY, JobDefinition } from './model'
import type { JobRead } from './summary'

/**
 * Why nothing runs a job that is not finished:
 * - LEASE_EXPIRED: the replica that claimed the chunk stopped renewing its
 *   lease (it died, or the whole service restarted);
 * - NO_EVENT: the chunk waits for an event nobody took (its event was lost,
 *   or never left: a creation whose first event failed, a handler that died
 *   between checkpointing and sending the next event).
 */
export type StallReason = 'LEASE_EXPIRED' | 'NO_EVENT'

/** A stalled job, as its summary shows it. */
export interface Stalled {
  chunk: number
  reason: StallReason
  /** When the job was found stalled (lease end plus the clock-skew margin, or the event's grace). */
  since: string
  /** The chunk's event was sent again by a read (this one or one shortly before). */
  resent: boolean
  resentAt?: string
}

/** What a read does with a job: the stall it found, after sending the chunk's event again once. */
export type Healer = (
  job: JobDefinition,
  read: JobRead,
  now: number
) => Promise<Stalled | undefined>

export interface HealTiming {
  /** A lease is taken over only this long after it ran out (as runChunk does). */
  clockSkewMs: number
  /**
   * How long a chunk may wait for its event before a read sends it again,
   * and how long a read waits before sending again an event it already sent
   * for the same stall.
   */
  eventGraceMs: number
}

/** `kick.json`: the stall a read last sent an event for, and when. */
export interface KickMark {
  /** The chunk's state the stall was found in: a new claim makes a new key. */
  key: string
  chunk: number
  at: number
  by: string
}

export interface Stall {
  chunk: number
  reason: StallReason
  /** Epoch ms from which the job is stalled; a read before it finds nothing to do. */
  since: number
  key: string
}

const at = (iso: string | undefined) => (iso ? Date.parse(iso) || 0 : 0)

/**
 * The work of a job that nothing runs now, if any. Chunks run in order, so
 * only the first chunk not done can be stalled: a claim whose lease ran out
 * more than the clock-skew margin ago, or a chunk that waited for its event
 * longer than the grace. A finished or cancelled job is never stalled, and
 * a job whose chunks are all done but which was never ended is stalled on
 * its last chunk (its event ends the job).
 */
export function stallOf(
  job: JobDefinition,
  { states, cancel, final }: JobRead,
  now: number,
  timing: HealTiming
): Stall | undefined {
  if (final || cancel || job.chunks === 0) return undefined
  const frontier = states.findIndex((state) => state?.phase !== 'done')
  const chunk = frontier < 0 ? job.chunks - 1 : frontier
  const state = states[chunk]

  if (!state) return undefined
  const key = `${chunk}:${state.phase}:${state.attempt}:${
    state.leaseUntil ?? ''
  }`
  let stall: Stall

  if (state.phase === 'running') {
    stall = {
      chunk,
      key,
      reason: 'LEASE_EXPIRED',
      since: (state.leaseUntil ?? 0) + timing.clockSkewMs,
    }
  } else {
    // When the chunk became ready for its event: a checkpoint or end of its own, the chunk before's end, or the job's creation.
    const readyAt =
      frontier < 0 || state.phase === 'failed'
        ? at(state.finishedAt)
        : at(state.heartbeatAt) ||
          (chunk > 0 ? at(states[chunk - 1]?.finishedAt) : 0) ||
          at(job.createdAt)

    stall = {
      chunk,
      key,
      reason: 'NO_EVENT',
      since: readyAt + timing.eventGraceMs,
    }
  }

  return stall.since <= now ? stall : undefined
}

/**
 * Heals a stalled job on a read: the first reader to replace `kick.json`
 * (If-Match, or If-None-Match: * when absent) with this stall sends the
 * chunk's event again; the others, and any read within the grace after it,
 * see that it was sent. A stall still there a grace after its event was
 * sent (that event was lost too) is sent again. Sending twice is harmless
 * (the handler is idempotent); a read never fails because healing did.
 */
export function healerOf(
  files: JobFiles,
  sendEvent: SendEvent,
  options: HealTiming & { ttlSec: number; owner: string }
): Healer {
  return async (job, read, now) => {
    const stall = stallOf(job, read, now, options)

    if (!stall) return undefined
    const stalled = (resentAt?: number): Stalled => ({
      chunk: stall.chunk,
      reason: stall.reason,
      since: new Date(stall.since).toISOString(),
      resent: resentAt !== undefined,
      ...(resentAt !== undefined
        ? { resentAt: new Date(resentAt).toISOString() }
        : {}),
    })

    const path = jobPaths.kick(job.id)

    try {
      const mark = await files.read<KickMark>(path)

      if (
        mark?.data.key === stall.key &&
        mark.data.at + options.eventGraceMs > now
      )
        return stalled(mark.data.at)

      const kick: KickMark = {
        key: stall.key,
        chunk: stall.chunk,
        at: now,
        by: options.owner,
      }
      let etag: string | undefined

      try {
        etag = await files.write(
          path,
          kick,
          mark
            ? { ifMatch: mark.etag, ttlSec: options.ttlSec }
            : { ifNoneMatch: '*', ttlSec: options.ttlSec }
        )
      } catch (error) {
        if (!(error instanceof JobFileConflict)) throw error
        // Another reader replaced it first: it sends the event.
        const other = await files.read<KickMark>(path)

        return stalled(
          other?.data.key === stall.key ? other.data.at : undefined
        )
      }

      try {
        await sendEvent(CHUNK_EVENT_KEY, { jobId: job.id, chunk: stall.chunk })
      } catch {
        // Not sent: give the mark back, so the next read tries again at once.
        if (etag)
          await files.remove(path, { ifMatch: etag }).catch(() => undefined)

        return stalled()
      }

      return stalled(now)
    } catch {
      return stalled()
    }
  }
}
