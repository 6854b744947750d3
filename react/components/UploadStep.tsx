import React, { useMemo, useState } from 'react'
import { useIntl } from 'react-intl'
import { Alert, PageBlock, RadioGroup, Spinner } from 'vtex.styleguide'

import { useMessages } from '../hooks/useMessages'
import type { Kind } from '../utils/api'
import { readSpreadsheet } from '../utils/readFile'
import type { ParsedSheet } from '../utils/spreadsheet'
import { localeDelimiter, SheetError } from '../utils/spreadsheet'

/** Step 1: what the file updates (products or categories), and the file, read in the browser. */
export default function UploadStep({
  kind,
  onKindChange,
  sheet,
  fileName,
  onReset,
  onFileName,
  onSheet,
}: {
  kind: Kind
  onKindChange: (kind: Kind) => void
  sheet: ParsedSheet | null
  fileName: string
  /** Another file is chosen: the last one's preview and run go. */
  onReset: () => void
  onFileName: (name: string) => void
  onSheet: (sheet: ParsedSheet | null) => void
}) {
  const intl = useIntl()
  const t = useMessages()
  const [reading, setReading] = useState(false)
  const [fileError, setFileError] = useState<string | null>(null)

  async function onFile(event: React.ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0]

    onReset()
    onSheet(null)
    setFileError(null)
    if (!file) return
    onFileName(file.name)
    setReading(true)
    try {
      onSheet(await readSpreadsheet(file, localeDelimiter(intl.locale)))
    } catch (caught) {
      setFileError(
        caught instanceof SheetError
          ? t(`file.error.${caught.code}`, caught.values)
          : t('file.error.NOT_A_SPREADSHEET')
      )
    }

    setReading(false)
  }

  const kindOptions = useMemo(
    () => [
      { value: 'product', label: t('kind.product') },
      { value: 'category', label: t('kind.category') },
    ],
    [t]
  )

  const formatLabel = sheet
    ? sheet.format === 'xlsx'
      ? t('format.xlsx')
      : t(
          `format.csv-${
            { ',': 'comma', ';': 'semicolon', '\t': 'tab' }[sheet.delimiter]
          }`
        )
    : ''

  return (
    <PageBlock
      title={t('upload.title')}
      subtitle={t('upload.subtitle')}
      variation="full"
    >
      <fieldset className="bn pa0 ma0 mb5">
        <legend className="t-body c-on-base mb3">{t('kind.label')}</legend>
        <RadioGroup
          name="kind"
          hideBorder
          options={kindOptions}
          value={kind}
          onChange={(event: React.ChangeEvent<HTMLInputElement>) =>
            onKindChange(event.currentTarget.value as Kind)
          }
        />
      </fieldset>
      <label htmlFor="msu-file" className="db t-small mb3 c-on-base">
        {t('file.label')}
      </label>
      <input
        id="msu-file"
        type="file"
        accept=".csv,.tsv,.txt,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        onChange={onFile}
        className="db mb4"
      />
      {reading && (
        <div role="status" className="flex items-center">
          <Spinner size={20} />
          <span className="ml3">{t('file.reading')}</span>
        </div>
      )}
      {fileError && <Alert type="error">{fileError}</Alert>}
      {sheet && (
        <p
          className="t-body c-on-base"
          role="status"
          data-testid="file-summary"
        >
          {t('file.read', {
            count: sheet.items.length,
            name: fileName,
            format: formatLabel,
            idColumn: sheet.idColumn,
            scoreColumn: sheet.scoreColumn,
          })}
        </p>
      )}
    </PageBlock>
  )
}
