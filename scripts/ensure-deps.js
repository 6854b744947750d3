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
