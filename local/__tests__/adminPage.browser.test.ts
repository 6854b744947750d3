/**
 * The admin page in a real browser: Debian's Chromium, driven by
 * playwright-core, against `npm start` (the built local stack) on a port the
 * OS picks. Upload a semicolon CSV, preview, run, watch it finish, download
 * the failed rows, undo; then categories from an .xlsx, whose failed rows
 * come back as an .xlsx that uploads again. Each state is saved
 * as a screenshot in docs/ (three of them for the App Store).
 */
import { ChildProcess, spawn } from 'child_process'
import fs from 'fs'
import os from 'os'
import path from 'path'

import { strFromU8, unzipSync } from 'fflate'
import { Browser, chromium, Page } from 'playwright-core'

import { makeXlsx } from './xlsx'

const root = path.resolve(__dirname, '../..')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
// Beside docs/README.md: node/__tests__/unit/publicDocs.test.ts reads every entry of docs/ as a file.
const images = path.join(root, 'docs')
const storeImages = path.join(
  root,
  'public/metadata/images/screenshots/desktop'
)

let server: ChildProcess
let browser: Browser
let page: Page
let pageUrl = ''
let tmp = ''

async function startServer(): Promise<string> {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'msu-e2e-'))
  server = spawn(process.execPath, [path.join(root, 'build/local/start.js')], {
    env: { ...process.env, PORT: '0', VBASE_DIR: path.join(tmp, 'vbase') },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let log = ''

  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`npm start did not come up:\n${log}`)),
      60_000
    )

    const read = (chunk: Buffer) => {
      log += chunk.toString()
      const found = /Admin page: (http:\/\/\S+)/.exec(log)

      if (found) {
        clearTimeout(timer)
        resolve(found[1])
      }
    }

    server.stdout?.on('data', read)
    server.stderr?.on('data', read)
    server.once('exit', (code) =>
      reject(new Error(`npm start exited (${code}):\n${log}`))
    )
  })
}

async function shot(name: string, store = false) {
  const file = path.join(images, `admin-${name}.png`)

  await page.screenshot({ path: file, fullPage: true })
  if (store) fs.copyFileSync(file, path.join(storeImages, `admin-${name}.png`))
}

