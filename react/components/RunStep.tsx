import React from 'react'
import { Button, EmptyState, PageBlock } from 'vtex.styleguide'

import { useMessages } from '../hooks/useMessages'
import type { Kind } from '../utils/api'

/** Step 3: the button that writes the Scores; the run itself (RunResult) comes as children once there is one. */
export default function RunStep({
  kind,
  itemCount,
  canRun,
  needsPreview,
  busy,
  onRun,
  children,
}: {
  kind: Kind
  /** The file's rows; null before a file is read. */
  itemCount: number | null
  canRun: boolean
  /** No preview yet, or the app refused rows: the reason the button waits. */
  needsPreview: boolean
  busy: boolean
  onRun: () => void
  /** The run's view (RunResult); null until a run starts, and then it takes the button's place. */
  children?: React.ReactNode
}) {
  const t = useMessages()
  const hasRun = Boolean(children)

  return (
    <PageBlock
      title={t('run.title')}
      subtitle={t(`run.subtitle.${kind}`)}
      variation="full"
    >
      {itemCount !== null && !hasRun && (
        <div>
          <Button onClick={onRun} disabled={!canRun} isLoading={busy}>
            {t('run.button', { count: itemCount })}
          </Button>
          {needsPreview && (
            <p className="t-small c-muted-1">{t('run.needsPreview')}</p>
          )}
        </div>
      )}
      {itemCount === null && !hasRun && (
        <EmptyState title={t('empty.noFile')} />
      )}
      {children}
    </PageBlock>
  )
}
