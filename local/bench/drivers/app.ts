/** This app: the service's product route, synchronous or as an async job. */
import type { SpawnedService } from '../../spawnService'
import { CREDENTIAL, emptyEnvelope, Envelope, Item } from './items'

const PRODUCT_PATH = '/_v/massive/product/score/update'
const JSON_HEADERS = { 'Content-Type': 'application/json', ...CREDENTIAL }

export async function syncBatch(service: SpawnedService, items: Item[]) {
  const answer = await fetch(`${service.url}${PRODUCT_PATH}`, {
    method: 'PUT',
    headers: JSON_HEADERS,
    body: JSON.stringify(items),
  })

  return (await answer.json()) as Envelope
}

/**
 * One async job, run on the events path: the summary is polled every 500 ms
 * until the job is finished, then its results are read page by page.
 */
export async function asyncJob(service: SpawnedService, items: Item[]) {
  const queued = (await (
    await fetch(`${service.url}${PRODUCT_PATH}?async=true`, {
      method: 'PUT',
      headers: JSON_HEADERS,
      body: JSON.stringify(items),
    })
  ).json()) as { statusUrl: string }

  for (;;) {
    const job = (await (
      await fetch(`${service.url}${queued.statusUrl}`, { headers: CREDENTIAL })
    ).json()) as { status: string }

    if (['done', 'failed', 'cancelled'].includes(job.status)) break
    await new Promise((resolve) => setTimeout(resolve, 500))
  }

  const envelope = emptyEnvelope()

  for (let cursor: string | undefined = '0'; cursor !== undefined; ) {
    const page = (await (
      await fetch(
        `${service.url}${queued.statusUrl}/results?cursor=${cursor}&limit=1000`,
        { headers: CREDENTIAL }
      )
    ).json()) as {
      elements: Array<{ index: number; success: string; code: string }>
      nextCursor?: string
    }

    for (const element of page.elements)
      (element.success === 'true'
        ? envelope.successfulResponses
        : envelope.failedResponses
      ).elements.push(element)
    cursor = page.nextCursor
  }

  return envelope
}
