/**
 * The admin page for `npm start`: react/ bundled with esbuild (`vtex.styleguide`
 * aliased to the npm @vtex/styleguide, as the IO react builder serves it) and
 * served by the local front at ADMIN_PAGE_PATH, beside the app's routes.
 */
import fs from 'fs'
import http from 'http'
import path from 'path'

export const ADMIN_PAGE_PATH = '/admin/app/massive-score-update'

const root = path.resolve(__dirname, '../..')
const reactModules = path.join(root, 'react/node_modules')

/** Serves the page; answers false for any other path. */
export type PageHandler = (
  req: http.IncomingMessage,
  res: http.ServerResponse
) => boolean

export async function buildAdminPage(): Promise<PageHandler> {
  // Loaded here: only `npm start` needs the bundler.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild')
  const result = await esbuild.build({
    entryPoints: [path.join(root, 'local/admin/entry.tsx')],
    bundle: true,
    write: false,
    outdir: path.join(root, 'build/admin'),
    entryNames: 'app',
    minify: true,
    target: 'es2019',
    format: 'iife',
    jsx: 'transform',
    nodePaths: [reactModules],
    // The same module list the component tests use: one module per component, so charts stay out.
    alias: {
      'vtex.styleguide': path.join(root, 'react/__mocks__/vtex.styleguide.js'),
    },
    define: { 'process.env.NODE_ENV': '"production"' },
    // The styleguide's styles.css files are CSS modules, as the IO react builder treats them.
    loader: { '.css': 'local-css', '.svg': 'dataurl', '.png': 'dataurl' },
    logLevel: 'error',
  })
  const assets = new Map<string, { type: string; body: Buffer }>()

  for (const file of result.outputFiles) {
    const name = path.basename(file.path)

    assets.set(name, {
      type: name.endsWith('.css') ? 'text/css' : 'text/javascript',
      body: Buffer.from(file.contents),
    })
  }

  // The Admin's own stylesheet (VTEX tachyons), which the IO admin loads for every app.
  assets.set('tachyons.css', {
    type: 'text/css',
    body: fs.readFileSync(
      path.join(reactModules, 'vtex-tachyons/tachyons.min.css')
    ),
  })

  const html = Buffer.from(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Massive Score Update · local admin</title>
<link rel="stylesheet" href="${ADMIN_PAGE_PATH}/assets/tachyons.css">
${
  assets.has('app.css')
    ? `<link rel="stylesheet" href="${ADMIN_PAGE_PATH}/assets/app.css">`
    : ''
}
<style>body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;background:#f8f7fc}</style>
</head>
<body>
<div id="root"></div>
<script src="${ADMIN_PAGE_PATH}/assets/app.js"></script>
</body>
</html>
`)

  return (req, res) => {
    const url = (req.url ?? '/').split('?')[0].replace(/\/+$/, '')

    if (req.method !== 'GET') return false
    if (url === ADMIN_PAGE_PATH) {
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'no-store',
      })
      res.end(html)

      return true
    }

    const asset = url.startsWith(`${ADMIN_PAGE_PATH}/assets/`)
      ? assets.get(url.slice(ADMIN_PAGE_PATH.length + 8))
      : undefined

    if (!asset) return false
    res.writeHead(200, {
      'Content-Type': `${asset.type}; charset=utf-8`,
      'Cache-Control': 'no-store',
    })
    res.end(asset.body)

    return true
  }
}
