/** Legacy: uniform in mean ± jitter. */
export interface LatencyProfile {
  meanMs: number
  jitterMs: number
}

/**
 * Log-normal around `medianMs`: a realistic spread with a long right tail.
 * With medianMs 110 and sigma 0.45, about 90% of calls take 50-230 ms and
 * 1% more than 310 ms. `minMs`/`maxMs` clamp it.
 */
export interface LogNormalLatency {
  medianMs: number
  sigma: number
  minMs?: number
  maxMs?: number
}

export type LatencyModel = LatencyProfile | LogNormalLatency

/**
 * Latency that grows with load, as a server with `capacity` workers shares
 * them: with n calls in flight, each takes max(1, n / capacity) times as
 * long, so the Catalog answers at most about capacity / latency calls/s.
 */
export interface LoadProfile {
  capacity: number
}

/** A standard normal draw (Box-Muller) from a uniform source. */
function normal(random: () => number) {
  const u = Math.max(random(), Number.EPSILON)
  const v = random()

  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}

/** How long the Catalog takes to answer one call, with `inFlight` calls in flight (itself included). */
export function latencyMs(
  model: LatencyModel | null | undefined,
  random: () => number,
  load?: LoadProfile | null,
  inFlight = 1
) {
  if (!model) return 0
  let ms: number

  if ('medianMs' in model) {
    ms = model.medianMs * Math.exp(model.sigma * normal(random))
    ms = Math.min(model.maxMs ?? Infinity, Math.max(model.minMs ?? 0, ms))
  } else {
    ms = Math.max(0, model.meanMs + (random() * 2 - 1) * model.jitterMs)
  }

  return load ? ms * Math.max(1, inFlight / load.capacity) : ms
}
