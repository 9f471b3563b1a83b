// What a bounded replay memory (the relay's per-origin windows, the router's delivered sends)
// leaves behind when it must forget an entry still inside its age window: a floor. A message
// the memory does not hold is taken as new only when it was signed after the newest timestamp
// of every entry forgotten young; at or before it, it may be a replay of one of them. Entries
// older than the age limit leave nothing: their messages are refused by age anyway.

export class ReplayFloor {
  private floor = -Infinity
  private forgottenYoung = 0

  /** `maxAgeMs`: the age past which a message is refused by its timestamp. */
  constructor(private readonly maxAgeMs: number) {}

  /** Timestamps at or below this are refused for entries not held; -Infinity until one is forgotten young. */
  get floorMs(): number {
    return this.floor
  }

  /** Entries forgotten while still inside their age window (each may have raised the floor). */
  get evictedYoung(): number {
    return this.forgottenYoung
  }

  /** Whether a message the memory does not hold, signed at `timestampMs`, can be new. */
  admits(timestampMs: number): boolean {
    return timestampMs > this.floor
  }

  /** An entry whose newest timestamp is `newestMs` is forgotten at `nowMs`: raises the floor when it is not yet past the age limit. */
  forget(newestMs: number, nowMs: number): void {
    if (nowMs - newestMs > this.maxAgeMs) return
    this.forgottenYoung++
    if (newestMs > this.floor) this.floor = newestMs
  }

  clear(): void {
    this.floor = -Infinity
  }
}
