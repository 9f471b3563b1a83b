// Anti-replay for relayed messages: per origin, the highest sequence number accepted and a
// bitmap of the REPLAY_WINDOW_SEQS below it, the sliding window of IPsec and DTLS (RFC 4303
// section 3.4.3, RFC 6347 section 4.1.2.6), kept as a ring of 32-bit words that is cleared a
// word at a time as the window moves (RFC 6479), so sliding costs no shifting.
//
// The dedup set (src/core) forgets a message after its TTL or when it is full; this table
// keeps refusing it. It is bounded too: at most `maxOrigins` origins, the least recently
// accepted forgotten first. What that means for replay: a message is refused as long as it
// is still in the dedup set, or its origin is among the `maxOrigins` origins most recently
// heard from. A publish carries no timestamp (the signature covers topic, origin, seq and
// data only), so an origin forgotten here starts afresh at whatever it sends next, and an
// old message of it replayed after both forgot it is accepted once more.
//
// All state sits in typed arrays indexed by slot, grown by doubling up to the bound: a relay
// that hears few origins holds little, and a 100,000-node simulation does not allocate
// maxOrigins slots per node.

/** Sequence numbers below the highest accepted one that are still told apart (older: refused). */
export const REPLAY_WINDOW_SEQS = 1_024

const WORD_BITS = 32n
/** One word more than the window: the word the window's bottom is moving out of. */
const RING_WORDS = REPLAY_WINDOW_SEQS / 32 + 1
const RING_WORDS_BIG = BigInt(RING_WORDS)
const WINDOW_BIG = BigInt(REPLAY_WINDOW_SEQS)
const INITIAL_SLOTS = 16

/** What the window says about a sequence number of one origin. */
export type ReplayVerdict = 'new' | 'replayed'

export class ReplayWindows {
  /** Origin (a keyed 64-bit hash of its id) to its slot; insertion order is recency order. */
  private readonly slots = new Map<bigint, number>()
  /** u64 highest[slot]: the highest sequence number accepted from the slot's origin. */
  private highest = new BigUint64Array(INITIAL_SLOTS)
  /** u32 bits[slot * RING_WORDS + (seq / 32) % RING_WORDS], bit seq % 32: seq was accepted. */
  private bits = new Uint32Array(INITIAL_SLOTS * RING_WORDS)
  private slotCount = 0

  constructor(private readonly maxOrigins: number) {}

  /** Origins remembered. */
  get size(): number {
    return this.slots.size
  }

  /** Bytes of the typed arrays behind the windows (they grow by doubling, up to maxOrigins slots). */
  get byteLength(): number {
    return this.highest.byteLength + this.bits.byteLength
  }

  /** Whether `seq` of `origin` would be accepted now. Changes nothing (a forged copy must not). */
  check(origin: bigint, seq: bigint): ReplayVerdict {
    const slot = this.slots.get(origin)
    if (slot === undefined) return 'new'
    return this.isFresh(slot, seq) ? 'new' : 'replayed'
  }

  /**
   * Accepts `seq` of `origin` and marks it, when it is fresh; call only once its signature has
   * verified. Refreshes the origin's recency, evicting the least recent origin when full.
   */
  accept(origin: bigint, seq: bigint): ReplayVerdict {
    let slot = this.slots.get(origin)
    if (slot === undefined) {
      slot = this.allocate()
      this.highest[slot] = seq
      this.bits.fill(0, slot * RING_WORDS, (slot + 1) * RING_WORDS)
      this.mark(slot, seq)
      this.slots.set(origin, slot)
      return 'new'
    }
    if (!this.isFresh(slot, seq)) return 'replayed'
    this.slide(slot, seq)
    this.mark(slot, seq)
    this.slots.delete(origin)
    this.slots.set(origin, slot)
    return 'new'
  }

  clear(): void {
    this.slots.clear()
    this.slotCount = 0
    this.highest = new BigUint64Array(INITIAL_SLOTS)
    this.bits = new Uint32Array(INITIAL_SLOTS * RING_WORDS)
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

  /** A free slot: a new one while under the bound, else the least recent origin's. */
  private allocate(): number {
    if (this.slots.size >= this.maxOrigins) {
      const oldest = this.slots.entries().next().value as [bigint, number]
      this.slots.delete(oldest[0])
      return oldest[1]
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
