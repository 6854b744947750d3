import { useRef, useState } from 'react'

import type { Kind } from '../utils/api'
import { newIdempotencyKey } from '../utils/items'
import type { Preview } from '../utils/previewRows'
import type { Run } from '../utils/run'
import type { ParsedSheet } from '../utils/spreadsheet'

/**
 * What the steps share: the kind and the file, its preview, the run, and
 * when the history should read the jobs again. `clearError` closes the
 * page's error alert when the file, the kind or the run starts over.
 */
export function usePageState(clearError: () => void) {
  const [kind, setKind] = useState<Kind>('product')
  const [fileName, setFileName] = useState('')
  const [sheet, setSheet] = useState<ParsedSheet | null>(null)
  const [preview, setPreview] = useState<Preview | null>(null)
  const [onlyFailed, setOnlyFailed] = useState(false)
  const [run, setRun] = useState<Run | null>(null)
  const [historyKey, setHistoryKey] = useState(0)
  /** The Idempotency-Key of the next product run: new for each file, kind or preview. */
  const runKey = useRef(newIdempotencyKey())

  /** Forgets the preview and the run: what they said is about another file or kind. */
  const reset = () => {
    setPreview(null)
    setRun(null)
    clearError()
    setOnlyFailed(false)
    runKey.current = newIdempotencyKey()
  }

  return {
    kind,
    fileName,
    sheet,
    preview,
    onlyFailed,
    run,
    historyKey,
    runKey,
    setFileName,
    setSheet,
    setPreview,
    setOnlyFailed,
    setRun,
    reset,
    chooseKind: (next: Kind) => {
      setKind(next)
      reset()
    },
    /** A job from the history: no file, and jobs are of products. */
    showJobOnly: () => {
      reset()
      setSheet(null)
      setFileName('')
      setKind('product')
    },
    /** A job started or ended: the history reads the list again. */
    refreshHistory: () => setHistoryKey((k) => k + 1),
  }
}

export type PageState = ReturnType<typeof usePageState>
