// The sends this node delivered as a target, remembered until a replay of them is refused by
// age anyway, so a captured direct message is never delivered twice. Keyed by the router's
// keyed hash of (origin, send id); each entry keeps the newest timestamp of the attempts
// that reached it, and leaves once that timestamp is older than the age limit.
//
// Bounded (`maxSends`, the oldest first): when it is full of entries still inside their age
// window, the oldest is pushed out anyway and its newest timestamp becomes a floor. A direct
// message whose send is not remembered and whose timestamp is not above the floor is refused
// ('forgotten'): it may be a replay of the one pushed out. An honest send refused that way is
// not acked, and its origin's next attempt carries a fresh timestamp, above the floor.

import { ReplayFloor } from '../util/replay-floor.js'

/** 'new': deliver it; 'again': an attempt of a send delivered already; 'forgotten': refuse it. */
export type DeliveryVerdict = 'new' | 'again' | 'forgotten'

export class DeliveredSends {
  /** Key to the newest timestamp accepted for it; insertion order is the order first delivered. */
  private readonly sends = new Map<bigint, number>()
  /** Left by sends pushed out inside their age window: its floorMs and evictedYoung. */
  readonly floor: ReplayFloor

  constructor(private readonly maxSends: number, private readonly maxAgeMs: number) {
    this.floor = new ReplayFloor(maxAgeMs)
  }

  get size(): number {
    return this.sends.size
  }


  /** Records a verified attempt of the send `key`, signed at `timestampMs` (inside the age window at `nowMs`). */
  record(key: bigint, timestampMs: number, nowMs: number): DeliveryVerdict {
    const newest = this.sends.get(key)
    if (newest !== undefined) {
      if (timestampMs > newest) this.sends.set(key, timestampMs)
      return 'again'
    }
    if (!this.floor.admits(timestampMs)) return 'forgotten'
    this.expire(nowMs)
    if (this.sends.size >= this.maxSends) {
      const [oldKey, oldNewest] = this.sends.entries().next().value as [bigint, number]
      this.sends.delete(oldKey)
      this.floor.forget(oldNewest, nowMs)
    }
    this.sends.set(key, timestampMs)
    return 'new'
  }

  clear(): void {
    this.sends.clear()
    this.floor.clear()
  }

  /**
   * Drops sends from the front whose newest attempt is past the age limit. The front is the
   * oldest first delivered, not always the oldest timestamp: one held a little long costs
   * memory, never safety.
   */
  private expire(nowMs: number): void {
    for (const [key, newest] of this.sends) {
      if (nowMs - newest <= this.maxAgeMs) return
      this.sends.delete(key)
    }
  }
}
