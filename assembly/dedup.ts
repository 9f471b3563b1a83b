// DedupSet: a set of u64 message ids with exact TTL expiry and FIFO eviction, in at most
// 16 bytes a key. Keys live in a ring in insertion order (so "oldest" and "expired" are
// both a prefix of the ring); an open-addressing index of u32 entries finds them.
//
// Ring, per position (capacity C):     u64 key, u16 time delta to the previous position
// Index, S = C + ceil(3C / 7) entries: u32 = fingerprint | displacement (8 bits) | position + 1,
//   0 = empty. The displacement is the distance from the key's home slot; 255 means 255 or
//   more, and then the exact value is worked out from the key (practically never needed).
// Bytes a key at C = 1,000,000: 8 + 2 + 4 * 10/7 = 15.71 (plus the overflow list below).
//
// The index is Robin Hood linear probing, at most 7/10 full: along every run of occupied
// slots the entries are ordered by home, so each displacement is at most the previous slot's
// plus one. A lookup stops at the first entry less displaced than its own probe distance (that
// entry's home lies after the key's), and fingerprint and displacement together filter the
// entries it passes, so the ring is read only for a probable match. Insertion shifts the rest
// of the run one slot on; deletion shifts it back up to an empty slot or an entry at its
// home. Both only add or subtract one from displacements, so neither reads a key (except to
// lower a saturated one). A full set deletes and inserts once per new key: unordered linear
// probing at 3/4 load probed about 8.5 slots for a missing key and walked whole clusters,
// reading keys, to delete one.
//
// Three cursors walk the ring: phys <= liveHead <= tail. [liveHead, tail) is the live set;
// [phys, liveHead) is dead but still indexed, and is unindexed a few entries per call so no
// call stops the world. Times are stored as deltas between neighbours: a key only ever needs
// its time when it becomes the oldest live key. A delta of 65,535 ms or more is stored as
// 0xFFFF and its value in a small FIFO; live keys span less than ttlMs, so that FIFO never
// holds more than ttlMs / 65,535 values and is sized for that at creation.
//
// The tables start at INITIAL_CAPACITY keys and double, up to the set's capacity, when a new
// key finds them full of live keys: each growth moves the live keys, in order, to new tables
// and indexes them afresh (O(keys), amortized O(1) a key), so a node's sets cost what they
// hold, not what they may hold. clear() keeps the tables grown.

import { allocSlot, allocZeroed, releaseSlot } from './slots'
import { inputRegion, outputRegion } from './scratch'

// Header layout (offsets in the 128-byte slot).
const CAPACITY = 0 //        u32 C: most keys held
const INDEX_SIZE = 4 //      u32 S: index entries
const POS_BITS = 8 //        u32 bits of an index entry holding position + 1
const POS_MASK = 12 //       u32 (1 << POS_BITS) - 1
const KEYS = 16 //           usize -> u64 keys[C]
const DELTAS = 20 //         usize -> u16 deltas[C]
const INDEX = 24 //          usize -> u32 index[S]
const OVERFLOW = 28 //       usize -> f64 overflow[OVERFLOW_CAP], a ring
const OVERFLOW_CAP = 32 //   u32
const OVERFLOW_HEAD = 36 //  u32 oldest overflow value
const OVERFLOW_COUNT = 40 // u32
const PHYS = 44 //           u32 oldest indexed position
const LIVE_HEAD = 48 //      u32 oldest live position
const TAIL = 52 //           u32 next position to write
const PHYS_COUNT = 56 //     u32 indexed positions: [phys, tail)
const LIVE_COUNT = 60 //     u32 live positions: [liveHead, tail)
const TTL = 64 //            f64 ttl in ms
const HEAD_TIME = 72 //      f64 insert time of the key at liveHead
const LAST_INSERT = 80 //    f64 insert time of the key at tail - 1
const LAST_NOW = 88 //       f64 latest time seen: the set's clock never runs backwards
const MAX_CAPACITY = 96 //   u32 the set's capacity: CAPACITY (the tables' size) grows up to it

const INITIAL_CAPACITY: u32 = 256

