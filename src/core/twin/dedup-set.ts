// DedupSet in pure TypeScript: the twin of assembly/dedup.ts (same ring, cursors, Robin Hood
// index and overflow FIFO; see that file for the design). Keys are held as two u32 halves so
// the hot path never allocates a bigint; the hash differs from the wasm one, which changes
// where keys sit in the index but never what the set answers. The wasm side's four-slots-at-
// a-time loops are a branch-prediction tuning and are left out here. The tables grow as the
// wasm ones do (same sizes at the same moments, so byteLength agrees).

import type { DedupSet, DedupSetOptions } from '../contracts.js'
import {
  checkKey, checkKeys, checkNow, DEDUP_INITIAL_CAPACITY, dedupByteLength, dedupIndexSize, dedupOverflowCapacity, freed, resolveDedupSetOptions,
} from '../dedup-set-options.js'

const DELTA_OVERFLOW = 0xffff
const DISP_BITS = 8
const DISP_MAX = (1 << DISP_BITS) - 1
const CLEANUP_PER_CALL = 2
const WIPE_THRESHOLD = 64

function fmix32(value: number): number {
  let h = value
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

export class TwinDedupSet implements DedupSet {
  readonly capacity: number
  readonly ttlMs: number
  /** Positions in the ring now: grows from DEDUP_INITIAL_CAPACITY to capacity. */
  private ringCapacity = 0
  private indexSize = 0
  private posBits = 0
  private posMask = 0
  private keysLo: Uint32Array
  private keysHi: Uint32Array
  private deltas: Uint16Array
  private index: Uint32Array
  private overflow: Float64Array
  private overflowHead = 0
  private overflowCount = 0
  private phys = 0
  private liveHead = 0
  private tail = 0
  private physCount = 0
  private liveCount = 0
  private headTime = 0
  private lastInsert = 0
  private lastNow = 0
  private isFreed = false
  // Hash of the key being looked up, set by hashKey().
  private home = 0
  private fingerprint = 0
  // The slot whose entry unindexOldest() removed.
  private removedSlot = 0

  constructor(options: DedupSetOptions) {
    const { capacity, ttlMs } = resolveDedupSetOptions(options)
    this.capacity = capacity
    this.ttlMs = ttlMs
    this.keysLo = this.keysHi = new Uint32Array(0)
    this.deltas = new Uint16Array(0)
    this.index = new Uint32Array(0)
    this.overflow = new Float64Array(0)
    this.allocateTables(Math.min(capacity, DEDUP_INITIAL_CAPACITY))
  }

  /** Bytes held now, as the WebAssembly set counts them (0 once freed). */
  get byteLength(): number {
    return this.isFreed ? 0 : dedupByteLength(this.ringCapacity, this.ttlMs)
  }

  get size(): number {
    this.live()
    return this.liveCount
  }

  add(key: bigint, nowMs: number): boolean {
    this.live()
    checkKey(key)
    checkNow(nowMs)
    const now = this.advance(nowMs)
    return this.insert(Number(key & 0xffff_ffffn), Number(key >> 32n), now)
  }

  has(key: bigint, nowMs: number): boolean {
    this.live()
    checkKey(key)
    checkNow(nowMs)
    this.advance(nowMs)
    const lo = Number(key & 0xffff_ffffn)
    const hi = Number(key >> 32n)
    this.hashKey(lo, hi)
    return this.find(lo, hi) >= 0
  }

  addBatch(keys: BigUint64Array, nowMs: number, out?: Uint8Array): number {
    this.live()
    checkKeys(keys, out)
    checkNow(nowMs)
    const now = this.advance(nowMs)
    // Little-endian halves of each key, read without creating bigints.
    const words = new Uint32Array(keys.buffer, keys.byteOffset, keys.length * 2)
    let added = 0
    for (let i = 0; i < keys.length; i++) {
      const isNew = this.insert(words[2 * i], words[2 * i + 1], now)
      if (out !== undefined) out[i] = isNew ? 1 : 0
      if (isNew) added++
    }
    return added
  }

  expire(nowMs: number): void {
    this.live()
    checkNow(nowMs)
    this.advance(nowMs)
  }

  clear(): void {
    this.live()
    this.index.fill(0)
    this.overflowHead = this.overflowCount = 0
    this.phys = this.liveHead = this.tail = 0
    this.physCount = this.liveCount = 0
  }

  free(): void {
    if (this.isFreed) return
    this.isFreed = true
    this.keysLo = this.keysHi = new Uint32Array(0)
    this.deltas = new Uint16Array(0)
    this.index = new Uint32Array(0)
    this.overflow = new Float64Array(0)
  }

  private live(): void {
    if (this.isFreed) throw freed()
  }

  private allocateTables(ringCapacity: number): void {
    this.ringCapacity = ringCapacity
    this.indexSize = dedupIndexSize(ringCapacity)
    this.posBits = 32 - Math.clz32(ringCapacity)
    this.posMask = this.posBits >= 32 ? 0xffffffff : (1 << this.posBits) - 1
    this.keysLo = new Uint32Array(ringCapacity)
    this.keysHi = new Uint32Array(ringCapacity)
    this.deltas = new Uint16Array(ringCapacity)
    this.index = new Uint32Array(this.indexSize)
    this.overflow = new Float64Array(dedupOverflowCapacity(ringCapacity, this.ttlMs))
  }

  /** Doubles the tables (up to capacity) of a set full of live keys; see assembly/dedup.ts grow(). */
  private grow(): void {
    const oldLo = this.keysLo
    const oldHi = this.keysHi
    const oldDeltas = this.deltas
    const oldOverflow = this.overflow
    const oldCapacity = this.ringCapacity
    const count = this.liveCount
    const head = this.liveHead
    this.allocateTables(oldCapacity > this.capacity / 2 ? this.capacity : oldCapacity * 2)
    for (let i = 0; i < count; i++) {
      const from = head + i < oldCapacity ? head + i : head + i - oldCapacity
      this.keysLo[i] = oldLo[from]
      this.keysHi[i] = oldHi[from]
      this.deltas[i] = oldDeltas[from]
    }
    for (let i = 0; i < this.overflowCount; i++) {
      const from = this.overflowHead + i < oldOverflow.length ? this.overflowHead + i : this.overflowHead + i - oldOverflow.length
      this.overflow[i] = oldOverflow[from]
    }
    this.overflowHead = 0
    this.phys = this.liveHead = 0
    this.tail = count
    this.physCount = count
    for (let position = 0; position < count; position++) {
      const lo = this.keysLo[position]
      const hi = this.keysHi[position]
      this.hashKey(lo, hi)
      const slot = -this.find(lo, hi) - 1
      this.place(slot, this.fingerprint | (this.displacement(this.home, slot) << this.posBits) | (position + 1))
    }
  }

  private hashKey(lo: number, hi: number): void {
    const h = fmix32(lo ^ fmix32(hi ^ 0x9e3779b9))
    const h2 = fmix32(h ^ hi)
    this.home = this.homeOfHash(h)
    const shift = this.posBits + DISP_BITS
    this.fingerprint = shift >= 32 ? 0 : ((h2 >>> shift) << shift) >>> 0
  }

  /** Multiply-high of h by indexSize in exact integer steps (the product exceeds 2**53). */
  private homeOfHash(h: number): number {
    const size = this.indexSize
    return Math.floor(((h >>> 16) * size + Math.floor(((h & 0xffff) * size) / 65536)) / 65536)
  }

  /** The home slot of the key at ring `position`, leaving the hashKey() fields alone. */
  private homeOfPosition(position: number): number {
    const hi = this.keysHi[position]
    return this.homeOfHash(fmix32(this.keysLo[position] ^ fmix32(hi ^ 0x9e3779b9)))
  }

  /** The exact displacement of `entry` at `slot`, from its key: for saturated entries only. */
  private trueDisplacement(entry: number, slot: number): number {
    return this.distance(this.homeOfPosition(((entry & this.posMask) >>> 0) - 1), slot)
  }

  private fingerprintBits(entry: number): number {
    const shift = this.posBits + DISP_BITS
    return shift >= 32 ? 0 : ((entry >>> shift) << shift) >>> 0
  }

  private distance(from: number, to: number): number {
    return to >= from ? to - from : to + this.indexSize - from
  }

  private displacement(from: number, to: number): number {
    const d = this.distance(from, to)
    return d < DISP_MAX ? d : DISP_MAX
  }

  private next(position: number): number {
    return position + 1 === this.ringCapacity ? 0 : position + 1
  }

  private dropOldestLive(): void {
    const head = this.next(this.liveHead)
    this.liveHead = head
    this.liveCount--
    if (this.liveCount === 0) return
    let delta = this.deltas[head]
    if (delta === DELTA_OVERFLOW) {
      delta = this.overflow[this.overflowHead]
      this.overflowHead = this.overflowHead + 1 === this.overflow.length ? 0 : this.overflowHead + 1
      this.overflowCount--
    }
    this.headTime += delta
  }

  /**
   * Removes the index entry of the oldest indexed position (which must be dead). Returns the
   * slot left empty; the slot the entry held is left in removedSlot.
   */
  private unindexOldest(): number {
    const position = this.phys
    const index = this.index
    const size = this.indexSize
    const posMask = this.posMask
    const wanted = position + 1
    let slot = this.homeOfPosition(position)
    while (((index[slot] & posMask) >>> 0) !== wanted) slot = slot + 1 === size ? 0 : slot + 1
    this.removedSlot = slot
    // Backward-shift deletion: pull the rest of the run back one slot, up to an empty slot or
    // an entry at its home (an empty entry has displacement 0 too).
    const posBits = this.posBits
    const dispOne = 1 << posBits
    let hole = slot
    for (;;) {
      const next = hole + 1 === size ? 0 : hole + 1
      const entry = index[next]
      const disp = (entry >>> posBits) & DISP_MAX
      if (disp === 0) break
      if (disp < DISP_MAX) {
        index[hole] = (entry - dispOne) | 0
      } else {
        const exact = Math.min(this.trueDisplacement(entry, next) - 1, DISP_MAX)
        index[hole] = (entry & ~(DISP_MAX << posBits)) | (exact << posBits)
      }
      hole = next
    }
    index[hole] = 0
    this.phys = this.next(position)
    this.physCount--
    return hole
  }

  private advance(nowMs: number): number {
    let now = Math.floor(nowMs)
    if (now < this.lastNow) now = this.lastNow
    this.lastNow = now
    const ttl = this.ttlMs
    if (this.liveCount > 0) {
      if (now - this.lastInsert >= ttl) {
        this.liveHead = this.tail
        this.liveCount = 0
        this.overflowHead = this.overflowCount = 0
      } else {
        while (now - this.headTime >= ttl) this.dropOldestLive()
      }
    }
    const dead = this.physCount - this.liveCount
    if (this.liveCount === 0 && dead > WIPE_THRESHOLD) {
      this.index.fill(0)
      this.phys = this.tail
      this.physCount = 0
    } else {
      const steps = Math.min(dead, CLEANUP_PER_CALL)
      for (let i = 0; i < steps; i++) this.unindexOldest()
    }
    return now
  }

  private isLive(position: number): boolean {
    const tail = this.tail
    const age = tail > position ? tail - position : tail + this.ringCapacity - position
    return age <= this.liveCount
  }

  /** Uses the hash from hashKey(); returns the slot, or -(slot where it would go + 1). */
  private find(lo: number, hi: number): number {
    const index = this.index
    const size = this.indexSize
    const posBits = this.posBits
    const posMask = this.posMask
    const fingerprint = this.fingerprint
    let slot = this.home
    for (let disp = 0; ; disp++) {
      const entry = index[slot]
      if (entry === 0) return -(slot + 1)
      const entryDisp = (entry >>> posBits) & DISP_MAX
      // An entry less displaced than we are has its home after ours: the key is not further on.
      if (entryDisp < disp && (entryDisp < DISP_MAX || this.trueDisplacement(entry, slot) < disp)) return -(slot + 1)
      if (entryDisp === Math.min(disp, DISP_MAX) && this.fingerprintBits(entry) === fingerprint) {
        const position = ((entry & posMask) >>> 0) - 1
        if (this.keysLo[position] === lo && this.keysHi[position] === hi && this.isLive(position)) return slot
      }
      slot = slot + 1 === size ? 0 : slot + 1
    }
  }

  /** Writes `entry` at `slot`, shifting the rest of the run one slot forward. */
  private place(slot: number, entry: number): void {
    const index = this.index
    const size = this.indexSize
    const posBits = this.posBits
    const dispOne = 1 << posBits
    let carried = entry
    let at = slot
    for (;;) {
      const current = index[at]
      index[at] = carried
      if (current === 0) return
      // One slot further from home; a saturated displacement stays saturated.
      carried = ((current >>> posBits) & DISP_MAX) === DISP_MAX ? current : (current + dispOne) | 0
      at = at + 1 === size ? 0 : at + 1
    }
  }

  private insert(lo: number, hi: number, now: number): boolean {
    if (this.liveCount === this.ringCapacity && this.ringCapacity < this.capacity) this.grow()
    this.hashKey(lo, hi)
    const home = this.home
    const fingerprint = this.fingerprint
    const found = this.find(lo, hi)
    if (found >= 0) return false
    if (this.liveCount === this.ringCapacity) this.dropOldestLive()
    let slot = -found - 1
    if (this.physCount === this.ringCapacity) {
      // The oldest (dead by now) gives up its place; its deletion shifts back the entries after
      // its slot, up to and including the slot after the one it leaves empty, and the key's
      // slot with them unless it was the key's home (see assembly/dedup.ts).
      const hole = this.unindexOldest()
      const at = this.distance(this.removedSlot, slot)
      if (at !== 0 && at <= this.distance(this.removedSlot, hole) + 1 && slot !== home) {
        slot = slot === 0 ? this.indexSize - 1 : slot - 1
      }
    }
    const position = this.tail
    this.keysLo[position] = lo
    this.keysHi[position] = hi
    let delta = 0
    if (this.liveCount === 0) {
      this.headTime = now
    } else {
      const gap = now - this.lastInsert
      if (gap >= DELTA_OVERFLOW) {
        delta = DELTA_OVERFLOW
        let at = this.overflowHead + this.overflowCount
        if (at >= this.overflow.length) at -= this.overflow.length
        this.overflow[at] = gap
        this.overflowCount++
      } else {
        delta = gap
      }
    }
    this.deltas[position] = delta
    this.lastInsert = now
    this.place(slot, fingerprint | (this.displacement(home, slot) << this.posBits) | (position + 1))
    this.tail = this.next(position)
    this.physCount++
    this.liveCount++
    return true
  }
}
