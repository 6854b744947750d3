import { SlotCounter } from '../../bulk/slotCounter'

describe('SlotCounter', () => {
  it('counts events by slot, both ends included', () => {
    const counter = new SlotCounter(100, 1000)

    counter.add(50)
    counter.add(150)
    counter.add(199)
    counter.add(250)

    expect(counter.countBetween(100, 199)).toBe(2)
    expect(counter.countBetween(0, 250)).toBe(4)
    expect(counter.countBetween(200, 299)).toBe(1)
  })

  it('forgets a slot when time comes back round to it', () => {
    const counter = new SlotCounter(100, 1000)

    counter.add(50)
    counter.add(60)
    // 1,050 ms falls in the same ring position as 50 ms, ten slots later.
    counter.add(1050)

    expect(counter.countBetween(0, 1099)).toBe(1)
    expect(counter.countBetween(0, 99)).toBe(0)
  })
})