const DELTA_OVERFLOW: u32 = 0xffff
const DISP_BITS: u32 = 8
const DISP_MAX: u32 = (1 << DISP_BITS) - 1
// Dead entries unindexed per call, beyond the one an insert into a full ring forces.
const CLEANUP_PER_CALL: u32 = 2
// Below this many dead entries a fully expired set is cleaned entry by entry, above it
// the index is wiped in one memory.fill (about 0.3 ms for the index of a million keys).
const WIPE_THRESHOLD: u32 = 64

// The murmur3 64-bit finalizer: keys may be sequential, and the index needs every bit mixed.
// @ts-ignore: decorator
@inline function mix(key: u64): u64 {
  let h = key
  h ^= h >> 33
  h *= 0xff51afd7ed558ccd
  h ^= h >> 33
  h *= 0xc4ceb9fe1a85ec53
  h ^= h >> 33
  return h
}

// @ts-ignore: decorator
@inline function homeOf(h: u64, size: u32): u32 {
  return <u32>(((h >> 32) * <u64>size) >> 32)
}

// The low word's top bits above position and displacement; none left at the largest capacities.
// @ts-ignore: decorator
@inline function fingerprintOf(h: u64, posBits: u32): u32 {
  const shift = posBits + DISP_BITS
  return shift >= 32 ? 0 : ((<u32>h) >>> shift) << shift
}

// @ts-ignore: decorator
@inline function distance(from: u32, to: u32, size: u32): u32 {
  return to >= from ? to - from : to + size - from
}

// @ts-ignore: decorator
@inline function displacement(from: u32, to: u32, size: u32): u32 {
  const d = distance(from, to, size)
  return d < DISP_MAX ? d : DISP_MAX
}

/** The exact displacement of `entry` at `slot`, from its key: for saturated entries only. */
// @ts-ignore: decorator
@inline function trueDisplacement(set: usize, entry: u32, slot: u32): u32 {
  const position = (entry & load<u32>(set + POS_MASK)) - 1
  const size = load<u32>(set + INDEX_SIZE)
  return distance(homeOf(mix(load<u64>(load<usize>(set + KEYS) + (<usize>position << 3))), size), slot, size)
}

// @ts-ignore: decorator
@inline function fingerprintBits(entry: u32, posBits: u32): u32 {
  const shift = posBits + DISP_BITS
  return shift >= 32 ? 0 : (entry >>> shift) << shift
}

export function dedup_create(capacity: u32, ttlMs: f64): usize {
  const set = allocSlot()
  store<u32>(set + MAX_CAPACITY, capacity)
  store<f64>(set + TTL, ttlMs)
  allocateTables(set, capacity < INITIAL_CAPACITY ? capacity : INITIAL_CAPACITY)
  return set
}

/** Empty tables for `capacity` keys: ring, deltas, index and overflow FIFO, and their sizes. */
function allocateTables(set: usize, capacity: u32): void {
  const size = capacity + (capacity * 3 + 6) / 7
  const posBits = 32 - clz<u32>(capacity)
  let overflowCap = <u32>((load<f64>(set + TTL) - 1) / 65535) + 1
  if (overflowCap > capacity) overflowCap = capacity
  store<u32>(set + CAPACITY, capacity)
  store<u32>(set + INDEX_SIZE, size)
  store<u32>(set + POS_BITS, posBits)
  store<u32>(set + POS_MASK, posBits >= 32 ? 0xffffffff : (<u32>1 << posBits) - 1)
  store<usize>(set + KEYS, allocZeroed(<usize>capacity << 3))
  store<usize>(set + DELTAS, allocZeroed(<usize>capacity << 1))
  store<usize>(set + INDEX, allocZeroed(<usize>size << 2))
  store<usize>(set + OVERFLOW, allocZeroed(<usize>overflowCap << 3))
  store<u32>(set + OVERFLOW_CAP, overflowCap)
}

/**
 * Doubles the tables (up to MAX_CAPACITY) of a set full of live keys: the keys and their
 * deltas move in order to the start of the new ring, the overflow values to the start of the
 * new FIFO, and every key is indexed afresh (positions and index size both changed).
 */
