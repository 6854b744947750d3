/**
 * What a user would do without this app, driving the Catalog directly:
 * a sequential loop (a Postman runner or a shell script), and everything
 * at once with Promise.all, as the app we replace does.
 */
export interface ScoreJob {
  id: number
  score: number
}

export interface BaselineResult {
  succeeded: number
  failed: number
  rounds: number
}

export interface CatalogTarget {
  baseUrl: string
  /** 'product' or 'category' */
  kind: string
  headers: Record<string, string>
}

type Step = 'ok' | 'rate-limited' | 'failed'

interface StepResult {
  step: Step
  waitSec?: number
}

async function updateOne(
  target: CatalogTarget,
  job: ScoreJob
): Promise<StepResult> {
  const url = `${target.baseUrl}/api/catalog/pvt/${target.kind}/${job.id}`
  const limited = (response: Response): StepResult => ({
    step: 'rate-limited',
    waitSec:
      Number(
        response.headers.get('ratelimit-reset') ??
          response.headers.get('retry-after') ??
          1
      ) || 1,
  })

  try {
    const read = await fetch(url, { headers: target.headers })

    if (read.status === 429) {
      await read.arrayBuffer()

      return limited(read)
    }

    if (!read.ok) {
      await read.arrayBuffer()

      return { step: 'failed' }
    }

    const object = (await read.json()) as Record<string, unknown>
    const write = await fetch(url, {
      method: 'PUT',
      headers: { ...target.headers, 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...object, Score: job.score }),
    })

    await write.arrayBuffer()
    if (write.status === 429) return limited(write)

    return { step: write.ok ? 'ok' : 'failed' }
  } catch {
    return { step: 'failed' }
  }
}

/** One GET then one PUT per item, one item at a time; a 429 is a failure, as in a Postman runner. */
export async function runSequential(
  target: CatalogTarget,
  jobs: ScoreJob[]
): Promise<BaselineResult> {
  let succeeded = 0

  for (const job of jobs) {
    if ((await updateOne(target, job)).step === 'ok') succeeded += 1
  }

  return { succeeded, failed: jobs.length - succeeded, rounds: 1 }
}

/**
 * Every item at once; after each round, sleep for the largest Ratelimit-Reset
 * seen and retry the rate-limited items (bounded to `maxRounds`).
 */
export async function runUnbounded(
  target: CatalogTarget,
  jobs: ScoreJob[],
  maxRounds = 30
): Promise<BaselineResult> {
  let pending = jobs
  let succeeded = 0
  let failed = 0
  let rounds = 0

  while (pending.length > 0 && rounds < maxRounds) {
    rounds += 1
    const results = await Promise.all(
      pending.map((job) => updateOne(target, job))
    )
    const retry: ScoreJob[] = []
    let waitSec = 0

    results.forEach((result, i) => {
      if (result.step === 'ok') succeeded += 1
      else if (result.step === 'failed') failed += 1
      else {
        retry.push(pending[i])
        waitSec = Math.max(waitSec, result.waitSec ?? 1)
      }
    })
    pending = retry
    if (pending.length > 0)
      await new Promise((resolve) => setTimeout(resolve, waitSec * 1000))
  }

  return { succeeded, failed: failed + pending.length, rounds }
}
