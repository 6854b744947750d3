// What manifest.json, node/service.json and public/metadata must keep true:
// - the app id is `${vendor}.${name}`, decided by manifest.json alone: the
//   event sender and the vendor-specific support links follow it, and
//   scripts/set-vendor.js keeps them so;
// - every policy the manifest declares is listed, with its source, in
//   node/manifestPolicies.json, and outbound access reaches the account's own
//   VTEX host only;
// - the App Store metadata has the files, keys and limits of VTEX's
//   "Preparing your app for distribution" guide.
import { execFileSync } from 'child_process'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'

import { CHUNK_EVENT_KEY } from '../../jobs/model'

const ROOT = path.resolve(__dirname, '..', '..', '..')
const LOCALES = ['en-US', 'es-AR', 'pt-BR']
// The only host a credential may be sent to (the manifest's outbound access).
const ACCOUNT_HOST = '{{account}}.vtexcommercestable.com.br'
const DOCS_PAGE = 'https://developers.vtex.com/docs/apps/'

const readJson = (root: string, file: string): any =>
  JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'))

const appIdOf = (root: string) => {
  const { vendor, name } = readJson(root, 'manifest.json')

  return `${vendor}.${name}`
}

/** Every string inside a JSON value. */
const stringsIn = (value: unknown): string[] =>
  typeof value === 'string'
    ? [value]
    : value && typeof value === 'object'
    ? Object.values(value).flatMap(stringsIn)
    : []