function grow(set: usize): void {
  const oldCapacity = load<u32>(set + CAPACITY)
  const oldKeys = load<usize>(set + KEYS)
  const oldDeltas = load<usize>(set + DELTAS)
  const oldIndex = load<usize>(set + INDEX)
  const oldOverflow = load<usize>(set + OVERFLOW)
  const oldOverflowCap = load<u32>(set + OVERFLOW_CAP)
  const count = load<u32>(set + LIVE_COUNT)
  const head = load<u32>(set + LIVE_HEAD)
  const max = load<u32>(set + MAX_CAPACITY)
  allocateTables(set, oldCapacity > max >> 1 ? max : oldCapacity << 1)
  const keys = load<usize>(set + KEYS)
  const deltas = load<usize>(set + DELTAS)
  // The live keys are [head, head + count) modulo the old capacity: at most two runs.
  const first = oldCapacity - head < count ? oldCapacity - head : count
  memory.copy(keys, oldKeys + (<usize>head << 3), <usize>first << 3)
  memory.copy(keys + (<usize>first << 3), oldKeys, <usize>(count - first) << 3)
  memory.copy(deltas, oldDeltas + (<usize>head << 1), <usize>first << 1)
  memory.copy(deltas + (<usize>first << 1), oldDeltas, <usize>(count - first) << 1)
  const overflow = load<usize>(set + OVERFLOW)
  const overflowHead = load<u32>(set + OVERFLOW_HEAD)
  const overflowCount = load<u32>(set + OVERFLOW_COUNT)
  for (let i: u32 = 0; i < overflowCount; i++) {
    let at = overflowHead + i
    if (at >= oldOverflowCap) at -= oldOverflowCap
    store<f64>(overflow + (<usize>i << 3), load<f64>(oldOverflow + (<usize>at << 3)))
  }
  store<u32>(set + OVERFLOW_HEAD, 0)
  store<u32>(set + PHYS, 0)
  store<u32>(set + LIVE_HEAD, 0)
  store<u32>(set + TAIL, count)
  store<u32>(set + PHYS_COUNT, count)
  heap.free(oldKeys)
  heap.free(oldDeltas)
  heap.free(oldIndex)
  heap.free(oldOverflow)
  const size = load<u32>(set + INDEX_SIZE)
  const posBits = load<u32>(set + POS_BITS)
  for (let position: u32 = 0; position < count; position++) {
    const key = load<u64>(keys + (<usize>position << 3))
    const h = mix(key)
    const slot = <u32>(-find(set, key, h) - 1)
    place(set, slot, fingerprintOf(h, posBits) | (displacement(homeOf(h, size), slot, size) << posBits) | (position + 1))
  }
}

/** Grows the tables when a new key would find them full of live keys and the set may grow. */
// @ts-ignore: decorator
@inline function growIfFull(set: usize): bool {
  const capacity = load<u32>(set + CAPACITY)
  if (load<u32>(set + LIVE_COUNT) != capacity || capacity == load<u32>(set + MAX_CAPACITY)) return false
  grow(set)
  return true
}

export function dedup_free(set: usize): void {
  heap.free(load<usize>(set + KEYS))
  heap.free(load<usize>(set + DELTAS))
  heap.free(load<usize>(set + INDEX))
  heap.free(load<usize>(set + OVERFLOW))
  releaseSlot(set)
}

export function dedup_byte_length(set: usize): f64 {
  const capacity = <f64>load<u32>(set + CAPACITY)
  return 128 + capacity * 10 + <f64>load<u32>(set + INDEX_SIZE) * 4 + <f64>load<u32>(set + OVERFLOW_CAP) * 8
}

export function dedup_size(set: usize): u32 {
  return load<u32>(set + LIVE_COUNT)
}

export function dedup_clear(set: usize): void {
  memory.fill(load<usize>(set + INDEX), 0, <usize>load<u32>(set + INDEX_SIZE) << 2)
  store<u32>(set + OVERFLOW_HEAD, 0)
  store<u32>(set + OVERFLOW_COUNT, 0)
  store<u32>(set + PHYS, 0)
  store<u32>(set + LIVE_HEAD, 0)
  store<u32>(set + TAIL, 0)
  store<u32>(set + PHYS_COUNT, 0)
  store<u32>(set + LIVE_COUNT, 0)
}

