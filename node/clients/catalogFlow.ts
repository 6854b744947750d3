import { FlowController, FlowLimits, systemClock } from '../bulk'

const controllers = new Map<string, FlowController>()

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
