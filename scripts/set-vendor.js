#!/usr/bin/env node
// Sets the app's vendor: `node scripts/set-vendor.js acme [--dry-run]`.
//
// manifest.json `vendor` is the one place the vendor is decided; this script
// rewrites what must follow it and prints each change:
// - manifest.json `vendor`;
// - node/service.json: every event `sender` of the form `{vendor}.{name}` (the
//   app's own events) becomes `{new vendor}.{name}`;
// - manifest.json billingOptions.support and public/metadata/messages/*.json:
//   the docs page https://developers.vtex.com/docs/apps/{vendor}.{name} and the
//   placeholder email support@{vendor}.example. A real email address (any
//   other domain) is left alone.
// Files are edited as text, so their formatting is kept. No dependencies.
const fs = require('fs')
const path = require('path')

const root = path.resolve(__dirname, '..')
const MANIFEST = 'manifest.json'
const SERVICE = path.join('node', 'service.json')
const MESSAGES = path.join('public', 'metadata', 'messages')

// A vendor is the VTEX account that publishes the app.
const VENDOR = /^[a-z][a-z0-9]*$/

function usage(message) {
  process.stderr.write(
    `${message}\nUsage: node scripts/set-vendor.js <vendor> [--dry-run]\n`
  )
  process.exit(2)
}

const args = process.argv.slice(2)
const dryRun = args.includes('--dry-run')
const positional = args.filter((a) => a !== '--dry-run')

if (positional.length !== 1) usage('Expected exactly one vendor.')
const vendor = positional[0]

if (!VENDOR.test(vendor)) {
  usage(
    `Invalid vendor "${vendor}": lowercase letters and digits, starting with a letter.`
  )
}

const read = (file) => fs.readFileSync(path.join(root, file), 'utf8')
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const changes = []
const writes = []

function stage(file, before, after) {
  if (before === after) return
  JSON.parse(after) // never write a file that no longer parses
  writes.push([file, after])
}

// manifest.json
const manifestText = read(MANIFEST)
const manifest = JSON.parse(manifestText)
const { name } = manifest
const oldVendor = manifest.vendor

if (typeof name !== 'string' || typeof oldVendor !== 'string') {
  usage(`${MANIFEST} has no string "vendor" and "name".`)
}

const oldId = `${oldVendor}.${name}`
const newId = `${vendor}.${name}`
const docsUrl = (id) => `https://developers.vtex.com/docs/apps/${id}`
const placeholderEmail = /support@([a-z0-9-]+)\.example\b/g

function rewriteSupport(text, file) {
  let out = text
  // The docs page of any vendor's copy of this app.
  const pageOf = new RegExp(
    `${escape('https://developers.vtex.com/docs/apps/')}[a-z0-9-]+\\.${escape(
      name
    )}(?![a-z0-9-])`,
    'g'
  )

  out = out.replace(pageOf, (found) => {
    if (found !== docsUrl(newId)) {
      changes.push(`${file}: ${found} -> ${docsUrl(newId)}`)
    }

    return docsUrl(newId)
  })
  out = out.replace(placeholderEmail, (found) => {
    const next = `support@${vendor}.example`

    if (found !== next) changes.push(`${file}: ${found} -> ${next}`)

    return next
  })

  return out
}

const vendorKey = new RegExp(`("vendor"\\s*:\\s*)"${escape(oldVendor)}"`)
const vendorMatches = manifestText.match(new RegExp(vendorKey, 'g')) ?? []

if (vendorMatches.length !== 1) {
  usage(
    `${MANIFEST}: expected one "vendor": "${oldVendor}", found ${vendorMatches.length}.`
  )
}

let nextManifest = manifestText.replace(vendorKey, `$1"${vendor}"`)

if (oldVendor !== vendor) {
  changes.push(`${MANIFEST}: vendor ${oldVendor} -> ${vendor}`)
}

nextManifest = rewriteSupport(nextManifest, `${MANIFEST} billingOptions`)
stage(MANIFEST, manifestText, nextManifest)

// node/service.json: the app's own event senders.
const serviceText = read(SERVICE)
const senderKey = new RegExp(
  `("sender"\\s*:\\s*)"([a-z0-9-]+)\\.${escape(name)}"`,
  'g'
)
const nextService = serviceText.replace(senderKey, (_all, key, from) => {
  const was = `${from}.${name}`

  if (was !== newId) changes.push(`${SERVICE}: event sender ${was} -> ${newId}`)

  return `${key}"${newId}"`
})

stage(SERVICE, serviceText, nextService)

// public/metadata/messages/*.json
const messagesDir = path.join(root, MESSAGES)

if (fs.existsSync(messagesDir)) {
  for (const entry of fs.readdirSync(messagesDir).sort()) {
    if (!entry.endsWith('.json')) continue
    const file = path.join(MESSAGES, entry)
    const text = read(file)

    stage(file, text, rewriteSupport(text, file))
  }
}

if (!dryRun) {
  for (const [file, text] of writes) {
    fs.writeFileSync(path.join(root, file), text)
  }
}

if (changes.length === 0) {
  process.stdout.write(`Nothing to change: the app is already ${newId}.\n`)
} else {
  process.stdout.write(
    `${dryRun ? 'Would change' : 'Changed'} (${oldId} -> ${newId}):\n` +
      changes.map((c) => `  ${c}\n`).join('')
  )
}

if (/support@[a-z0-9-]+\.example\b/.test(nextManifest)) {
  process.stdout.write(
    `Note: ${MANIFEST} billingOptions.support.email is still a placeholder (support@${vendor}.example); set the vendor's real support address before publishing.\n`
  )
}
