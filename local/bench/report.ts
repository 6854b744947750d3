/**
 * dev-docs/BENCHMARKS.md and its charts, from a run's figures. The page's
 * words are in report.template.md; this file computes what fills it.
 */
import fs from 'fs'
import path from 'path'

import { renderFlowChart } from './chart'
import { PEER_DEADLINE_SECONDS } from './drivers/pLimitLoop'
import { fixed, markdownTable, resultsTable } from './format'
import type { PeerName } from './drivers/peers'
import { COLD_REPLICA } from './matrix'
import { isApp, Row } from './measure'
import {
  BenchOptions,
  DEFAULT_CEILING,
  MAX_CEILING,
  SERVICE_MEMORY_MB,
} from './options'
import { FULL_PROFILES, JOB_PROFILE } from './profiles'
import { Results, ROOT } from './results'
import { renderTemplate } from './template'

const TEMPLATE = path.join(ROOT, 'local/bench/report.template.md')

const onFreshReplica = (r: Row) => r.runner.startsWith(COLD_REPLICA)
const withMemory = (r: Row) =>
  onFreshReplica(r) && !r.runner.endsWith('no memory')

function targetLines(rows: Row[]): string {
  const sync = rows.filter((r) => r.runner === 'sync' && r.items >= 1000)
  const worst = Math.min(...sync.map((r) => r.pctOfLimit))
  const worstRow = sync.find((r) => r.pctOfLimit === worst)
  const inWindow = rows.reduce((sum, r) => sum + r.inWindow, 0)
  const lost = rows.reduce((sum, r) => sum + r.lost + r.failed, 0)
  const maxRss = Math.max(...rows.map((r) => r.rssMb ?? Number.NaN))
  const slowest = Math.max(
    ...rows.filter((r) => r.runner === 'sync').map((r) => r.seconds)
  )
  const mark = (ok: boolean) => (ok ? 'met' : '**missed**')

  return markdownTable(
    ['target', 'this run', ''],
    [
      [
        '>= 90% of the profile limit, batches >= 1,000 items',
        `${fixed(worst, 0)}% (worst: ${worstRow?.profile}, ${
          worstRow?.items
        } items, ceiling ${worstRow?.ceiling})`,
        mark(worst >= 90),
      ],
      ...coldTarget(rows),
      ['Requests inside 429 windows', String(inWindow), mark(inWindow === 0)],
      [
        'Items failed or lost (breaker and 10% 503 rows included)',
        String(lost),
        mark(lost === 0),
      ],
      [
        'Slowest synchronous answer < 60 s route timeout',
        `${fixed(slowest, 1)} s`,
        mark(slowest < 60),
      ],
      [
        `Peak RSS < ${SERVICE_MEMORY_MB} MB (service.json), every row`,
        `${fixed(maxRss, 0)} MB`,
        mark(maxRss < SERVICE_MEMORY_MB),
      ],
    ]
  )
}

/** Warm start's target: a fresh replica after idle, with the account's memory minutes old. */
function coldTarget(rows: Row[]): string[][] {
  const warmed = rows.filter(withMemory)

  if (warmed.length === 0) return []
  const worst = warmed.reduce((a, b) => (b.pctOfLimit < a.pctOfLimit ? b : a))
  const inWindow = warmed.reduce((sum, r) => sum + r.inWindow, 0)

  return [
    [
      '>= 90% of the limit and 0 in 429 windows on a fresh replica after idle, its memory minutes old',
      `${fixed(worst.pctOfLimit, 0)}% (worst: ${
        worst.profile
      }), ${inWindow} in 429 windows`,
      worst.pctOfLimit >= 90 && inWindow === 0 ? 'met' : '**missed**',
    ],
  ]
}

/**
 * Per profile with fresh-replica rows: the first replica's cold and warm
 * batches, then the fresh replica's, with memory and without.
 */
function coldReplicasTable(rows: Row[]): string {
  const profiles = [
    ...new Set(rows.filter(onFreshReplica).map((r) => r.profile)),
  ]
  const batch = (r: Row) =>
    onFreshReplica(r)
      ? r.runner.slice('sync, '.length)
      : r === rows.find((f) => f.profile === r.profile && f.runner === 'sync')
      ? 'first replica, first batch (cold)'
      : 'first replica, next batch (warm)'
  // The first replica's batches, then the fresh replica's: with memory, without.
  const rank = (r: Row) => (onFreshReplica(r) ? (withMemory(r) ? 1 : 2) : 0)
  const lines = profiles.flatMap((profile) =>
    rows
      .filter(
        (r) =>
          r.profile === profile &&
          r.ceiling === DEFAULT_CEILING &&
          (r.runner === 'sync' || onFreshReplica(r))
      )
      .sort((a, b) => rank(a) - rank(b) || a.items - b.items)
  )

  if (lines.length === 0) return ''

  return markdownTable(
    [
      'profile',
      'batch',
      'items',
      'wall s',
      '% of limit',
      '429s',
      'in 429 window',
    ],
    lines.map((r) => [
      r.profile,
      batch(r),
      String(r.items),
      fixed(r.seconds, 1),
      `${fixed(r.pctOfLimit, 0)}%`,
      String(r.rateLimited),
      String(r.inWindow),
    ])
  )
}

/**
 * Per profile, this app's cold batch beside the peers' batches of the same
 * size: empty when the run had no peers.
 */
