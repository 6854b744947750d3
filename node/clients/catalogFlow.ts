import {
  FlowController,
  FlowLimits,
  FlowMemoryKeeper,
  FlowMemoryStore,
  systemClock,
} from '../bulk'
import { wholeNumberFrom } from '../envNumbers'

const controllers = new Map<string, FlowController>()

/** FLOW_MEMORY_READ_WAIT_MS (local runs): how long the first call waits for the memory; the keeper's 500 ms by default. */
const readWaitMs = () => wholeNumberFrom(process.env.FLOW_MEMORY_READ_WAIT_MS)
const keepers = new Map<string, FlowMemoryKeeper>()

/**
 * The Catalog limits each account, so every call of one account in this
 * worker (sync batches, jobs, the job-access check) goes through one flow
 * controller. It forgets what it learned when the account goes idle, so the
 * map holds one small object per account seen.
 */
export function accountFlow(account: string, limits?: FlowLimits) {
  let controller = controllers.get(account)

  if (!controller) {
    controller = new FlowController(systemClock, limits)
    controllers.set(account, controller)
  } else if (limits) {
    controller.configure(limits)
  }

  return controller
}

/**
 * The keeper of the account's flow memory in this worker: made with the
 * account's controller, it reads what an earlier replica learned once
 * (`ready`) and writes back what this one learns (warm start; see
 * dev-docs/FLOW_CONTROL.md). `store` is the latest request's.
 */
export function accountFlowMemory(
  account: string,
  flow: FlowController,
  store: () => FlowMemoryStore
) {
  let keeper = keepers.get(account)

  if (!keeper) {
    keeper = new FlowMemoryKeeper(systemClock, flow, store, {
      readWaitMs: readWaitMs(),
    })
    keepers.set(account, keeper)
  } else {
    keeper.useStore(store)
  }

  return keeper
}
