/**
 * service.json's `memory` is a measurement, not a guess: dev-docs/MEMORY.md
 * holds the table `npm run measure:memory` printed, and the declared memory
 * must hold the peak RSS measured under the heap Node gives V8 in a replica
 * of that memory, plus the headroom the page states. And no code changes V8
 * flags once the process runs (Node documents that as unpredictable).
 */
import fs from 'fs'
import path from 'path'

import service from '../../service.json'

const ROOT = path.resolve(__dirname, '../../..')
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8')
const page = read('dev-docs/MEMORY.md')

/** VTEX's documented bounds of `memory` (MB): default 128, maximum 1024. */
const MAX_MEMORY_MB = 1024

/**
 * The old space Node 20 lets V8 have in a container of `mb` MB: V8 takes a
 * quarter of the memory times 2 (64-bit, no pointer compression), and at
 * least 256 MB (`Heap::HeapSizeFromPhysicalMemory`, `V8HeapTrait::kMinSize`).
 */
const oldSpaceInContainer = (mb: number) => Math.max(mb / 2, 256)

interface MeasuredRow {
  heap: string
  outcome: string
  peakRssMb: number
}

/** The rows of the measured table, between its markers on the page. */
function measuredRows(text: string): MeasuredRow[] {
  const table = /<!-- measured -->([\s\S]*?)<!-- \/measured -->/.exec(text)

  if (!table) throw new Error('dev-docs/MEMORY.md has no measured table')
  const [header, , ...rows] = table[1]
    .trim()
    .split('\n')
    .map((line) =>
      line
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((cell) => cell.trim())
    )
  const column = (name: string) => {
    const at = header.indexOf(name)

    if (at < 0) throw new Error(`the measured table has no '${name}' column`)

    return at
  }
  const heap = column('heap')
  const outcome = column('outcome')
  const peak = column('peak RSS MB, with report reads')

  return rows.map((cells) => ({
    heap: cells[heap],
    outcome: cells[outcome],
    peakRssMb: Number(cells[peak]),
  }))
}

function stated(name: string): number {
  const match = new RegExp(`${name}: (\\d+)\\s?%`).exec(page)

  if (!match) throw new Error(`dev-docs/MEMORY.md states no ${name}`)

  return Number(match[1]) / 100
}

describe('memory', () => {
  const rows = measuredRows(page)

  it('declares a memory VTEX IO allows', () => {
    expect(Number.isInteger(service.memory)).toBe(true)
    expect(service.memory).toBeGreaterThan(0)
    expect(service.memory).toBeLessThanOrEqual(MAX_MEMORY_MB)
  })

  it('holds the peak measured under the heap a replica of that memory gets, plus the headroom', () => {
    const modelled = `--max-old-space-size=${oldSpaceInContainer(
      service.memory
    )}`
    const row = rows.find((r) => r.heap === modelled)

    // Another memory means another heap: measure it before declaring it.
    expect(row).toBeDefined()
    expect(row?.outcome).toBe('ok')
    expect(service.memory).toBeGreaterThanOrEqual(
      (row as MeasuredRow).peakRssMb * (1 + stated('Headroom'))
    )
  })

  it('holds every measured run that did not exhaust its heap, plus the headroom', () => {
    const ok = rows.filter((r) => r.outcome === 'ok')

    expect(ok.length).toBeGreaterThan(0)
    for (const row of ok)
      expect(service.memory).toBeGreaterThanOrEqual(
        row.peakRssMb * (1 + stated('Headroom'))
      )
  })

  it('changes no V8 flag at run time', () => {
    const sources = (dir: string): string[] =>
      fs
        .readdirSync(path.join(ROOT, dir), { withFileTypes: true })
        .flatMap((entry) =>
          entry.isDirectory()
            ? entry.name === '__tests__' || entry.name === 'node_modules'
              ? []
              : sources(path.join(dir, entry.name))
            : entry.name.endsWith('.ts')
            ? [path.join(dir, entry.name)]
            : []
        )
    const callers = [...sources('node'), ...sources('local')].filter((file) =>
      /setFlagsFromString/.test(read(file))
    )

    expect(callers).toEqual([])
  })
})
