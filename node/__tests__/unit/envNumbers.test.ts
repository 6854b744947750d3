import { positiveNumberFrom, wholeNumberFrom } from '../../envNumbers'

describe('numbers from local-only variables', () => {
  it('reads plain digits, 0 included, and nothing else', () => {
    expect(wholeNumberFrom('250')).toBe(250)
    expect(wholeNumberFrom('0')).toBe(0)
    for (const value of [undefined, '', ' 5', '5 ', '1.5', '-1', '1e3', 'ten'])
      expect(wholeNumberFrom(value)).toBeUndefined()
  })

  it('bounds how many digits a value may have', () => {
    expect(wholeNumberFrom('999999', 6)).toBe(999_999)
    expect(wholeNumberFrom('1000000', 6)).toBeUndefined()
    expect(positiveNumberFrom('0000001', 6)).toBeUndefined()
  })

  it('takes a positive number only above 0', () => {
    expect(positiveNumberFrom('1')).toBe(1)
    expect(positiveNumberFrom('0')).toBeUndefined()
    expect(positiveNumberFrom('x')).toBeUndefined()
  })
})
