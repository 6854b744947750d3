import type { Api, JobSummary } from './api'
import { FINISHED } from './api'

/** Polls a job every `pollMs` until it ends; returns its last summary. */
export async function watchJob(
  api: Api,
  pollMs: number,
  jobId: string,
  onSummary: (summary: JobSummary) => void
): Promise<JobSummary> {
  for (;;) {
    const summary = await api.job(jobId)

    onSummary(summary)
    if (FINISHED.includes(summary.status)) return summary
    await new Promise((resolve) => setTimeout(resolve, pollMs))
  }
}
