import type { InstanceOptions, IOContext } from '@vtex/api'
import { VBase } from '@vtex/api'

import { FlowMemory, FlowMemoryStore, parseFlowMemory } from '../bulk'

export const FLOW_MEMORY_BUCKET = 'flow-memory'
/** VBase is kept per account and workspace: one file holds the account's memory. */
const CATALOG_FILE = 'catalog.json'

/**
 * What the Catalog flow controller learned for this account (rates and
 * limits, no credentials, nothing of the store's data), in the app's VBase
 * bucket `flow-memory`, with the app's token, as the job store does. A
 * missing or unreadable file reads as none.
 */
export class FlowMemoryClient extends VBase implements FlowMemoryStore {
  constructor(context: IOContext, options?: InstanceOptions) {
    super(context, { ...options, memoizable: false })
  }

  public async read(): Promise<FlowMemory | undefined> {
    return parseFlowMemory(
      await this.getJSON<unknown>(FLOW_MEMORY_BUCKET, CATALOG_FILE, true)
    )
  }

  public async write(memory: FlowMemory) {
    const { ratePerSec, probing, inFlight, measuredAt } = memory

    await this.saveJSON(FLOW_MEMORY_BUCKET, CATALOG_FILE, {
      ratePerSec,
      probing,
      inFlight,
      measuredAt,
    })
  }
}
