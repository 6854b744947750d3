/**
 * Numbers from local-only variables (tests and `npm start` shrink times and
 * sizes with them; none is set on IO). Anything but plain digits is unset,
 * so a typo falls back to the default rather than to NaN.
 */

/** A whole number (0 included), or undefined; `maxDigits` bounds how long it may be written. */
export function wholeNumberFrom(
  value: string | undefined,
  maxDigits?: number
): number | undefined {
  const digits =
    maxDigits === undefined ? /^\d+$/ : new RegExp(`^\\d{1,${maxDigits}}$`)

  return value !== undefined && digits.test(value) ? Number(value) : undefined
}

/** A whole number above 0, or undefined. */
export function positiveNumberFrom(
  value: string | undefined,
  maxDigits?: number
): number | undefined {
  const number = wholeNumberFrom(value, maxDigits)

  return number !== undefined && number > 0 ? number : undefined
}
