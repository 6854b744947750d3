import { createHash } from 'crypto'

import { JobFileConflict, JobFiles, jobPaths } from './files'

/** One Idempotency-Key: the job it names, and whether that job was fully stored. */
export interface KeyClaim {
  jobId: string
  bodyHash: string
  /** Epoch ms of the claim. */
  at: number
  /** Set once the job's files are all stored, just before its first event. */
  committed?: boolean
}

/** `idempotency/shard-{x}.json`: the claims of every key whose hash starts with x. */
interface Shard {
  claims: Record<string, KeyClaim>
}

export type KeyAnswer =
  /** This creation holds the key: store the job, then commit. */
  | { outcome: 'claimed' }
  /** The key names a stored job of the same body. */
  | { outcome: 'replayed'; jobId: string }
  /** The key was used with another body. */
  | { outcome: 'conflict'; jobId: string }
  /** Another creation of the same key and body is storing its job now. */
  | { outcome: 'inProgress'; jobId: string }

export const keyHashOf = (account: string, namespace: string, key: string) =>
  createHash('sha256').update(`${account}\n${namespace}\n${key}`).digest('hex')

const MAX_TRIES = 20

/**
 * Reads the shard, creating it empty on its first use, only if it is still
 * absent (If-None-Match: *): a plain write there could land after another
 * creation's claim and wipe it, and both would create a job. A 412 (another
 * creation made it first), or a create whose answer was lost, is followed by
 * a read. Every later change is written with If-Match: nothing on a key's
 * path is ever written unconditionally.
 */
async function readShard(files: JobFiles, path: string) {
  for (let tries = 0; tries < MAX_TRIES; tries++) {
    const shard = await files.read<Shard>(path)

    if (shard) return shard
    try {
      await files.write<Shard>(path, { claims: {} }, { ifNoneMatch: '*' })
    } catch (error) {
      if (!(error instanceof JobFileConflict)) throw error
    }
  }

  throw new Error(`${path} could not be created`)
}

/**
 * Changes one key's claim with If-Match on its shard, again on a 412:
 * `decide` sees the claim as it is and says what to write (nothing when
 * `next` is undefined) and what to answer. Claims older than the
 * retention are dropped on each write.
 */
async function updateClaim<R>(
  files: JobFiles,
  keyHash: string,
  now: number,
  retentionMs: number,
  decide: (claim: KeyClaim | undefined) => { next?: KeyClaim; answer: R }
): Promise<R> {
  const path = jobPaths.idempotencyShard(keyHash)

  for (let tries = 0; tries < MAX_TRIES; tries++) {
    const shard = await readShard(files, path)
    const { next, answer } = decide(shard.data.claims[keyHash])

    if (!next) return answer
    const claims: Record<string, KeyClaim> = {}

    for (const [hash, claim] of Object.entries(shard.data.claims))
      if (claim.at > now - retentionMs) claims[hash] = claim
    claims[keyHash] = next
    try {
      await files.write<Shard>(path, { claims }, { ifMatch: shard.etag })

      return answer
    } catch (error) {
      if (!(error instanceof JobFileConflict)) throw error
    }
  }

  throw new Error(`${path} is contended; try again`)
}

/**
 * Claims an Idempotency-Key for a new job. Of concurrent creations only
 * one claim lands (If-Match); the others see it. A claim left uncommitted
 * for longer than `graceMs` (its creator died before storing the job) is
 * taken over, so a replay re-creates the job instead of naming one that
 * was never stored.
 */
export function claimKey(
  files: JobFiles,
  keyHash: string,
  claim: KeyClaim,
  options: { graceMs: number; retentionMs: number }
): Promise<KeyAnswer> {
  return updateClaim<KeyAnswer>(
    files,
    keyHash,
    claim.at,
    options.retentionMs,
    (current) => {
      if (!current || current.at <= claim.at - options.retentionMs)
        return { next: claim, answer: { outcome: 'claimed' } }
      if (current.bodyHash !== claim.bodyHash)
        return { answer: { outcome: 'conflict', jobId: current.jobId } }
      if (current.committed)
        return { answer: { outcome: 'replayed', jobId: current.jobId } }
      if (current.at > claim.at - options.graceMs)
        return { answer: { outcome: 'inProgress', jobId: current.jobId } }

      return { next: claim, answer: { outcome: 'claimed' } }
    }
  )
}

/**
 * Marks the claim committed once the job is stored; resolves with the job
 * the key names then: this one, or the job of a creation that took an
 * expired claim over (this job is then left unstarted).
 */
export function commitKey(
  files: JobFiles,
  keyHash: string,
  jobId: string,
  options: { now: number; retentionMs: number }
): Promise<string> {
  return updateClaim<string>(
    files,
    keyHash,
    options.now,
    options.retentionMs,
    (current) =>
      current?.jobId === jobId
        ? { next: { ...current, committed: true }, answer: jobId }
        : { answer: current?.jobId ?? jobId }
  )
}
