// DedupSet: a set of u64 message ids with exact TTL expiry and FIFO eviction, in at most
// 16 bytes a key. Keys live in a ring in insertion order (so "oldest" and "expired" are
// both a prefix of the ring); an open-addressing index of u32 entries finds them.
//
// Ring, per position (capacity C):   u64 key, u16 time delta to the previous position
// Index, S = C + ceil(C / 3) entries: u32 = fingerprint | displacement (8 bits) | position + 1,
//   0 = empty. The displacement (distance from the key's home slot, 255 meaning 255 or more)
//   lets deletion shift entries without reading their keys, and filters lookups together
//   with the fingerprint, so the ring is read only for a probable match.
// Bytes a key at C = 1,000,000: 8 + 2 + 4 * 4/3 = 15.33 (plus the overflow list below).
//
// Three cursors walk the ring: phys <= liveHead <= tail. [liveHead, tail) is the live set;
// [phys, liveHead) is dead but still indexed, and is unindexed a few entries per call so no
// call stops the world. Times are stored as deltas between neighbours: a key only ever needs
// its time when it becomes the oldest live key. A delta of 65,535 ms or more is stored as
// 0xFFFF and its value in a small FIFO; live keys span less than ttlMs, so that FIFO never
// holds more than ttlMs / 65,535 values and is sized for that at creation.

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
@inline function displacement(from: u32, to: u32, size: u32): u32 {
  const d = to >= from ? to - from : to + size - from
  return d < DISP_MAX ? d : DISP_MAX
}

// @ts-ignore: decorator
@inline function fingerprintBits(entry: u32, posBits: u32): u32 {
  const shift = posBits + DISP_BITS
  return shift >= 32 ? 0 : (entry >>> shift) << shift
}

