#!/usr/bin/env node
// Installs dependencies when node_modules is missing or older than the lockfile,
// so that `npm start`, `npm test` and `npm run bench` work on a fresh clone.
const { execSync } = require('child_process')
const fs = require('fs')
const path = require('path')

const root = path.resolve(__dirname, '..')
const lock = path.join(root, 'package-lock.json')
const stamp = path.join(root, 'node_modules', '.package-lock.json')

function stale() {
  if (!fs.existsSync(stamp)) return true
  if (!fs.existsSync(lock)) return false

  return fs.statSync(lock).mtimeMs > fs.statSync(stamp).mtimeMs
}

if (stale()) {
  const cmd = fs.existsSync(lock)
    ? 'npm ci --no-audit --no-fund'
    : 'npm install --no-audit --no-fund'

  process.stderr.write(`[ensure-deps] installing dependencies: ${cmd}\n`)
  execSync(cmd, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })
}

// The admin page's own dependencies (react/: @vtex/test-tools, the styleguide, read-excel-file).
const reactDir = path.join(root, 'react')
const reactLock = path.join(reactDir, 'package-lock.json')
const reactStamp = path.join(reactDir, 'node_modules', '.package-lock.json')

if (
  fs.existsSync(reactLock) &&
  (!fs.existsSync(reactStamp) ||
    fs.statSync(reactLock).mtimeMs > fs.statSync(reactStamp).mtimeMs)
) {
  process.stderr.write('[ensure-deps] installing react/ dependencies: npm ci\n')
  execSync('npm ci --no-audit --no-fund', {
    cwd: reactDir,
    stdio: ['ignore', 'inherit', 'inherit'],
  })
}

// The browser test (local/__tests__/adminPage.browser.test.ts) drives Debian's Chromium.
const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

if (!fs.existsSync(chromium)) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0

  if (isRoot && fs.existsSync('/usr/bin/apt-get')) {
    process.stderr.write("[ensure-deps] installing Debian's chromium\n")
    execSync(
      'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium',
      { stdio: ['ignore', 'inherit', 'inherit'], shell: '/bin/bash' }
    )
  } else {
    process.stderr.write(
      `[ensure-deps] missing: ${chromium}, for the browser test. Install Debian's package as root (apt-get update && apt-get install -y chromium), or set CHROMIUM_PATH to a Chromium binary.\n`
    )
  }
}
