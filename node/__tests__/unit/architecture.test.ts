/**
 * The rooms of node/ and which way their imports go: the engine (bulk/)
 * knows nothing of the app; the Catalog client (clients/) and the score
 * domain (scores/) know nothing of jobs, events or routes; jobs know
 * nothing of events or routes. Read from the sources, not from a bundle.
 */
import fs from 'fs'
import path from 'path'

const NODE = path.resolve(__dirname, '../..')

function sourcesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)

    if (entry.isDirectory())
      return entry.name === '__tests__' || entry.name === 'node_modules'
        ? []
        : sourcesUnder(full)

    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')
      ? [full]
      : []
  })
}

/** Relative specifiers of static imports, re-exports, dynamic imports and requires. */
const SPECIFIER =
  /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]*)['"]/gm

/** The room a path under node/ is in: its first folder (`../bulk` is bulk/index.ts), or `root` for a file at the top. */
function roomOf(target: string) {
  const [first, ...rest] = path.relative(NODE, target).split(path.sep)
  const isFolder = fs.existsSync(target) && fs.statSync(target).isDirectory()

  return rest.length === 0 && !isFolder ? 'root' : first
}

interface Import {
  from: string
  fromRoom: string
  toRoom: string
}

/** The imports `text` makes, as the source file `file` under node/. */
function importsIn(file: string, text: string): Import[] {
  return [...text.matchAll(SPECIFIER)].map((match) => ({
    from: path.relative(NODE, file),
    fromRoom: roomOf(file),
    toRoom: roomOf(path.resolve(path.dirname(file), match[1])),
  }))
}

const imports = sourcesUnder(NODE).flatMap((file) =>
  importsIn(file, fs.readFileSync(file, 'utf8'))
)

/** For each room, the rooms it may not import from. */
const FORBIDDEN: Record<string, (toRoom: string) => boolean> = {
  bulk: (toRoom) => toRoom !== 'bulk',
  clients: (toRoom) => ['jobs', 'events', 'middlewares'].includes(toRoom),
  scores: (toRoom) => ['jobs', 'events', 'middlewares'].includes(toRoom),
  jobs: (toRoom) => ['events', 'middlewares'].includes(toRoom),
}

describe('the rooms of node/', () => {
  it('reads the imports it checks (a scanner that sees none would pass anything)', () => {
    const seen = (fromRoom: string, toRoom: string) =>
      imports.some((i) => i.fromRoom === fromRoom && i.toRoom === toRoom)

    expect(seen('jobs', 'scores')).toBe(true)
    expect(seen('scores', 'bulk')).toBe(true)
    expect(seen('clients', 'bulk')).toBe(true)
    expect(seen('middlewares', 'jobs')).toBe(true)
    expect(seen('root', 'middlewares')).toBe(true)
  })

  it.each(Object.keys(FORBIDDEN).map((room) => [room]))(
    '%s/ imports nothing from the rooms above it',
    (room) => {
      const wrong = imports
        .filter((i) => i.fromRoom === room && FORBIDDEN[room](i.toRoom))
        .map((i) => `${i.from} -> ${i.toRoom}/`)

      expect(wrong).toEqual([])
    }
  )

  it('finds a forbidden import where there is one', () => {
    const probe = importsIn(
      path.join(NODE, 'clients', 'probe.ts'),
      [
        "import type { JobDefinition } from '../jobs/model'",
        "export { jobPaths } from '../jobs/files'",
        "const routes = import('../middlewares/jobs')",
        "import { CallError } from '../bulk'",
      ].join('\n')
    )

    expect(probe.filter((i) => FORBIDDEN.clients(i.toRoom))).toEqual([
      { from: 'clients/probe.ts', fromRoom: 'clients', toRoom: 'jobs' },
      { from: 'clients/probe.ts', fromRoom: 'clients', toRoom: 'jobs' },
      { from: 'clients/probe.ts', fromRoom: 'clients', toRoom: 'middlewares' },
    ])
    expect(
      importsIn(
        path.join(NODE, 'bulk', 'probe.ts'),
        "import { MAX_READ_AGE_MS } from '../scores/updateScore'"
      ).filter((i) => FORBIDDEN.bulk(i.toRoom))
    ).toHaveLength(1)
  })
})