// @ts-ignore: decorator
@inline function nextPosition(set: usize, position: u32): u32 {
  const next = position + 1
  return next == load<u32>(set + CAPACITY) ? 0 : next
}

/** Moves the live head one key forward, learning the new head's time from its delta. */
function dropOldestLive(set: usize): void {
  const head = nextPosition(set, load<u32>(set + LIVE_HEAD))
  store<u32>(set + LIVE_HEAD, head)
  const remaining = load<u32>(set + LIVE_COUNT) - 1
  store<u32>(set + LIVE_COUNT, remaining)
  if (remaining == 0) return
  let delta = <f64>load<u16>(load<usize>(set + DELTAS) + (<usize>head << 1))
  if (delta == <f64>DELTA_OVERFLOW) {
    const first = load<u32>(set + OVERFLOW_HEAD)
    delta = load<f64>(load<usize>(set + OVERFLOW) + (<usize>first << 3))
    const next = first + 1
    store<u32>(set + OVERFLOW_HEAD, next == load<u32>(set + OVERFLOW_CAP) ? 0 : next)
    store<u32>(set + OVERFLOW_COUNT, load<u32>(set + OVERFLOW_COUNT) - 1)
  }
  store<f64>(set + HEAD_TIME, load<f64>(set + HEAD_TIME) + delta)
}

/** The saturated `entry` at `slot` moved one slot back towards its home. */
function movedCloser(set: usize, entry: u32, slot: u32): u32 {
  const posBits = load<u32>(set + POS_BITS)
  const exact = trueDisplacement(set, entry, slot) - 1
  return (entry & ~(DISP_MAX << posBits)) | ((exact < DISP_MAX ? exact : DISP_MAX) << posBits)
}

/** The home slot of the key at the oldest indexed position. */
// @ts-ignore: decorator
@inline function homeOfOldest(set: usize): u32 {
  const position = load<u32>(set + PHYS)
  return homeOf(mix(load<u64>(load<usize>(set + KEYS) + (<usize>position << 3))), load<u32>(set + INDEX_SIZE))
}

/** Removes the index entry of the oldest indexed position (which must be dead), given its
 *  key's home slot. Returns the slot it held in the high word and the slot left empty in
 *  the low word. */
