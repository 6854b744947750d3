/**
 * Preloaded into the service's process by `npm run measure:memory`
 * (`NODE_OPTIONS=--require build/local/memory/probe.js`): samples the heap
 * every 50 ms, observes every GC pause, and writes what it saw so far to
 * MEMORY_PROBE_FILE as one JSON object, twice a second and at exit. Only
 * local tooling loads it; the app never does.
 */
import fs from 'fs'
import { constants, PerformanceObserver } from 'perf_hooks'
import v8 from 'v8'

export interface ProbeReading {
  /** V8's heap limit for this process (old space plus young generation), MB. */
  heapLimitMb: number
  /** Highest `heapUsed` sampled, MB. */
  peakHeapUsedMb: number
  /** Highest `heapTotal` sampled (what V8 had reserved for the heap), MB. */
  peakHeapTotalMb: number
  /** Highest `external` sampled (buffers and other memory V8 objects hold outside the heap), MB. */
  peakExternalMb: number
  /** Highest `heapUsed` read just after a major GC: the largest live heap seen, MB. */
  peakLiveMb: number
  gcCount: number
  majorGcCount: number
  /** Sum of every GC pause, ms. */
  gcPauseMs: number
  /** Longest single GC pause, ms. */
  maxGcPauseMs: number
}

const file = process.env.MEMORY_PROBE_FILE
const MB = 2 ** 20

if (file) {
  const reading: ProbeReading = {
    heapLimitMb: v8.getHeapStatistics().heap_size_limit / MB,
    peakHeapUsedMb: 0,
    peakHeapTotalMb: 0,
    peakExternalMb: 0,
    peakLiveMb: 0,
    gcCount: 0,
    majorGcCount: 0,
    gcPauseMs: 0,
    maxGcPauseMs: 0,
  }

  const sample = () => {
    const { heapUsed, heapTotal, external } = process.memoryUsage()

    reading.peakHeapUsedMb = Math.max(reading.peakHeapUsedMb, heapUsed / MB)
    reading.peakHeapTotalMb = Math.max(reading.peakHeapTotalMb, heapTotal / MB)
    reading.peakExternalMb = Math.max(reading.peakExternalMb, external / MB)
  }

  const write = () => {
    try {
      fs.writeFileSync(file, JSON.stringify(reading))
    } catch {
      // The measurement's directory is gone: nothing left to report to.
    }
  }

  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail
        ?.kind

      reading.gcCount += 1
      reading.gcPauseMs += entry.duration
      reading.maxGcPauseMs = Math.max(reading.maxGcPauseMs, entry.duration)
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        reading.majorGcCount += 1
        reading.peakLiveMb = Math.max(
          reading.peakLiveMb,
          process.memoryUsage().heapUsed / MB
        )
      }
    }
  }).observe({ entryTypes: ['gc'] })

  setInterval(sample, 50).unref()
  setInterval(write, 500).unref()
  process.on('exit', () => {
    sample()
    write()
  })
}
