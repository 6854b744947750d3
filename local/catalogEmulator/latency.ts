export interface LatencyProfile {
  meanMs: number
  jitterMs: number
}

/** How long the Catalog takes to answer one call: uniform in mean ± jitter. */
export function latencyMs(
  profile: LatencyProfile | null | undefined,
  random: () => number
) {
  if (!profile) return 0
  const { meanMs, jitterMs } = profile

  return Math.max(0, meanMs + (random() * 2 - 1) * jitterMs)
}
