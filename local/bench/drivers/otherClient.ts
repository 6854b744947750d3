import { CREDENTIAL } from './items'

/**
 * A well-behaved other client of the same bucket: GETs at a steady rate,
 * quiet while told to wait. Returns its stop.
 */
export function otherClient(catalogUrl: string, perSec: number) {
  let stopped = false
  let waitUntil = 0
  const timer = setInterval(() => {
    if (stopped || Date.now() < waitUntil) return
    void fetch(`${catalogUrl}/api/catalog/pvt/product/1`, {
      headers: CREDENTIAL,
    }).then(
      async (answer) => {
        await answer.arrayBuffer()
        if (answer.status === 429) {
          const seconds = Number(answer.headers.get('retry-after') ?? 1)

          waitUntil =
            Date.now() + 1000 * (Number.isFinite(seconds) ? seconds : 1)
        }
      },
      () => undefined
    )
  }, 1000 / perSec)

  return () => {
    stopped = true
    clearInterval(timer)
  }
}
