import v8 from 'v8'

/** From about this limit up, V8 lets old space grow to 4x what survived the last full GC. */
const LARGE_HEAP_LIMIT = 1024 * 2 ** 20

/** How much old space may grow past what survived the last full GC before the next one. */
export const HEAP_GROWING_PERCENT = 50

/**
 * V8 sizes its heap from the host's memory unless the process has a cgroup
 * memory limit or `--max-old-space-size`. On a host of many GB it lets old
 * space grow to four times what survived the last full GC: a 100,000-item
 * job, whose live heap is about 40 MB (mostly the modules' code), peaked
 * over the 256 MB of service.json, all of it garbage. On such a heap this
 * bounds the growth to half of what survived; a small heap (capped, or
 * sized to a container) is left to V8, which grows it by less on its own.
 * Returns whether it set the bound.
 */
export function boundHeapGrowth(
  heapLimit: number = v8.getHeapStatistics().heap_size_limit,
  setFlags: (flags: string) => void = v8.setFlagsFromString
): boolean {
  if (heapLimit < LARGE_HEAP_LIMIT) return false
  setFlags(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)

  return true
}
