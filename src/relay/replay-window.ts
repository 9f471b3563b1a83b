// Anti-replay for relayed messages: per origin, the highest sequence number accepted and a
// bitmap of the REPLAY_WINDOW_SEQS below it, the sliding window of IPsec and DTLS (RFC 4303
// section 3.4.3, RFC 6347 section 4.1.2.6), kept as a ring of 32-bit words that is cleared a
// word at a time as the window moves (RFC 6479), so sliding costs no shifting.
//
// Tied to time: every publish carries its origin's signed timestamp, and the relay refuses one
// older than maxAgeMs before it gets here. So an origin's window only has to be kept until
// the newest timestamp accepted from it is maxAgeMs old: after that, everything it protects
// is refused by age anyway, and the slot can be reused at no risk.
//
// The table is bounded (`maxOrigins`, the least recently accepted origin forgotten first) and
// origins cost nothing to make, so an attacker can push out origins still inside their age
// window. Forgetting one of those would let its messages be replayed; instead the table keeps
// a floor: the newest timestamp of every origin pushed out young. A message of an origin the
// table does not hold is refused ('forgotten') unless its timestamp is above the floor. So a
// replay is refused whatever came before it; what a flood of fresh origins can cost is that
// messages of origins it pushed out (or never held), signed at or before the floor, are not
// delivered. The floor matters only while it is younger than maxAgeMs.
//
// All state sits in typed arrays indexed by slot, grown by doubling up to the bound: a relay
// that hears few origins holds little, and a 100,000-node simulation does not allocate
// maxOrigins slots per node.

import { ReplayFloor } from '../util/replay-floor.js'

/** Sequence numbers below the highest accepted one that are still told apart (older: refused). */
export const REPLAY_WINDOW_SEQS = 1_024

const WORD_BITS = 32n
/** One word more than the window: the word the window's bottom is moving out of. */
const RING_WORDS = REPLAY_WINDOW_SEQS / 32 + 1
const RING_WORDS_BIG = BigInt(RING_WORDS)
const WINDOW_BIG = BigInt(REPLAY_WINDOW_SEQS)
const INITIAL_SLOTS = 16

/**
 * What the table says about a message of one origin: 'new'; 'replayed' (its seq is marked, or
 * below the origin's window); 'forgotten' (the origin is not held and the message is not
 * newer than the floor: it may be a replay of an origin pushed out while still young).
 */
export type ReplayVerdict = 'new' | 'replayed' | 'forgotten'

export class ReplayWindows {
  /** Origin (a keyed 64-bit hash of its id) to its slot; insertion order is recency order. */
  private readonly slots = new Map<bigint, number>()
  /** u64 highest[slot]: the highest sequence number accepted from the slot's origin. */
  private highest = new BigUint64Array(INITIAL_SLOTS)
  /** u32 bits[slot * RING_WORDS + (seq / 32) % RING_WORDS], bit seq % 32: seq was accepted. */
  private bits = new Uint32Array(INITIAL_SLOTS * RING_WORDS)
  /** f64 newestMs[slot]: the newest timestamp accepted from the slot's origin. */
  private newestMs = new Float64Array(INITIAL_SLOTS)
  private slotCount = 0
  /** Left by origins forgotten inside their age window (see above): its floorMs and evictedYoung. */
  readonly floor: ReplayFloor

  /** `maxAgeMs`: the age past which the relay refuses a message by its timestamp. */
  constructor(private readonly maxOrigins: number, maxAgeMs: number) {
    this.floor = new ReplayFloor(maxAgeMs)
  }

  /** Origins remembered. */
  get size(): number {
    return this.slots.size
  }

  /** Bytes of the typed arrays behind the windows (they grow by doubling, up to maxOrigins slots). */
  get byteLength(): number {
    return this.highest.byteLength + this.bits.byteLength + this.newestMs.byteLength
  }

