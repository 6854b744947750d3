/**
 * Events counted per time slot in a fixed ring, so that old counts age out
 * without a timer: a slot is reset when time comes back round to it.
 */
export class SlotCounter {
  private readonly counts: Float64Array
  private readonly slots: Float64Array

  constructor(public readonly slotMs: number, historyMs: number) {
    const size = Math.ceil(historyMs / slotMs)

    this.counts = new Float64Array(size)
    this.slots = new Float64Array(size).fill(-1)
  }

  public add(now: number) {
    const slot = Math.floor(now / this.slotMs)
    const at = slot % this.slots.length

    if (this.slots[at] !== slot) {
      this.slots[at] = slot
      this.counts[at] = 0
    }

    this.counts[at] += 1
  }

  /** Events in the slots of `from` to `now`, both included (within the history kept). */
  public countBetween(from: number, now: number) {
    const fromSlot = Math.floor(from / this.slotMs)
    const nowSlot = Math.floor(now / this.slotMs)
    let total = 0

    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[i]

      if (slot >= fromSlot && slot <= nowSlot) total += this.counts[i]
    }

    return total
  }
}
