import type { Api } from './api'
import {
  DELIMITER_NAMES,
  failedCsv,
  failedSheet,
  reportCells,
  writeXlsx,
} from './failedRows'
import { blobBytes } from './readFile'
import type { Run } from './run'
import type { ParsedSheet } from './spreadsheet'
import { localeDelimiter } from './spreadsheet'

/**
 * The failed rows of a run as a file to save, in the upload's own format:
 * an .xlsx for an .xlsx, else a CSV in its delimiter (see failedRows.ts).
 */
export async function failedRowsFile({
  api,
  run,
  sheet,
  fileName,
  locale,
}: {
  api: Api
  run: Run
  sheet: ParsedSheet | null
  fileName: string
  locale: string
}): Promise<{ name: string; file: Blob }> {
  const stem =
    (sheet?.format ? fileName.replace(/\.(csv|txt|tsv|xlsx)$/i, '') : '') ||
    'scores'
  const delimiter = sheet?.delimiter ?? localeDelimiter(locale)
  const extension =
    /\.(csv|tsv|txt)$/i.exec(fileName)?.[1].toLowerCase() ??
    (delimiter === '\t' ? 'tsv' : 'csv')
  const failed = (run.results ?? []).filter((r) => r.success === 'false')

  if (sheet?.format === 'xlsx') {
    const rows =
      run.mode === 'job'
        ? reportCells(
            new TextDecoder('utf-8').decode(
              await blobBytes(await api.failedRows(run.jobId as string))
            )
          )
        : failedSheet(failed)

    return { name: `${stem}-failed.xlsx`, file: await writeXlsx(rows) }
  }

  if (run.mode === 'job') {
    // The app's report, in the upload's delimiter, with its BOM, byte for byte.
    return {
      name: `${stem}-failed.${extension}`,
      file: await api.failedRows(
        run.jobId as string,
        DELIMITER_NAMES[delimiter]
      ),
    }
  }

  return {
    name: `${stem}-failed.${extension}`,
    file: new Blob([failedCsv(failed, delimiter)], {
      type: `${
        delimiter === '\t' ? 'text/tab-separated-values' : 'text/csv'
      };charset=utf-8`,
    }),
  }
}
