export type { JobFiles, Versioned, WriteOptions } from '../clients/jobStore'
export { JobFileConflict } from '../clients/jobStore'

/** Where each part of a job lives in the bucket. */
export const jobPaths = {
  job: (id: string) => `jobs/${id}/job.json`,
  items: (id: string, chunk: number) => `jobs/${id}/chunks/${chunk}/items.json`,
  state: (id: string, chunk: number) => `jobs/${id}/chunks/${chunk}/state.json`,
  results: (id: string, chunk: number, attempt: number) =>
    `jobs/${id}/chunks/${chunk}/results-${attempt}.json`,
  /** The items a claim was about to write, with their Score before the job (jobs/journal.ts). */
  journal: (id: string, chunk: number, attempt: number) =>
    `jobs/${id}/chunks/${chunk}/journal-${attempt}.json`,
  journalPrefix: (id: string, chunk: number) =>
    `jobs/${id}/chunks/${chunk}/journal-`,
  cancel: (id: string) => `jobs/${id}/cancel.json`,
  final: (id: string) => `jobs/${id}/final.json`,
  /** The last time a read found the job stalled and sent its event again: how many readers send it once. */
  kick: (id: string) => `jobs/${id}/kick.json`,
  /** One small file per job, named so that the newest sorts first. */
  indexPrefix: 'index/',
  index: (createdAtMs: number, id: string) =>
    `index/${String(9_999_999_999_999 - createdAtMs).padStart(
      13,
      '0'
    )}-${id}.json`,
  /** The Idempotency-Key claims of keys whose hash starts with the same hex digit. */
  idempotencyShard: (keyHash: string) =>
    `idempotency/shard-${keyHash.slice(0, 1)}.json`,
}
