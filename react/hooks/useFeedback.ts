import { useCallback, useContext, useState } from 'react'
import { useIntl } from 'react-intl'
import { ToastContext } from 'vtex.styleguide'

import { describeError, retryAfterOf } from '../components/errors'
import { ApiError } from '../utils/api'

/** What the page tells the admin: the error alert, toasts (also announced), and a 429's hold on new jobs. */
export function useFeedback() {
  const intl = useIntl()
  const { showToast } = useContext(ToastContext)
  const [error, setError] = useState<string | null>(null)
  /** The last toast's words, for screen readers (the styleguide's toasts are no live region). */
  const [announcement, setAnnouncement] = useState('')
  /** Until when the app asked not to start another job (429 TOO_MANY_JOBS). */
  const [jobsBlocked, setJobsBlocked] = useState(false)

  const notify = (message: string) => {
    showToast({ message, duration: 4000 })
    setAnnouncement(message)
  }

  const showError = useCallback(
    (caught: unknown) => setError(describeError(caught, intl)),
    [intl]
  )

  /** Errors of a call that creates a job: a 429 holds the buttons that create one for the wait it gives. */
  const jobError = (caught: unknown) => {
    if (caught instanceof ApiError && caught.code === 'TOO_MANY_JOBS') {
      const wait = retryAfterOf(caught) ?? 5

      setJobsBlocked(true)
      setTimeout(() => setJobsBlocked(false), wait * 1000)
    }

    showError(caught)
  }

  return {
    error,
    setError,
    announcement,
    notify,
    showError,
    jobError,
    jobsBlocked,
  }
}

export type Feedback = ReturnType<typeof useFeedback>
