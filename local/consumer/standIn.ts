/**
 * A stand-in for another IO app, for end-to-end tests: calls this app
 * through `MassiveScoreUpdate` (the AppClient subclass the public docs
 * give) exactly as it would on IO, `VTEX_IO` set, so `@vtex/api` sends the
 * request to http://app.io.vtex.com with `Authorization: Bearer <its token>`,
 * here through HTTP_PROXY to the local front. Prints one JSON line.
 *
 * Env: CONSUMER_TOKEN (the stand-in app's token), VTEX_ACCOUNT,
 * VTEX_WORKSPACE, CONSUMER_CALL (`products`, `categories`, `job`),
 * CONSUMER_ITEMS (JSON).
 */
import type { IOContext } from '@vtex/api'

async function main() {
  // Loaded after the environment is set: AppClient reads VTEX_IO when it loads.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { MassiveScoreUpdate } = require('./massiveScoreUpdate')
  const context = {
    account: process.env.VTEX_ACCOUNT ?? 'local',
    workspace: process.env.VTEX_WORKSPACE ?? 'master',
    authToken: process.env.CONSUMER_TOKEN ?? '',
    region: 'aws-us-east-1',
    production: false,
    userAgent: 'acme.score-consumer@1.0.0',
    operationId: 'stand-in',
    requestId: 'stand-in',
    tracer: { isTraceSampled: false },
    logger: { info() {}, warn() {}, error() {}, debug() {} },
  } as unknown as IOContext
  const client = new MassiveScoreUpdate(context)
  const items = JSON.parse(process.env.CONSUMER_ITEMS ?? '[]')

  try {
    let body: unknown

    switch (process.env.CONSUMER_CALL) {
      case 'categories':
        body = await client.updateCategoryScores(items)
        break

      case 'job': {
        const { jobId } = await client.startProductJob(items)
        let summary = await client.jobSummary(jobId)

        for (
          let i = 0;
          i < 100 && !/done|failed|cancelled/.test(summary.status);
          i++
        ) {
          await new Promise((resolve) => setTimeout(resolve, 200))
          summary = await client.jobSummary(jobId)
        }

        body = summary
        break
      }

      default:
        body = await client.updateProductScores(items)
    }

    process.stdout.write(`${JSON.stringify({ ok: true, body })}\n`)
  } catch (error) {
    const response = (
      error as { response?: { status?: number; data?: unknown } }
    ).response

    process.stdout.write(
      `${JSON.stringify({
        ok: false,
        status: response?.status ?? 0,
        body: response?.data,
        error: (error as Error).message,
      })}\n`
    )
  }
}

void main()
