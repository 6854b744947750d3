#!/usr/bin/env node
// Renders dev-docs/RELIABILITY.md from the figures the reliability tests record in build/reliability/.
const fs = require('fs')
const os = require('os')
const path = require('path')

const root = path.resolve(__dirname, '..')
const dir = path.join(root, 'build/reliability')
const read = (name) => {
  const file = path.join(dir, `${name}.json`)

  if (!fs.existsSync(file))
    throw new Error(`missing ${file}: run the reliability tests first`)

  const recorded = JSON.parse(fs.readFileSync(file, 'utf8'))

  // { settings, rows } since the settings are recorded; a bare array before.
  return Array.isArray(recorded) ? { settings: {}, rows: recorded } : recorded
}

const table = (header, rows) =>
  [header, header.map(() => '---'), ...rows]
    .map((cells) => `| ${cells.join(' | ')} |`)
    .join('\n')

const faultRun = read('faults')
const faults = faultRun.rows
const input = read('input').rows
const security = read('security').rows
const properties = read('properties').rows
const lost = faults.reduce((sum, row) => sum + row.lost, 0)

// The service's settings, as the fault tests passed them (SERVICE_ENV in faults.e2e.test.ts).
const env = faultRun.settings.serviceEnv
if (!env) throw new Error('build/reliability/faults.json records no serviceEnv')
const serviceSettings = Object.entries(env)
  .map(([name, value]) => `\`${name}=${value}\``)
  .join(', ')
const hitsOf = (row) =>
  Object.entries(row.faultHits ?? {})
    .map(([rule, hits]) => `${rule}: ${hits}`)
    .join(', ') || 'none configured'

const markdown = `# Reliability

Every scenario below ran through real HTTP: the local front, the real \`@vtex/api\` runtime in its own process, and the Catalog emulator with its fault rules. After each fault scenario the tests check, against the emulator's final state: every input item appears exactly once in the answer; each succeeded item's stored \`Score\` equals the requested score; each failed item's stored object is unchanged; every non-Score field of every object is identical to before (byte for byte, as JSON); no request reached the Catalog inside a 429 window; in-flight requests never exceeded \`concurrency\`.

Generated on ${new Date()
  .toISOString()
  .slice(
    0,
    10
  )} by \`npm run reliability\` (the tests, then \`scripts/reliability-report.js\`), on ${
  os.cpus().length
} x ${os.cpus()[0].model}, Node ${
  process.version
}. Service settings in the fault scenarios: ${serviceSettings}. Every fault scenario also checks that each of its rules fired (the emulator's per-rule hit counts, below).

## Faults (${faults.length} scenarios, ${lost} items lost)

${table(
  [
    'scenario',
    'items sent',
    'succeeded',
    'failed',
    'lost',
    'upstream calls',
    'fault hits per rule',
    'how the batch ended',
  ],
  faults.map((r) => [
    r.scenario,
    r.sent,
    r.succeeded,
    r.failed,
    r.lost,
    r.upstreamCalls,
    hitsOf(r),
    r.ended,
  ])
)}

## Bad input (${input.length} cases)

${table(
  ['case', 'status', 'code', 'upstream calls'],
  input.map((r) => [r.scenario, r.status, r.code, r.upstreamCalls])
)}

## Security (${security.length} cases)

${table(
  ['case', 'status', 'upstream calls'],
  security.map((r) => [r.scenario, r.status, r.upstreamCalls])
)}

The service's stdout and stderr, and every answer above, were searched for the credentials used (valid and invalid): none appeared.

## Property-based tests (fast-check)

${table(
  ['property', 'cases run'],
  properties.map((r) => [r.property, r.cases])
)}

Total: ${properties.reduce(
  (sum, r) => sum + r.cases,
  0
)} generated cases, plus 25 random invalid batches sent through the real service (none wrote anything).
`

fs.writeFileSync(path.join(root, 'dev-docs/RELIABILITY.md'), markdown)
process.stdout.write(
  `wrote dev-docs/RELIABILITY.md (${faults.length} fault scenarios, ${lost} items lost)\n`
)
if (lost > 0) process.exitCode = 1
