/**
 * `npm run bench [-- --quick]`: the service against the Catalog emulator,
 * each in its own process, over a matrix of Catalog profiles, with its peers
 * (drivers/) on the same profiles. Every Catalog call goes through a meter
 * (a pass-through proxy) that times it and plays the header profiles.
 * Prints a table; the full run also writes dev-docs/BENCHMARKS.md and its
 * charts (report.ts, from report.template.md).
 *
 * - options.ts   the command line
 * - matrix.ts    the profiles in turn: emulator, meter, service, batches
 * - measure.ts   one batch: its row and time series
 * - drivers/     this app and its peers, the load each puts on the Catalog
 * - results.ts   build/bench-results.json and merging an `--only` run
 * - report.ts    the page, from report.template.md
 */
import fs from 'fs'
import { performance } from 'perf_hooks'

import { resultsTable } from './format'
import { runMatrix } from './matrix'
import { isApp } from './measure'
import { parseOptions } from './options'
import { writeReport } from './report'
import {
  machine,
  mergeResults,
  problems,
  readResults,
  RESULTS_FILE,
  Results,
  writeCheckpoint,
  writeResults,
} from './results'

async function main() {
  const options = parseOptions(process.argv)

  // `--from-results` renders the report again from the last run's figures.
  if (options.fromResults) {
    await writeReport(readResults(), options)

    return
  }

  const started = performance.now()
  const elapsed = () => (performance.now() - started) / 1000
  const { rows, series } = await runMatrix(options, (partial) =>
    writeCheckpoint({ machine: machine(), ...partial, seconds: elapsed() })
  )
  let results: Results = {
    machine: machine(),
    rows,
    series,
    seconds: elapsed(),
  }

  if (options.only && !options.quick && fs.existsSync(RESULTS_FILE)) {
    results = mergeResults(readResults(), results)
  }

  process.stdout.write(`\n${resultsTable(results.rows.filter(isApp))}\n`)
  writeResults(results)

  const { lost, unaccounted, failed } = problems(rows)

  if (lost > 0 || unaccounted > 0 || failed > 0) {
    process.stderr.write(
      `bench: ${lost} items lost; ${unaccounted} runs with unaccounted items; ${failed} runs with failed items\n`
    )
    process.exitCode = 1
  }

  if (options.quick) {
    process.stdout.write(
      `bench --quick: ${
        rows.filter(isApp).length
      } runs, every item accounted for: ${lost === 0 && unaccounted === 0}\n`
    )

    return
  }

  await writeReport(results, options)
}

main().catch((error) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? error.stack : String(error)}\n`
  )
  process.exit(1)
})
