/** The figures of a run: build/bench-results.json, its checkpoint, and merging an `--only` run into the last one. */
import fs from 'fs'
import os from 'os'
import path from 'path'

import { PEERS } from './drivers/peers'
import { isApp, Row } from './measure'
import type { SeriesPoint } from './meter'
import { FULL_PROFILES, JOB_PROFILE } from './profiles'

export const ROOT = path.resolve(__dirname, '../../..')
export const RESULTS_FILE = path.join(ROOT, 'build/bench-results.json')

export interface Results {
  machine: string
  rows: Row[]
  series: Record<string, SeriesPoint[]>
  seconds: number
}

export function machine() {
  const cpus = os.cpus()

  return `${cpus.length} x ${cpus[0]?.model ?? 'unknown CPU'}, ${(
    os.totalmem() /
    2 ** 30
  ).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`
}

export const readResults = (file = RESULTS_FILE): Results =>
  JSON.parse(fs.readFileSync(file, 'utf8'))

export function writeResults(results: Results, file = RESULTS_FILE) {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, JSON.stringify(results))
}

/** Written after every profile, so that a run cut short still leaves its figures. */
export const writeCheckpoint = (results: Results) =>
  writeResults(results, `${RESULTS_FILE}.partial`)

const profileOrder = (name: string) => {
  const at = [...FULL_PROFILES, JOB_PROFILE].findIndex((p) => p.name === name)

  return at < 0 ? Number.MAX_SAFE_INTEGER : at
}

/** This app first, then the peers in their order. */
const driverOrder = (row: Row) =>
  isApp(row) ? -1 : PEERS.findIndex((p) => p.name === row.driver)

/** `--only=...` re-measures some profiles and keeps the last run's other rows. */
export function mergeResults(last: Results, fresh: Results): Results {
  const redone = new Set(fresh.rows.map((r) => r.profile))

  return {
    ...last,
    rows: [
      ...last.rows.filter((r) => !redone.has(r.profile)),
      ...fresh.rows,
    ].sort(
      (a, b) =>
        profileOrder(a.profile) - profileOrder(b.profile) ||
        a.ceiling - b.ceiling ||
        a.items - b.items ||
        driverOrder(a) - driverOrder(b)
    ),
    series: { ...last.series, ...fresh.series },
    seconds: last.seconds + fresh.seconds,
  }
}

/**
 * What fails a run: this app losing an item, leaving one unaccounted for,
 * or failing one. The peers fail items by design.
 */
export function problems(rows: Row[]) {
  const app = rows.filter(isApp)

  return {
    lost: app.reduce((sum, r) => sum + r.lost, 0),
    unaccounted: app.filter((r) => r.succeeded + r.failed !== r.items).length,
    failed: app.filter((r) => r.failed > 0).length,
  }
}