/** The vendor-dependent values that must follow manifest.json `vendor`. */
function expectFollowsVendor(root: string) {
  const manifest = readJson(root, 'manifest.json')
  const appId = appIdOf(root)
  const events: Record<string, any> = readJson(root, 'node/service.json').events

  // The app sends its chunk event to itself (ctx.clients.events.sendEvent):
  // the receiving declaration must name this app as the sender.
  const chunkEvents = Object.values(events).filter((event) =>
    [...(event.keys ?? []), ...(event.topics ?? [])].includes(CHUNK_EVENT_KEY)
  )

  expect(chunkEvents).toHaveLength(1)
  expect(chunkEvents[0].sender).toBe(appId)

  // No declaration names another vendor's copy of this app.
  for (const event of Object.values(events)) {
    if (String(event.sender).endsWith(`.${manifest.name}`)) {
      expect(event.sender).toBe(appId)
    }
  }

  const supportValues = [
    ...stringsIn(manifest.billingOptions),
    ...LOCALES.flatMap((locale) =>
      stringsIn(readJson(root, `public/metadata/messages/${locale}.json`))
    ),
  ]

  for (const value of supportValues) {
    // Docs builder pages are https://developers.vtex.com/docs/apps/{vendor}.{name}.
    if (value.startsWith(DOCS_PAGE)) {
      expect(value.slice(DOCS_PAGE.length).split(/[@/?#]/)[0]).toBe(appId)
    }

    // The placeholder support address, support@{vendor}.example.
    const placeholder = /^support@([a-z0-9-]+)\.example$/.exec(value)

    if (placeholder) expect(placeholder[1]).toBe(manifest.vendor)
  }
}

describe('app id', () => {
  it('names this app as the sender of its own events, and links its own docs page', () => {
    expectFollowsVendor(ROOT)
  })

  it('scripts/set-vendor.js changes the vendor and everything that follows it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'set-vendor-'))

    try {
      for (const file of [
        'manifest.json',
        'node/service.json',
        'scripts/set-vendor.js',
        ...LOCALES.map((l) => `public/metadata/messages/${l}.json`),
      ]) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
        fs.copyFileSync(path.join(ROOT, file), path.join(dir, file))
      }

      const before = readJson(dir, 'manifest.json')
      const run = (...args: string[]) =>
        execFileSync(
          process.execPath,
          [path.join(dir, 'scripts/set-vendor.js'), ...args],
          { encoding: 'utf8' }
        )

      const dry = run('acme', '--dry-run')

      expect(dry).toContain(`vendor ${before.vendor} -> acme`)
      expect(readJson(dir, 'manifest.json').vendor).toBe(before.vendor)

      const printed = run('acme')

      expect(printed).toContain(`vendor ${before.vendor} -> acme`)
      expect(printed).toContain(`event sender ${before.vendor}.${before.name}`)

      const after = readJson(dir, 'manifest.json')

      expect(after.vendor).toBe('acme')
      // Only `vendor` and the billing links change in the manifest.
      expect({ ...after, vendor: 0, billingOptions: 0 }).toEqual({
        ...before,
        vendor: 0,
        billingOptions: 0,
      })
      expectFollowsVendor(dir)

      expect(run('acme')).toContain('Nothing to change')
      expect(() =>
        execFileSync(
          process.execPath,
          [path.join(dir, 'scripts/set-vendor.js'), 'Not A Vendor'],
          { stdio: 'pipe' }
        )
      ).toThrow()
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('billingOptions', () => {
  const { billingOptions } = readJson(ROOT, 'manifest.json')

  it('makes the app public and free, with the support email VTEX requires', () => {
    expect(billingOptions.type).toBe('free')
    expect(billingOptions.support.email).toMatch(/^[^@\s]+@[^@\s]+\.[a-z]+$/)
    expect(billingOptions.support.url).toMatch(/^https:\/\//)
    expect(billingOptions.availableCountries).toEqual(['*'])
  })
})

describe('policies', () => {
  const manifest = readJson(ROOT, 'manifest.json')
  const listed: any[] = readJson(ROOT, 'node/manifestPolicies.json')

  it('lists each policy once, with what it allows and a quoted source', () => {
    const names = listed.map((entry) => entry.name)

    expect(new Set(names).size).toBe(names.length)

    for (const entry of listed) {
      expect(typeof entry.name).toBe('string')
      expect(entry.what).toEqual(expect.stringMatching(/\S/))
      expect(entry.quote).toEqual(expect.stringMatching(/\S/))
      expect(entry.source.title).toEqual(expect.stringMatching(/\S/))

      const { url, repo, path: file, commit } = entry.source
      const byUrl = typeof url === 'string' && /^https:\/\/\S+$/.test(url)
      const byCommit =
        typeof repo === 'string' &&
        /^[\w.-]+\/[\w.-]+$/.test(repo) &&
        typeof file === 'string' &&
        file.length > 0 &&
        typeof commit === 'string' &&
        /^[0-9a-f]{40}$/.test(commit)

      expect({ name: entry.name, sourced: byUrl || byCommit }).toEqual({
        name: entry.name,
        sourced: true,
      })
    }
  })

  it('declares in manifest.json only policies that are listed', () => {
    const known = new Set(listed.map((entry) => entry.name))
    const unknown = manifest.policies
      .map((policy: any) => policy.name)
      .filter((name: string) => !known.has(name))

    expect(unknown).toEqual([])
  })

  it("sends outbound requests only to the account's own VTEX host", () => {
    const outbound = manifest.policies.filter(
      (policy: any) => policy.name === 'outbound-access'
    )

    expect(outbound.length).toBeGreaterThan(0)

    for (const policy of outbound) {
      expect(policy.attrs.host).toBe(ACCOUNT_HOST)
      expect(policy.attrs.path).toMatch(/^\/api\//)
    }
  })
})

describe('App Store metadata (public/metadata)', () => {
  it.each(LOCALES)(
    'messages/%s.json has the keys and lengths VTEX sets',
    (locale) => {
      const messages = readJson(ROOT, `public/metadata/messages/${locale}.json`)

      for (const key of [
        'name',
        'headline',
        'overview',
        'additionalinformation',
      ]) {
        expect({ key, value: messages[key] }).toEqual({
          key,
          value: expect.stringMatching(/\S/),
        })
      }

      expect(messages.name.length).toBeLessThanOrEqual(26)
      expect(messages.headline.length).toBeLessThanOrEqual(120)
      expect(messages.features.length).toBeGreaterThan(0)
      for (const feature of messages.features) {
        expect(feature).toEqual(expect.stringMatching(/\S/))
      }
      expect(messages.support.email).toMatch(/^[^@\s]+@[^@\s]+$/)
      expect(messages.websiteURL).toMatch(/^https:\/\//)
    }
  )

  it('has the same keys in every language', () => {
    const keys = LOCALES.map((locale) =>
      Object.keys(
        readJson(ROOT, `public/metadata/messages/${locale}.json`)
      ).sort()
    )

    expect(keys[1]).toEqual(keys[0])
    expect(keys[2]).toEqual(keys[0])
  })

  it.each(LOCALES)('licenses/%s.md holds the MIT license', (locale) => {
    const text = fs.readFileSync(
      path.join(ROOT, `public/metadata/licenses/${locale}.md`),
      'utf8'
    )

    expect(text).toContain('MIT License')
    expect(text).toContain('THE SOFTWARE IS PROVIDED "AS IS"')
  })

  it('icon.png is a 1024x1024 PNG without transparency', () => {
    const png = fs.readFileSync(
      path.join(ROOT, 'public/metadata/images/icon.png')
    )

    expect(png.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
    )
    // The first chunk is IHDR: length 13, then width, height, bit depth, colour type.
    expect(png.readUInt32BE(8)).toBe(13)
    expect(png.toString('ascii', 12, 16)).toBe('IHDR')
    expect(png.readUInt32BE(16)).toBe(1024)
    expect(png.readUInt32BE(20)).toBe(1024)
    // A solid background: no alpha channel (colour types 4 and 6) and no tRNS chunk.
    expect([0, 2, 3]).toContain(png[25])

    const types: string[] = []

    for (let at = 8; at < png.length; ) {
      types.push(png.toString('ascii', at + 4, at + 8))
      at += 12 + png.readUInt32BE(at)
    }

    expect(types).not.toContain('tRNS')
    expect(types[types.length - 1]).toBe('IEND')
  })
})