function peersTable(rows: Row[]): string {
  const peers = rows.filter((r) => !isApp(r))

  if (peers.length === 0) return ''
  const lines = peers.flatMap((peer, i) => {
    const first = i === 0 || peers[i - 1].profile !== peer.profile
    const app = rows.find(
      (r) =>
        isApp(r) &&
        r.runner === 'sync' &&
        r.profile === peer.profile &&
        r.ceiling === peer.ceiling &&
        r.items === peer.items
    )

    return first && app ? [{ ...app, runner: 'this app' }, peer] : [peer]
  })

  return markdownTable(
    [
      'profile',
      'driver',
      'items',
      'wall s',
      '% of limit',
      'ok / failed',
      '429s',
      'in 429 window',
    ],
    lines.map((r) => [
      r.profile,
      r.runner,
      String(r.items),
      fixed(r.seconds, 1),
      `${fixed(r.pctOfLimit, 0)}%`,
      `${r.succeeded} / ${r.failed}`,
      String(r.rateLimited),
      String(r.inWindow),
    ])
  )
}

/** The profile whose figures open the peers' section. */
const HEADLINE_PROFILE = 'bucket-no-headers'

/** The headline's figures: each driver's row on HEADLINE_PROFILE, 'n/a' where the run has none. */
function headline(rows: Row[]): Record<string, string> {
  const of = (driver?: PeerName) => {
    const peer = rows.find(
      (r) => r.profile === HEADLINE_PROFILE && r.driver !== undefined
    )

    return rows.find(
      (r) =>
        r.profile === HEADLINE_PROFILE &&
        r.driver === driver &&
        r.ceiling === DEFAULT_CEILING &&
        r.items === peer?.items &&
        (driver !== undefined || r.runner === 'sync')
    )
  }

  const pct = (row?: Row) => (row ? `${fixed(row.pctOfLimit, 0)}%` : 'n/a')
  const count = (row: Row | undefined, pick: (r: Row) => number) =>
    row ? pick(row).toLocaleString('en-US') : 'n/a'
  const app = of()
  const p10 = of('p-limit-10')
  const p64 = of('p-limit-64')
  const unbounded = of('unbounded')

  return {
    headlineProfile: HEADLINE_PROFILE,
    appPct: pct(app),
    appInWindow: count(app, (r) => r.inWindow),
    p10Pct: pct(p10),
    p64Pct: pct(p64),
    p64RateLimited: count(p64, (r) => r.rateLimited),
    p64InWindow: count(p64, (r) => r.inWindow),
    unboundedPct: pct(unbounded),
    unboundedFailed: count(unbounded, (r) => r.failed),
  }
}

/** Writes each profile's chart beside the page; answers the charts' markdown. */
async function writeCharts(results: Results): Promise<string> {
  const charts: string[] = []

  for (const profile of FULL_PROFILES) {
    const points = results.series[profile.name]

    if (!points?.length) continue
    const file = `bench-flow-${profile.name}.svg`
    // The Catalog's limit in requests/s (two calls per item), where the Catalog sets one.
    const catalogSetsLimit =
      profile.rateLimit || profile.catalog?.buckets || profile.catalog?.load
    const limit = catalogSetsLimit ? 2 * profile.limit(DEFAULT_CEILING) : null

    fs.writeFileSync(
      path.join(ROOT, 'dev-docs', file),
      await renderFlowChart(
        `${profile.name}: ${profile.description}`,
        points,
        limit
      )
    )
    charts.push(`### ${profile.name}\n\n![${profile.name}](${file})`)
  }

  return charts.join('\n\n')
}

export async function writeReport(results: Results, options: BenchOptions) {
  const rows = results.rows.filter(isApp)
  const profiles = [...FULL_PROFILES, JOB_PROFILE]
    .map(
      (p) =>
        `- **${p.name}**: ${p.description}; limit ${fixed(
          p.limit(DEFAULT_CEILING),
          0
        )} items/s at the default ceiling`
    )
    .join('\n')
  const markdown = renderTemplate(fs.readFileSync(TEMPLATE, 'utf8'), {
    date: new Date().toISOString().slice(0, 10),
    minutes: fixed(results.seconds / 60, 0),
    machine: results.machine,
    cores: results.machine.split(' x ')[0],
    defaultCeiling: String(DEFAULT_CEILING),
    maxCeiling: String(MAX_CEILING),
    warmupItems: String(options.warmupItems),
    warmupIdleSeconds: String(options.warmupIdleMs / 1000),
    peerItems: options.peerItems.toLocaleString('en-US'),
    peerGapSeconds: String(options.peerGapMs / 1000),
    peerDeadlineSeconds: String(PEER_DEADLINE_SECONDS),
    profiles,
    peers: peersTable(results.rows),
    coldReplicas: coldReplicasTable(rows),
    coldReplicaItems: options.coldReplicas.items.toLocaleString('en-US'),
    memoryAgeMinutes: String(options.coldReplicas.memoryAgeMs / 60_000),
    ...headline(results.rows),
    results: resultsTable(rows),
    targets: targetLines(rows),
    charts: await writeCharts(results),
  })

  fs.writeFileSync(path.join(ROOT, 'dev-docs/BENCHMARKS.md'), markdown)
  process.stdout.write('wrote dev-docs/BENCHMARKS.md\n')
}