function unindexOldest(set: usize, home: u32): u64 {
  const position = load<u32>(set + PHYS)
  const index = load<usize>(set + INDEX)
  const size = load<u32>(set + INDEX_SIZE)
  const posMask = load<u32>(set + POS_MASK)
  const wanted = position + 1
  let slot = home
  // Four slots at a time where they do not wrap (see placeDense()).
  while (slot + 4 < size) {
    const p = index + (<usize>slot << 2)
    const at0 = (load<u32>(p) & posMask) == wanted
    const at1 = (load<u32>(p, 4) & posMask) == wanted
    const at2 = (load<u32>(p, 8) & posMask) == wanted
    const at3 = (load<u32>(p, 12) & posMask) == wanted
    if (at0 | at1 | at2 | at3) {
      const before1 = !at0
      const before2 = before1 & !at1
      slot += <u32>before1 + <u32>before2 + <u32>(before2 & !at2)
      break
    }
    slot += 4
  }
  while ((load<u32>(index + (<usize>slot << 2)) & posMask) != wanted) {
    slot = slot + 1 == size ? 0 : slot + 1
  }
  // Backward-shift deletion: pull the rest of the run back one slot, up to an empty slot or
  // an entry at its home (an empty entry has displacement 0 too).
  const posBits = load<u32>(set + POS_BITS)
  const dispMask = DISP_MAX << posBits
  const dispOne = <u32>1 << posBits
  let hole = slot
  // Four slots at a time where they do not wrap and hold no saturated displacement, without
  // a branch on where the run ends (see placeDense()).
  while (hole + 5 <= size) {
    const p = index + (<usize>hole << 2)
    const e1 = load<u32>(p, 4)
    const e2 = load<u32>(p, 8)
    const e3 = load<u32>(p, 12)
    const e4 = load<u32>(p, 16)
    const d1 = e1 & dispMask
    const d2 = e2 & dispMask
    const d3 = e3 & dispMask
    const d4 = e4 & dispMask
    if ((d1 == dispMask) | (d2 == dispMask) | (d3 == dispMask) | (d4 == dispMask)) break
    // moves<k>: entries 1..k all move back (no empty slot or entry at home among them).
    const moves1 = d1 != 0
    const moves2 = moves1 & (d2 != 0)
    const moves3 = moves2 & (d3 != 0)
    const moves4 = moves3 & (d4 != 0)
    store<u32>(p, select<u32>(e1 - dispOne, 0, moves1))
    store<u32>(p, select<u32>(e2 - dispOne, select<u32>(0, e1, moves1), moves2), 4)
    store<u32>(p, select<u32>(e3 - dispOne, select<u32>(0, e2, moves2), moves3), 8)
    store<u32>(p, select<u32>(e4 - dispOne, select<u32>(0, e3, moves3), moves4), 12)
    if (!moves4) {
      hole += <u32>moves1 + <u32>moves2 + <u32>moves3
      store<u32>(set + PHYS, nextPosition(set, position))
      store<u32>(set + PHYS_COUNT, load<u32>(set + PHYS_COUNT) - 1)
      return (<u64>slot << 32) | hole
    }
    hole += 4
  }
  let next = hole + 1 == size ? 0 : hole + 1
  let entry = load<u32>(index + (<usize>next << 2))
  while ((entry & dispMask) != 0) {
    store<u32>(index + (<usize>hole << 2), (entry & dispMask) != dispMask ? entry - dispOne : movedCloser(set, entry, next))
    hole = next
    next = next + 1 == size ? 0 : next + 1
    entry = load<u32>(index + (<usize>next << 2))
  }
  store<u32>(index + (<usize>hole << 2), 0)
  store<u32>(set + PHYS, nextPosition(set, position))
  store<u32>(set + PHYS_COUNT, load<u32>(set + PHYS_COUNT) - 1)
  return (<u64>slot << 32) | hole
}

/** Brings the set to time `now`: expires keys, then unindexes a bounded number of dead ones. */
function advance(set: usize, nowMs: f64): f64 {
  let now = Math.floor(nowMs)
  const lastNow = load<f64>(set + LAST_NOW)
  if (now < lastNow) now = lastNow
  store<f64>(set + LAST_NOW, now)
  const ttl = load<f64>(set + TTL)
  if (load<u32>(set + LIVE_COUNT) > 0) {
    if (now - load<f64>(set + LAST_INSERT) >= ttl) {
      // Everything has expired: skip the walk.
      store<u32>(set + LIVE_HEAD, load<u32>(set + TAIL))
      store<u32>(set + LIVE_COUNT, 0)
      store<u32>(set + OVERFLOW_HEAD, 0)
      store<u32>(set + OVERFLOW_COUNT, 0)
    } else {
      while (now - load<f64>(set + HEAD_TIME) >= ttl) dropOldestLive(set)
    }
  }
  const dead = load<u32>(set + PHYS_COUNT) - load<u32>(set + LIVE_COUNT)
  if (load<u32>(set + LIVE_COUNT) == 0 && dead > WIPE_THRESHOLD) {
    memory.fill(load<usize>(set + INDEX), 0, <usize>load<u32>(set + INDEX_SIZE) << 2)
    store<u32>(set + PHYS, load<u32>(set + TAIL))
    store<u32>(set + PHYS_COUNT, 0)
  } else {
    const steps = dead < CLEANUP_PER_CALL ? dead : CLEANUP_PER_CALL
    for (let i: u32 = 0; i < steps; i++) unindexOldest(set, homeOfOldest(set))
  }
  return now
}

