/** One measured batch: the emulator set to a profile, one driver's run, its row and time series. */
import { performance } from 'perf_hooks'

import type { SpawnedEmulator } from '../catalogEmulator/spawn'
import type { SpawnedService } from '../spawnService'
import type { Envelope } from './drivers/items'
import { otherClient } from './drivers/otherClient'
import type { PeerName } from './drivers/peers'
import { latencyPercentile, Meter, SeriesPoint, timeSeries } from './meter'
import { cpuSeconds, peakRssMb, resetPeakRss } from './procStats'
import type { Profile } from './profiles'

export interface Row {
  profile: string
  ceiling: number
  runner: string
  /** The peer that ran the batch; absent for this app. */
  driver?: PeerName
  items: number
  seconds: number
  itemsPerSec: number
  limit: number
  pctOfLimit: number
  succeeded: number
  failed: number
  /** How many failed items each failure code has, when some failed. */
  failedCodes?: Record<string, number>
  lost: number
  callsPerItem: number
  rateLimited: number
  inWindow: number
  p50Ms: number
  p99Ms: number
  peakInFlight: number
  rssMb?: number
  cpuMsPerItem?: number
  /** CPU used over the batch, in % of one core: tells a machine-bound row from a controller-bound one. */
  cpuPct?: { service: number; emulator: number; bench: number }
}

/** A row of this app's, not of a peer. */
export const isApp = (row: Row) => row.driver === undefined

export interface Measured {
  row: Row
  series: SeriesPoint[]
}

export interface Setup {
  emulator: SpawnedEmulator
  service: SpawnedService
  meter: Meter
}

export async function measure(
  profile: Profile,
  ceiling: number,
  runner: string,
  items: unknown[],
  setup: Setup,
  run: () => Promise<Envelope>,
  driver?: PeerName
): Promise<Measured> {
  const { emulator, service, meter } = setup

  await emulator.configure({
    rateLimit: profile.rateLimit,
    faults: profile.faults ?? null,
    profile: profile.catalog ?? null,
  })
  meter.setHeaderMode(profile.headers)
  await emulator.resetStats()
  meter.reset()
  const stopOther = profile.otherClientPerSec
    ? otherClient(emulator.url, profile.otherClientPerSec)
    : () => undefined

  // A peer does not use the service: its memory and CPU are not the batch's.
  const rssReset = !driver && resetPeakRss(service.pid)
  const cpuBefore = cpuSeconds(service.pid)
  const emulatorCpuBefore = cpuSeconds(emulator.pid)
  // The meter, the load driver and the other client all run in this process.
  const benchCpuBefore = process.cpuUsage()
  const started = performance.now()
  const envelope = await run().finally(stopOther)
  const seconds = (performance.now() - started) / 1000
  const cpu = cpuSeconds(service.pid) - cpuBefore
  const emulatorCpu = cpuSeconds(emulator.pid) - emulatorCpuBefore
  const benchUsage = process.cpuUsage(benchCpuBefore)
  const benchCpu = (benchUsage.user + benchUsage.system) / 1e6
  const pctOfCore = (used: number) => (100 * used) / seconds
  const stats = await emulator.stats()
  const calls = meter.calls
  const succeeded = envelope.successfulResponses.elements.length
  const failed = envelope.failedResponses.elements.length
  const failedCodes: Record<string, number> = {}

  for (const { code } of envelope.failedResponses.elements)
    failedCodes[code] = (failedCodes[code] ?? 0) + 1
  const answered = new Set(
    [
      ...envelope.successfulResponses.elements,
      ...envelope.failedResponses.elements,
    ].map((e) => e.index)
  )
  const limit = profile.limit(ceiling)
  const usable = Math.max(0.001, seconds - (profile.deadSeconds ?? 0))
  const itemsPerSec = succeeded / seconds

  return {
    row: {
      profile: profile.name,
      ceiling,
      runner,
      ...(driver ? { driver } : {}),
      items: items.length,
      seconds,
      itemsPerSec,
      limit,
      // A breaker phase's seconds are left out: no client can use them.
      pctOfLimit: (100 * (succeeded / usable)) / limit,
      succeeded,
      failed,
      ...(failed > 0 ? { failedCodes } : {}),
      lost: items.length - answered.size,
      callsPerItem: calls.length / items.length,
      rateLimited: calls.filter((c) => c.status === 429).length,
      inWindow: stats.requestsInPenaltyWindow,
      p50Ms: latencyPercentile(calls, 50),
      p99Ms: latencyPercentile(calls, 99),
      peakInFlight: stats.peakInFlight,
      rssMb: rssReset ? peakRssMb(service.pid) : undefined,
      cpuMsPerItem: driver ? undefined : (cpu * 1000) / items.length,
      cpuPct: {
        service: pctOfCore(cpu),
        emulator: pctOfCore(emulatorCpu),
        bench: pctOfCore(benchCpu),
      },
    },
    series: timeSeries(calls),
  }
}
