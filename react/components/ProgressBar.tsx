import React from 'react'
import { Progress } from 'vtex.styleguide'

/** The styleguide's Progress bar, with the values assistive technology reads. */
export default function ProgressBar({
  label,
  done,
  total,
  valueText,
}: {
  label: string
  done: number
  total: number
  valueText: string
}) {
  const percent = total > 0 ? Math.round((done / total) * 100) : 0

  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
      aria-valuetext={valueText}
    >
      <Progress type="line" percent={percent} />
    </div>
  )
}