// @ts-ignore: decorator
@inline function isLive(set: usize, position: u32): bool {
  // Live positions are the LIVE_COUNT positions ending just before TAIL.
  const tail = load<u32>(set + TAIL)
  const age = tail > position ? tail - position : tail + load<u32>(set + CAPACITY) - position
  return age <= load<u32>(set + LIVE_COUNT)
}

/** The index slot where `key` is live, or the slot where it would be inserted as -(slot + 1). */
function find(set: usize, key: u64, h: u64): i64 {
  const keys = load<usize>(set + KEYS)
  const index = load<usize>(set + INDEX)
  const size = load<u32>(set + INDEX_SIZE)
  const posBits = load<u32>(set + POS_BITS)
  const posMask = load<u32>(set + POS_MASK)
  const dispMask = DISP_MAX << posBits
  const dispOne = <u32>1 << posBits
  // Fingerprint and displacement an entry of this key has at the current probe distance.
  let tag = fingerprintOf(h, posBits)
  let slot = homeOf(h, size)
  let disp: u32 = 0
  while (disp < DISP_MAX) {
    const entry = load<u32>(index + (<usize>slot << 2))
    // An entry less displaced than we are has its home after ours: the key is not further on.
    if ((entry == 0) | ((entry & dispMask) < (tag & dispMask))) return -(<i64>slot + 1)
    if ((entry & ~posMask) == tag) {
      const position = (entry & posMask) - 1
      if (load<u64>(keys + (<usize>position << 3)) == key && isLive(set, position)) return <i64>slot
    }
    slot = slot + 1 == size ? 0 : slot + 1
    tag += dispOne
    disp++
  }
  return findFar(set, key, h, slot, disp)
}

/** find() from probe distance 255 on, where displacements saturate and are read from keys. */
function findFar(set: usize, key: u64, h: u64, from: u32, fromDisp: u32): i64 {
  const keys = load<usize>(set + KEYS)
  const index = load<usize>(set + INDEX)
  const size = load<u32>(set + INDEX_SIZE)
  const posBits = load<u32>(set + POS_BITS)
  const posMask = load<u32>(set + POS_MASK)
  const fingerprint = fingerprintOf(h, posBits)
  let slot = from
  let disp = fromDisp
  while (true) {
    const entry = load<u32>(index + (<usize>slot << 2))
    if (entry == 0) return -(<i64>slot + 1)
    const field = (entry >>> posBits) & DISP_MAX
    const entryDisp = field < DISP_MAX ? field : trueDisplacement(set, entry, slot)
    if (entryDisp < disp) return -(<i64>slot + 1)
    if (entryDisp == disp && fingerprintBits(entry, posBits) == fingerprint) {
      const position = (entry & posMask) - 1
      if (load<u64>(keys + (<usize>position << 3)) == key && isLive(set, position)) return <i64>slot
    }
    slot = slot + 1 == size ? 0 : slot + 1
    disp++
  }
}

/** Writes `entry` at `slot`, shifting the rest of the run one slot forward. */
function place(set: usize, slot: u32, entry: u32): void {
  const capacity = load<u32>(set + CAPACITY)
  if (load<u32>(set + PHYS_COUNT) >= capacity - (capacity >> 3)) {
    placeDense(set, slot, entry)
    return
  }
  const posBits = load<u32>(set + POS_BITS)
  shiftForward(load<usize>(set + INDEX), load<u32>(set + INDEX_SIZE), DISP_MAX << posBits, <u32>1 << posBits, slot, entry)
}

/** place() in a nearly full index. Four slots at a time where they do not wrap, choosing
 *  each slot's new entry without a branch on where the run ends: there runs end at
 *  unpredictable places, and a mispredicted branch costs more than the work it skips. */