const text = (testId: string) => page.getByTestId(testId).innerText()

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium), or set CHROMIUM_PATH.`
    )
  }

  fs.mkdirSync(images, { recursive: true })
  fs.mkdirSync(storeImages, { recursive: true })
  pageUrl = await startServer()
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // launch() gives the browser a fresh, temporary --user-data-dir.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
    acceptDownloads: true,
  })

  page = await context.newPage()
  page.setDefaultTimeout(15_000)
  page.on('pageerror', (error) =>
    process.stderr.write(`page error: ${error.message}\n`)
  )
  page.on('dialog', (dialog) => dialog.accept())
}, 90_000)

afterAll(async () => {
  await browser?.close()
  server?.kill('SIGTERM')
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

describe('the admin page in Chromium', () => {
  it('opens with its empty states', async () => {
    await page.goto(pageUrl)
    await page.getByText('Massive Score Update').first().waitFor()
    await page.getByText(/No job yet/).waitFor()
    await shot('01-empty')
  })

  it('reads a semicolon CSV from Excel', async () => {
    const csv =
      '\uFEFFNome;id;score;Preço\r\n' +
      Array.from(
        { length: 20 },
        (_, i) => `"Produto; ${i + 1}";${i + 1};${(i % 4) + 5};19,90`
      ).join('\r\n') +
      '\r\nCaneca;101;7;9,50\r\nCaneca azul;102;7;9,50\r\nCămașă;103;7;9,50\r\nFantasma;999999;7;1,00\r\n'

    await page.getByLabel('Spreadsheet file (.csv or .xlsx)').setInputFiles({
      name: 'scores.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv),
    })
    expect(await text('file-summary')).toContain(
      '24 rows read from scores.csv (CSV, semicolon-separated)'
    )
    await shot('02-uploaded')
  })

  it('previews: current and new Scores, and why rows would fail, a page at a time', async () => {
    await page.getByRole('button', { name: 'Preview changes' }).click()
    await page.getByTestId('preview-summary').waitFor()
    expect(await text('preview-summary')).toMatch(
      /would change, .* already at that Score, 4 would fail\./
    )
    expect(
      await page.getByTestId('preview-table__body').locator('tr').count()
    ).toBe(10)
    await shot('03-preview', true)
    // The pagination's controls have names, and the range it shows is a live region.
    await page.getByRole('button', { name: 'Next page' }).click()
    await page
      .getByRole('status')
      .filter({ hasText: 'Rows 11–20 of 24' })
      .waitFor()
    await page.getByRole('button', { name: 'Previous page' }).click()
    await page
      .getByRole('status')
      .filter({ hasText: 'Rows 1–10 of 24' })
      .waitFor()
    await page.getByText('Show only rows that would fail').click()
    const body = page.getByTestId('preview-table__body')

    await body.locator('tr').nth(3).waitFor()
    await body.locator('tr').nth(4).waitFor({ state: 'detached' })
    const failures = await body.innerText()

    for (const code of [
      'EMPTY_RELEASE_DATE',
      'TRAILING_SPACES',
      'DIACRITICS_WOULD_BE_STRIPPED',
      'NOT_FOUND',
    ])
      expect(failures).toContain(code)
    await shot('04-preview-failures')
  })

  let updated = 0

  it('runs as a job and follows it to the end', async () => {
    await page.getByRole('button', { name: 'Update 24 Scores' }).click()
    await page
      .getByRole('progressbar', { name: 'Progress of the update' })
      .waitFor({ state: 'attached' })
    await shot('05-running')
    await page
      .getByTestId('run-status')
      .filter({ hasText: 'Finished' })
      .waitFor({ timeout: 60_000 })
    expect(
      await page.getByRole('progressbar').getAttribute('aria-valuenow')
    ).toBe('100')
    const progress = await text('run-progress')

    expect(progress).toMatch(/24 of 24 items/)
    expect(progress).toMatch(/4 failed/)
    updated = Number(/(\d+) updated/.exec(progress)?.[1])
    expect(updated).toBeGreaterThan(0)
    await shot('06-finished', true)
  })

  it("downloads the failed rows in the upload's delimiter, with a BOM and the report's columns", async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download failed rows' }).click(),
    ])
    const file = path.join(tmp, 'failed.csv')

    await download.saveAs(file)
    const csv = fs.readFileSync(file, 'utf8')

    expect(download.suggestedFilename()).toBe('scores-failed.csv')
    expect(
      csv.startsWith(
        '\uFEFFid;score;previousScore;success;code;error;errorMessage\r\n'
      )
    ).toBe(true)
    expect(csv).toMatch(/\r\n999999;7;;false;NOT_FOUND;404;/)
    expect(csv.trim().split('\r\n')).toHaveLength(5)
  })

  it('undoes the job', async () => {
    await page.getByRole('button', { name: 'Undo this update' }).click()
    await page
      .getByTestId('run-status')
      .filter({ hasText: /Undo of job.*Finished/ })
      .waitFor({ timeout: 60_000 })
    expect(await text('run-progress')).toContain(`${updated} updated`)
    await shot('07-undone')
  })

  it('lists both jobs in the history', async () => {
    await page.getByRole('button', { name: 'Refresh' }).click()
    await page
      .getByText(/Open job/)
      .nth(1)
      .waitFor({ state: 'attached' })
    await page.getByText('Recent jobs').scrollIntoViewIfNeeded()
    await shot('08-history', true)
  })

  it('updates categories from an .xlsx, in batches from the page', async () => {
    await page.goto(pageUrl)
    await page.getByLabel('Categories').check({ force: true })
    await page.getByLabel('Spreadsheet file (.csv or .xlsx)').setInputFiles({
      name: 'categories.xlsx',
      mimeType:
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      buffer: makeXlsx([
        ['Category ID', 'Name', 'Score'],
        ...[1, 2, 3, 4, 5].map((id) => [id, `Categoria ${id}`, 10 + id]),
        [101, 'Încălțăminte', 3],
        [102, 'Acessórios', 3],
        [999999, 'Nenhuma', 3],
      ]),
    })
    expect(await text('file-summary')).toContain(
      '8 rows read from categories.xlsx (Excel workbook)'
    )
    await page.getByRole('button', { name: 'Preview changes' }).click()
    await page.getByTestId('preview-summary').waitFor()
    expect(await text('preview-summary')).toMatch(/3 would fail/)
    await page.getByRole('button', { name: 'Update 8 Scores' }).click()
    await page
      .getByTestId('run-status')
      .filter({ hasText: 'Finished' })
      .waitFor({ timeout: 60_000 })
    expect(await text('run-progress')).toMatch(/8 of 8 items .* 3 failed/)
    await shot('09-categories')
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download failed rows' }).click(),
    ])
    const file = path.join(tmp, 'categories-failed.xlsx')

    await download.saveAs(file)
    expect(download.suggestedFilename()).toBe('categories-failed.xlsx')
    // An .xlsx with the report's columns: every text cell is a shared string.
    const parts = unzipSync(fs.readFileSync(file))
    const strings = strFromU8(parts['xl/sharedStrings.xml'])
    const sheet = strFromU8(parts['xl/worksheets/sheet1.xml'])

    for (const name of [
      'id',
      'score',
      'previousScore',
      'success',
      'code',
      'error',
      'errorMessage',
      'NOT_FOUND',
      'DIACRITICS_WOULD_BE_STRIPPED',
    ])
      expect(strings).toContain(`>${name}<`)
    expect(sheet).toContain('<v>999999</v>')
    expect(sheet).not.toContain('<f>')

    // Fix: the file uploads again as it came, and previews.
    await page
      .getByLabel('Spreadsheet file (.csv or .xlsx)')
      .setInputFiles(file)
    await page
      .getByTestId('file-summary')
      .filter({ hasText: 'categories-failed.xlsx' })
      .waitFor()
    expect(await text('file-summary')).toContain(
      '3 rows read from categories-failed.xlsx (Excel workbook); columns “id” and “score”'
    )
    await page.getByRole('button', { name: 'Preview changes' }).click()
    await page.getByTestId('preview-summary').waitFor()
    expect(await text('preview-summary')).toMatch(/3 would fail/)
  })
})