  /**
   * Whether `seq` of `origin`, signed at `timestampMs`, would be accepted now. Changes nothing
   * (a forged copy must not).
   */
  check(origin: bigint, seq: bigint, timestampMs: number): ReplayVerdict {
    const slot = this.slots.get(origin)
    if (slot === undefined) return this.floor.admits(timestampMs) ? 'new' : 'forgotten'
    return this.isFresh(slot, seq) ? 'new' : 'replayed'
  }

  /**
   * Accepts `seq` of `origin`, signed at `timestampMs`, and marks it, when it is new; call only
   * once its signature has verified (and its timestamp is inside the age window at `nowMs`).
   * Refreshes the origin's recency, forgetting the least recent origin when full.
   */
  accept(origin: bigint, seq: bigint, timestampMs: number, nowMs: number): ReplayVerdict {
    let slot = this.slots.get(origin)
    if (slot === undefined) {
      if (!this.floor.admits(timestampMs)) return 'forgotten'
      slot = this.allocate(nowMs)
      this.highest[slot] = seq
      this.bits.fill(0, slot * RING_WORDS, (slot + 1) * RING_WORDS)
      this.mark(slot, seq)
      this.newestMs[slot] = timestampMs
      this.slots.set(origin, slot)
      return 'new'
    }
    if (!this.isFresh(slot, seq)) return 'replayed'
    this.slide(slot, seq)
    this.mark(slot, seq)
    if (timestampMs > this.newestMs[slot]) this.newestMs[slot] = timestampMs
    this.slots.delete(origin)
    this.slots.set(origin, slot)
    return 'new'
  }

  clear(): void {
    this.slots.clear()
    this.slotCount = 0
    this.highest = new BigUint64Array(INITIAL_SLOTS)
    this.bits = new Uint32Array(INITIAL_SLOTS * RING_WORDS)
    this.newestMs = new Float64Array(INITIAL_SLOTS)
    this.floor.clear()
  }

  private isFresh(slot: number, seq: bigint): boolean {
    const highest = this.highest[slot]
    if (seq > highest) return true
    if (highest - seq >= WINDOW_BIG) return false
    return (this.bits[wordOf(slot, seq)] & bitOf(seq)) === 0
  }

  /** Moves the window's top to `seq` when it is above it, clearing the words it moves past. */
  private slide(slot: number, seq: bigint): void {
    const highest = this.highest[slot]
    if (seq <= highest) return
    const from = highest / WORD_BITS
    const to = seq / WORD_BITS
    const base = slot * RING_WORDS
    if (to - from >= RING_WORDS_BIG) {
      this.bits.fill(0, base, base + RING_WORDS)
    } else {
      for (let block = from + 1n; block <= to; block++) this.bits[base + Number(block % RING_WORDS_BIG)] = 0
    }
    this.highest[slot] = seq
  }

  private mark(slot: number, seq: bigint): void {
    this.bits[wordOf(slot, seq)] |= bitOf(seq)
  }

  /**
   * A free slot: a new one while under the bound, else the least recent origin's. That origin
   * is forgotten; when its newest message is not yet older than the age limit, its timestamp
   * raises the floor, so none of its messages can come back as new.
   */
  private allocate(nowMs: number): number {
    if (this.slots.size >= this.maxOrigins) {
      const [origin, slot] = this.slots.entries().next().value as [bigint, number]
      this.slots.delete(origin)
      this.floor.forget(this.newestMs[slot], nowMs)
      return slot
    }
    const slot = this.slotCount++
    if (slot === this.highest.length) {
      const capacity = Math.min(this.highest.length * 2, this.maxOrigins)
      const highest = new BigUint64Array(capacity)
      highest.set(this.highest)
      this.highest = highest
      const bits = new Uint32Array(capacity * RING_WORDS)
      bits.set(this.bits)
      this.bits = bits
      const newestMs = new Float64Array(capacity)
      newestMs.set(this.newestMs)
      this.newestMs = newestMs
    }
    return slot
  }
}

function wordOf(slot: number, seq: bigint): number {
  return slot * RING_WORDS + Number((seq / WORD_BITS) % RING_WORDS_BIG)
}

function bitOf(seq: bigint): number {
  return (1 << Number(seq % WORD_BITS)) >>> 0
}
