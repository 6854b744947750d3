import type { EventContext } from '@vtex/api'

import { systemClock } from '../bulk/clock'
import type { Clients } from '../clients'
import {
  appCredentials,
  clockSkewMsFor,
  itemRetryWindowMsFor,
  jobLimits,
  leaseMsFor,
} from '../jobs/config'
import type { ChunkEvent } from '../jobs/model'
import { runChunk } from '../jobs/runChunk'
import { sliceMsFor } from '../jobs/slice'
import { resolveSettings, settingsFromEnv } from '../settings'
import { REPLICA, sendEventOf } from './replica'

/** The chunks this process runs now. */
const RUNNING_HERE = new Set<string>()

async function settingsFor(ctx: EventContext<Clients>) {
  if (process.env.SCORE_SETTINGS_FROM_ENV === 'true') return settingsFromEnv()
  try {
    return resolveSettings(
      await ctx.clients.apps.getAppSettings(process.env.VTEX_APP_ID ?? '')
    )
  } catch {
    return resolveSettings(undefined)
  }
}

/**
 * The chunk event handler: runs (or skips) one slice of a chunk, and sends
 * the next event itself. Nothing rests on IO delivering a failed event again
 * (VTEX does not document it): a job whose handler died is healed by the
 * next read of it (jobs/heal.ts).
 */
export async function runChunkEvent(ctx: EventContext<Clients>) {
  const event = ctx.body as Partial<ChunkEvent>

  if (typeof event?.jobId !== 'string' || !Number.isInteger(event.chunk)) {
    ctx.vtex.logger.warn({ message: 'Malformed score job event', key: ctx.key })

    return
  }

  const credentials = appCredentials(ctx.vtex.authToken)

  if (!credentials) throw new Error('No app credentials for the chunk event')
  const settings = await settingsFor(ctx)
  const outcome = await runChunk(
    {
      files: ctx.clients.jobFiles,
      sendEvent: sendEventOf(ctx.clients),
      catalog: ctx.clients.catalog,
      credentials,
      settings,
      clock: systemClock,
      owner: REPLICA,
      leaseMs: leaseMsFor(settings),
      clockSkewMs: clockSkewMsFor(),
      ttlSec: jobLimits().retentionSec,
      itemRetryWindowMs: itemRetryWindowMsFor(),
      sliceMs: sliceMsFor(),
      runningHere: RUNNING_HERE,
    },
    { jobId: event.jobId, chunk: event.chunk as number }
  )

  ctx.vtex.logger.info({
    message: 'Score job chunk event',
    jobId: event.jobId,
    chunk: event.chunk,
    outcome,
  })
}