function placeDense(set: usize, slot: u32, entry: u32): void {
  const index = load<usize>(set + INDEX)
  const size = load<u32>(set + INDEX_SIZE)
  const posBits = load<u32>(set + POS_BITS)
  const dispMask = DISP_MAX << posBits
  const dispOne = <u32>1 << posBits
  let carried = entry
  let at = slot
  while (at + 4 < size) {
    const p = index + (<usize>at << 2)
    const e0 = load<u32>(p)
    const e1 = load<u32>(p, 4)
    const e2 = load<u32>(p, 8)
    const e3 = load<u32>(p, 12)
    const done0 = e0 == 0
    const done1 = done0 | (e1 == 0)
    const done2 = done1 | (e2 == 0)
    store<u32>(p, carried)
    store<u32>(p, select<u32>(e1, further(e0, dispMask, dispOne), done0), 4)
    store<u32>(p, select<u32>(e2, further(e1, dispMask, dispOne), done1), 8)
    store<u32>(p, select<u32>(e3, further(e2, dispMask, dispOne), done2), 12)
    if (done2 | (e3 == 0)) return
    carried = further(e3, dispMask, dispOne)
    at += 4
  }
  shiftForward(index, size, dispMask, dispOne, at, carried)
}

/** Writes `entry` at `slot` and moves each following entry one slot on, up to an empty slot. */
// @ts-ignore: decorator
@inline function shiftForward(index: usize, size: u32, dispMask: u32, dispOne: u32, slot: u32, entry: u32): void {
  let carried = entry
  let at = slot
  while (true) {
    const current = load<u32>(index + (<usize>at << 2))
    store<u32>(index + (<usize>at << 2), carried)
    if (current == 0) return
    carried = further(current, dispMask, dispOne)
    at = at + 1 == size ? 0 : at + 1
  }
}

/** `entry` one slot further from its home; a saturated displacement stays saturated. */
// @ts-ignore: decorator
@inline function further(entry: u32, dispMask: u32, dispOne: u32): u32 {
  return select<u32>(entry, entry + dispOne, (entry & dispMask) == dispMask)
}

/** Adds `key` (hashed to `h`) unless present; `oldestHome` is the home slot of the oldest
 *  indexed key when the caller knows it, else -1. */
function insert(set: usize, key: u64, h: u64, now: f64, oldestHome: i32): bool {
  growIfFull(set)
  const found = find(set, key, h)
  if (found >= 0) return false
  if (load<u32>(set + LIVE_COUNT) == load<u32>(set + CAPACITY)) dropOldestLive(set)
  const size = load<u32>(set + INDEX_SIZE)
  const home = homeOf(h, size)
  let slot = <u32>(-found - 1)
  if (load<u32>(set + PHYS_COUNT) == load<u32>(set + CAPACITY)) {
    // The ring is full of indexed keys: the oldest (dead by now) must give up its place.
    // Its deletion shifts back the entries after its slot, up to and including the slot
    // after the one it leaves empty; if the key's slot was among them, it moves back too
    // (unless it was the key's home, which only an empty slot after the run can be).
    const removed = unindexOldest(set, oldestHome >= 0 ? <u32>oldestHome : homeOfOldest(set))
    const from = <u32>(removed >>> 32)
    const at = distance(from, slot, size)
    const moved = (at != 0) & (at <= distance(from, <u32>removed, size) + 1) & (slot != home)
    slot = select<u32>(slot == 0 ? size - 1 : slot - 1, slot, moved)
  }
  const position = load<u32>(set + TAIL)
  store<u64>(load<usize>(set + KEYS) + (<usize>position << 3), key)
  let delta: u32 = 0
  if (load<u32>(set + LIVE_COUNT) == 0) {
    // The head's own delta is never read: its time is kept in HEAD_TIME.
    store<f64>(set + HEAD_TIME, now)
  } else {
    const gap = now - load<f64>(set + LAST_INSERT)
    if (gap >= <f64>DELTA_OVERFLOW) {
      delta = DELTA_OVERFLOW
      const cap = load<u32>(set + OVERFLOW_CAP)
      let at = load<u32>(set + OVERFLOW_HEAD) + load<u32>(set + OVERFLOW_COUNT)
      if (at >= cap) at -= cap
      store<f64>(load<usize>(set + OVERFLOW) + (<usize>at << 3), gap)
      store<u32>(set + OVERFLOW_COUNT, load<u32>(set + OVERFLOW_COUNT) + 1)
    } else {
      delta = <u32>gap
    }
  }
  store<u16>(load<usize>(set + DELTAS) + (<usize>position << 1), <u16>delta)
  store<f64>(set + LAST_INSERT, now)
  const posBits = load<u32>(set + POS_BITS)
  place(set, slot, fingerprintOf(h, posBits) | (displacement(home, slot, size) << posBits) | (position + 1))
  store<u32>(set + TAIL, nextPosition(set, position))
  store<u32>(set + PHYS_COUNT, load<u32>(set + PHYS_COUNT) + 1)
  store<u32>(set + LIVE_COUNT, load<u32>(set + LIVE_COUNT) + 1)
  return true
}