export function dedup_create(capacity: u32, ttlMs: f64): usize {
  const set = allocSlot()
  const size = capacity + (capacity + 2) / 3
  const posBits = 32 - clz<u32>(capacity)
  let overflowCap = <u32>((ttlMs - 1) / 65535) + 1
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
  store<f64>(set + TTL, ttlMs)
  return set
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

/** Removes the index entry of the oldest indexed position (which must be dead); returns the
 *  index slot left empty. */
function unindexOldest(set: usize): u32 {
  const position = load<u32>(set + PHYS)
  const keys = load<usize>(set + KEYS)
  const index = load<usize>(set + INDEX)
  const size = load<u32>(set + INDEX_SIZE)
  const posMask = load<u32>(set + POS_MASK)
  const wanted = position + 1
  let slot = homeOf(mix(load<u64>(keys + (<usize>position << 3))), size)
  while ((load<u32>(index + (<usize>slot << 2)) & posMask) != wanted) {
    slot = slot + 1 == size ? 0 : slot + 1
  }
  // Backward-shift deletion keeps every probe chain unbroken without tombstones: pull each
  // following entry into the hole unless its home lies cyclically within (hole, entry].
  const posBits = load<u32>(set + POS_BITS)
  const dispMask = DISP_MAX << posBits
  let hole = slot
  let next = slot
  while (true) {
    next = next + 1 == size ? 0 : next + 1
    const entry = load<u32>(index + (<usize>next << 2))
    if (entry == 0) break
    const disp = (entry & dispMask) >>> posBits
    const home = disp < DISP_MAX
      ? (next >= disp ? next - disp : next + size - disp)
      : homeOf(mix(load<u64>(keys + (<usize>((entry & posMask) - 1) << 3))), size)
    const stays = hole <= next ? hole < home && home <= next : hole < home || home <= next
    if (stays) continue
    store<u32>(index + (<usize>hole << 2), (entry & ~dispMask) | (displacement(home, hole, size) << posBits))
    hole = next
  }
  store<u32>(index + (<usize>hole << 2), 0)
  store<u32>(set + PHYS, nextPosition(set, position))
  store<u32>(set + PHYS_COUNT, load<u32>(set + PHYS_COUNT) - 1)
  return hole
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
    for (let i: u32 = 0; i < steps; i++) unindexOldest(set)
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

/** The index slot where `key` is live, or the first empty slot of its probe chain as -(slot + 1). */
function find(set: usize, key: u64, h: u64): i64 {
  const keys = load<usize>(set + KEYS)
  const index = load<usize>(set + INDEX)
  const size = load<u32>(set + INDEX_SIZE)
  const posBits = load<u32>(set + POS_BITS)
  const posMask = load<u32>(set + POS_MASK)
  const fingerprint = fingerprintOf(h, posBits)
  const dispMask = DISP_MAX << posBits
  let slot = homeOf(h, size)
  let disp: u32 = 0
  while (true) {
    const entry = load<u32>(index + (<usize>slot << 2))
    if (entry == 0) return -(<i64>slot + 1)
    const entryDisp = (entry & dispMask) >>> posBits
    if (entryDisp == (disp < DISP_MAX ? disp : DISP_MAX) && fingerprintBits(entry, posBits) == fingerprint) {
      const position = (entry & posMask) - 1
      if (load<u64>(keys + (<usize>position << 3)) == key && isLive(set, position)) return <i64>slot
    }
    slot = slot + 1 == size ? 0 : slot + 1
    disp++
  }
}

function insert(set: usize, key: u64, now: f64): bool {
  const h = mix(key)
  const found = find(set, key, h)
  if (found >= 0) return false
  if (load<u32>(set + LIVE_COUNT) == load<u32>(set + CAPACITY)) dropOldestLive(set)
  let emptySlot = <u32>(-found - 1)
  if (load<u32>(set + PHYS_COUNT) == load<u32>(set + CAPACITY)) {
    // The ring is full of indexed keys: the oldest (dead by now) must give up its place.
    // Unindexing empties exactly one slot; if it lies on this key's probe chain it is now
    // the chain's first empty slot, where the key belongs.
    const hole = unindexOldest(set)
    const home = homeOf(h, load<u32>(set + INDEX_SIZE))
    const onChain = home <= emptySlot ? home <= hole && hole < emptySlot : hole >= home || hole < emptySlot
    if (onChain) emptySlot = hole
  }
  const position = load<u32>(set + TAIL)
  const posBits = load<u32>(set + POS_BITS)
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
  const disp = displacement(homeOf(h, load<u32>(set + INDEX_SIZE)), emptySlot, load<u32>(set + INDEX_SIZE))
  const entry = fingerprintOf(h, posBits) | (disp << posBits) | (position + 1)
  store<u32>(load<usize>(set + INDEX) + (<usize>emptySlot << 2), entry)
  store<u32>(set + TAIL, nextPosition(set, position))
  store<u32>(set + PHYS_COUNT, load<u32>(set + PHYS_COUNT) + 1)
  store<u32>(set + LIVE_COUNT, load<u32>(set + LIVE_COUNT) + 1)
  return true
}

export function dedup_add(set: usize, key: u64, nowMs: f64): bool {
  return insert(set, key, advance(set, nowMs))
}

export function dedup_has(set: usize, key: u64, nowMs: f64): bool {
  advance(set, nowMs)
  return find(set, key, mix(key)) >= 0
}

export function dedup_expire(set: usize, nowMs: f64): void {
  advance(set, nowMs)
}

// Keys of a batch are looked up in groups: touching each key's index line first lets the
// CPU overlap the cache misses, which dominate once the index outgrows the caches.
const GROUP: u32 = 16
let touched: u32 = 0

/** Adds `count` keys from the input region; writes 1 (new) or 0 per key to the output region. */
export function dedup_add_batch(set: usize, count: u32, nowMs: f64): u32 {
  const now = advance(set, nowMs)
  const keys = inputRegion()
  const flags = outputRegion()
  const index = load<usize>(set + INDEX)
  const size = load<u32>(set + INDEX_SIZE)
  const ring = load<usize>(set + KEYS)
  const capacity = load<u32>(set + CAPACITY)
  let added: u32 = 0
  for (let start: u32 = 0; start < count; start += GROUP) {
    const end = start + GROUP < count ? start + GROUP : count
    let sum: u32 = 0
    for (let i = start; i < end; i++) {
      sum += load<u32>(index + (<usize>homeOf(mix(load<u64>(keys + (<usize>i << 3))), size) << 2))
    }
    if (load<u32>(set + PHYS_COUNT) == capacity) {
      // A full ring: each insert below will first unindex the oldest key, so touch those too.
      let position = load<u32>(set + PHYS)
      for (let i = start; i < end; i++) {
        sum += load<u32>(index + (<usize>homeOf(mix(load<u64>(ring + (<usize>position << 3))), size) << 2))
        position = position + 1 == capacity ? 0 : position + 1
      }
    }
    touched += sum
    for (let i = start; i < end; i++) {
      const isNew = insert(set, load<u64>(keys + (<usize>i << 3)), now)
      store<u8>(flags + i, <u8>isNew)
      added += <u32>isNew
    }
  }
  return added
}
