import { boundHeapGrowth, HEAP_GROWING_PERCENT } from '../../heap'

const MB = 2 ** 20

describe('boundHeapGrowth', () => {
  it('bounds the growth of a heap V8 sized from a large host', () => {
    const setFlags = jest.fn()

    expect(boundHeapGrowth(4144 * MB, setFlags)).toBe(true)
    expect(setFlags).toHaveBeenCalledWith(
      `--heap-growing-percent=${HEAP_GROWING_PERCENT}`
    )
  })

  it('leaves a capped or container-sized heap to V8', () => {
    const setFlags = jest.fn()

    expect(boundHeapGrowth(304 * MB, setFlags)).toBe(false)
    expect(setFlags).not.toHaveBeenCalled()
  })
})