export function dedup_add(set: usize, key: u64, nowMs: f64): bool {
  return insert(set, key, mix(key), advance(set, nowMs), -1)
}

export function dedup_has(set: usize, key: u64, nowMs: f64): bool {
  advance(set, nowMs)
  return find(set, key, mix(key)) >= 0
}

export function dedup_expire(set: usize, nowMs: f64): void {
  advance(set, nowMs)
}

// Keys of a batch are looked up in groups: touching each key's index line first lets the
// CPU overlap the cache misses, which dominate once the index outgrows the caches. The
// hashes computed for that are kept for the inserts, as are the home slots of the oldest
// keys, which a full set unindexes one per new key.
const GROUP: u32 = 16
const groupHashes = memory.data(<i32>GROUP << 3, 8) // u64 mix(key) of each key of the group
const groupHomes = memory.data(<i32>GROUP << 2, 4) //  u32 home slot of the next oldest keys
let touched: u32 = 0

/** Adds `count` keys from the input region; writes 1 (new) or 0 per key to the output region. */
export function dedup_add_batch(set: usize, count: u32, nowMs: f64): u32 {
  const now = advance(set, nowMs)
  const keys = inputRegion()
  const flags = outputRegion()
  let index = load<usize>(set + INDEX)
  let size = load<u32>(set + INDEX_SIZE)
  let ring = load<usize>(set + KEYS)
  let capacity = load<u32>(set + CAPACITY)
  let added: u32 = 0
  for (let start: u32 = 0; start < count; start += GROUP) {
    const end = start + GROUP < count ? start + GROUP : count
    let sum: u32 = 0
    for (let i = start; i < end; i++) {
      const h = mix(load<u64>(keys + (<usize>i << 3)))
      store<u64>(groupHashes + (<usize>(i - start) << 3), h)
      sum += load<u32>(index + (<usize>homeOf(h, size) << 2))
    }
    // Each new key of the group unindexes the next oldest once the ring is full of indexed
    // keys; only keys indexed now can be known here (later ones are this group's own).
    const indexed = load<u32>(set + PHYS_COUNT)
    let known: u32 = 0
    if (indexed + (end - start) > capacity) {
      known = end - start < indexed ? end - start : indexed
      let position = load<u32>(set + PHYS)
      for (let k: u32 = 0; k < known; k++) {
        const home = homeOf(mix(load<u64>(ring + (<usize>position << 3))), size)
        store<u32>(groupHomes + (<usize>k << 2), home)
        sum += load<u32>(index + (<usize>home << 2))
        position = position + 1 == capacity ? 0 : position + 1
      }
    }
    touched += sum
    let evicted: u32 = 0
    for (let i = start; i < end; i++) {
      if (growIfFull(set)) {
        // New tables: the homes worked out for the group's evictions no longer apply.
        index = load<usize>(set + INDEX)
        size = load<u32>(set + INDEX_SIZE)
        ring = load<usize>(set + KEYS)
        capacity = load<u32>(set + CAPACITY)
        known = 0
      }
      const willEvict = load<u32>(set + PHYS_COUNT) == capacity
      const oldestHome = willEvict && evicted < known ? <i32>load<u32>(groupHomes + (<usize>evicted << 2)) : -1
      const isNew = insert(set, load<u64>(keys + (<usize>i << 3)), load<u64>(groupHashes + (<usize>(i - start) << 3)), now, oldestHome)
      store<u8>(flags + i, <u8>isNew)
      added += <u32>isNew
      evicted += <u32>(isNew && willEvict)
    }
  }
  return added
}
