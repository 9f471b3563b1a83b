// PriorityQueue: a bounded multi-level FIFO of u32 slots with aging, in 16 bytes an item.
// The node pool starts at 16 nodes and doubles on demand up to the capacity, so an idle
// queue costs a few hundred bytes whatever its capacity: a node holds one per peer session.
// When a queue drains after its pool was four times larger than it needed since the last
// drain, the pool shrinks back, so one burst does not pin its memory for the session's life.
// Each level is a linked FIFO through a shared node pool, so push and pop are O(1) whatever
// the mix of levels. Because every level is FIFO, a level's oldest item is its head: pop only
// compares the heads of the non-empty levels (a u32 bitmask), never the items behind them.
//
// Pop rule: if the oldest head (ties: lowest level) has waited agingMs or more, serve it;
// otherwise serve the head of the highest-priority (lowest-numbered) non-empty level.
// Serving the oldest head when it is aged is the same as "the longest-waiting aged item":
// if any head is aged, the oldest one is. Hence the starvation bound: from t + agingMs on, an
// item pushed at t is aged and every pop serves it or an item at least as old, so it is served
// by the (K + 1)-th pop at or after t + agingMs, K being the items still queued then that are
// older (or as old at a higher priority): 0 whenever other traffic is served within agingMs.
// The queue's clock clamps: a time earlier than the latest seen counts as the latest.

import { allocSlot, allocZeroed, releaseSlot } from './slots'
import { outputRegion } from './scratch'

// Header layout (offsets in the 128-byte slot).
const CAPACITY = 0 //     u32 most items queued at once
const LEVELS = 4 //       u32 priority levels, 1 to 32
const SIZE = 8 //         u32 items queued
const MASK = 12 //        u32 bit i set while level i is non-empty
const FREE = 16 //        u32 first node of the free list, NONE when empty
const FRESH = 20 //       u32 nodes [FRESH, CAPACITY) were never used; taken before growing the list
const NODES = 24 //       usize -> Node nodes[CAPACITY]
const LEVEL_TABLE = 28 // usize -> Level levels[LEVELS]
const AGING = 32 //       f64 agingMs
const LAST_NOW = 40 //    f64 latest time seen: the queue's clock never runs backwards
const ALLOCATED = 48 //   u32 nodes allocated, INITIAL_NODES (or capacity, if less) up to capacity
const PEAK = 52 //        u32 most items queued at once since the queue was last empty
const INITIAL_NODES: u32 = 16

// Node layout (16 bytes, one cache line access per push or pop). A queued node's `next` is
// meaningful only when it is not its level's tail; a free node's `next` links the free list.
const NODE_TIME = 0 //  f64 enqueue time
const NODE_SLOT = 8 //  u32 the caller's slot
const NODE_NEXT = 12 // u32 next node in its level (or in the free list)
const NODE_SHIFT: usize = 4

// Level layout (24 bytes). The head's time is kept here so choosing a level reads only this
// small table, not a node per level.
const LEVEL_HEAD_TIME = 0 // f64 enqueue time of the head, valid while count > 0
const LEVEL_HEAD = 8 //      u32 oldest node
const LEVEL_TAIL = 12 //     u32 newest node
const LEVEL_COUNT = 16 //    u32 items at this level
const LEVEL_BYTES: usize = 24

const NONE: u32 = 0xffffffff

export function queue_create(capacity: u32, levels: u32, agingMs: f64): usize {
  const queue = allocSlot()
  store<u32>(queue + CAPACITY, capacity)
  store<u32>(queue + LEVELS, levels)
  store<u32>(queue + FREE, NONE)
  // Nodes are always written before they are read, so they need no zeroing.
  const allocated = capacity < INITIAL_NODES ? capacity : INITIAL_NODES
  store<u32>(queue + ALLOCATED, allocated)
  store<usize>(queue + NODES, heap.alloc(<usize>allocated << NODE_SHIFT))
  store<usize>(queue + LEVEL_TABLE, allocZeroed(<usize>levels * LEVEL_BYTES))
  store<f64>(queue + AGING, agingMs)
  return queue
}

export function queue_free(queue: usize): void {
  heap.free(load<usize>(queue + NODES))
  heap.free(load<usize>(queue + LEVEL_TABLE))
  releaseSlot(queue)
}

export function queue_size(queue: usize): u32 {
  return load<u32>(queue + SIZE)
}

/** Bytes the queue holds: its header slot, the allocated nodes and the level table. */
export function queue_byte_length(queue: usize): u32 {
  return 128 + (load<u32>(queue + ALLOCATED) << <u32>NODE_SHIFT) + load<u32>(queue + LEVELS) * <u32>LEVEL_BYTES
}

export function queue_size_at(queue: usize, priority: u32): u32 {
  return load<u32>(load<usize>(queue + LEVEL_TABLE) + <usize>priority * LEVEL_BYTES + LEVEL_COUNT)
}

export function queue_clear(queue: usize): void {
  memory.fill(load<usize>(queue + LEVEL_TABLE), 0, <usize>load<u32>(queue + LEVELS) * LEVEL_BYTES)
  store<u32>(queue + SIZE, 0)
  store<u32>(queue + MASK, 0)
  store<u32>(queue + FREE, NONE)
  store<u32>(queue + FRESH, 0)
  store<u32>(queue + PEAK, 0)
  const capacity = load<u32>(queue + CAPACITY)
  resizeEmptyPool(queue, capacity < INITIAL_NODES ? capacity : INITIAL_NODES)
}

/** Replaces the node pool of an empty queue by one of `nodes` nodes (nothing to copy). */
function resizeEmptyPool(queue: usize, nodes: u32): void {
  if (nodes == load<u32>(queue + ALLOCATED)) return
  heap.free(load<usize>(queue + NODES))
  store<usize>(queue + NODES, heap.alloc(<usize>nodes << NODE_SHIFT))
  store<u32>(queue + ALLOCATED, nodes)
}

/** Doubles the node pool (up to the capacity), keeping every node where it is. */
function growPool(queue: usize): usize {
  const allocated = load<u32>(queue + ALLOCATED)
  const capacity = load<u32>(queue + CAPACITY)
  const grown = allocated > capacity >> 1 ? capacity : allocated << 1
  const nodes = heap.realloc(load<usize>(queue + NODES), <usize>grown << NODE_SHIFT)
  store<usize>(queue + NODES, nodes)
  store<u32>(queue + ALLOCATED, grown)
  return nodes
}

/** On draining: shrinks a pool four or more times larger than the peak since the last drain. */
function shrinkDrainedPool(queue: usize): void {
  const peak = load<u32>(queue + PEAK)
  store<u32>(queue + PEAK, 0)
  const needed = peak < INITIAL_NODES ? INITIAL_NODES : peak
  if (load<u32>(queue + ALLOCATED) >> 2 < needed) return
  // A power of two, so regrowing by doubling from INITIAL_NODES lands on the same sizes.
  const target = <u32>1 << (32 - clz(needed - 1))
  const capacity = load<u32>(queue + CAPACITY)
  resizeEmptyPool(queue, target < capacity ? target : capacity)
}

// @ts-ignore: decorator
@inline function advance(queue: usize, nowMs: f64): f64 {
  const last = load<f64>(queue + LAST_NOW)
  const now = nowMs < last ? last : nowMs
  store<f64>(queue + LAST_NOW, now)
  return now
}

export function queue_push(queue: usize, slot: u32, priority: u32, nowMs: f64): bool {
  const now = advance(queue, nowMs)
  const size = load<u32>(queue + SIZE)
  if (size == load<u32>(queue + CAPACITY)) return false
  let nodes = load<usize>(queue + NODES)
  // Reuse the most recently freed node first: it is likely still in cache.
  let node = load<u32>(queue + FREE)
  if (node != NONE) {
    store<u32>(queue + FREE, load<u32>(nodes + (<usize>node << NODE_SHIFT) + NODE_NEXT))
  } else {
    node = load<u32>(queue + FRESH)
    // Every fresh node is in use (the free list is empty), so size < capacity means room to grow.
    if (node == load<u32>(queue + ALLOCATED)) nodes = growPool(queue)
    store<u32>(queue + FRESH, node + 1)
  }
  if (size >= load<u32>(queue + PEAK)) store<u32>(queue + PEAK, size + 1)
  const at = nodes + (<usize>node << NODE_SHIFT)
  store<f64>(at + NODE_TIME, now)
  store<u32>(at + NODE_SLOT, slot)
  const level = load<usize>(queue + LEVEL_TABLE) + <usize>priority * LEVEL_BYTES
  const count = load<u32>(level + LEVEL_COUNT)
  if (count == 0) {
    store<u32>(level + LEVEL_HEAD, node)
    store<f64>(level + LEVEL_HEAD_TIME, now)
    store<u32>(queue + MASK, load<u32>(queue + MASK) | (<u32>1 << priority))
  } else {
    store<u32>(nodes + (<usize>load<u32>(level + LEVEL_TAIL) << NODE_SHIFT) + NODE_NEXT, node)
  }
  store<u32>(level + LEVEL_TAIL, node)
  store<u32>(level + LEVEL_COUNT, count + 1)
  store<u32>(queue + SIZE, size + 1)
  return true
}

/** The level to serve at `now`; `mask` (the non-empty levels) must not be 0. */
// @ts-ignore: decorator
@inline function pickLevel(queue: usize, mask: u32, now: f64): u32 {
  const first = ctz(mask)
  let rest = mask & (mask - 1)
  if (rest == 0) return first
  const table = load<usize>(queue + LEVEL_TABLE)
  let oldest = first
  let oldestTime = load<f64>(table + <usize>first * LEVEL_BYTES + LEVEL_HEAD_TIME)
  while (rest != 0) {
    const level = ctz(rest)
    const time = load<f64>(table + <usize>level * LEVEL_BYTES + LEVEL_HEAD_TIME)
    // Strictly older only: on equal times the lower level, met first, keeps its place.
    if (time < oldestTime) {
      oldest = level
      oldestTime = time
    }
    rest &= rest - 1
  }
  return now - oldestTime >= load<f64>(queue + AGING) ? oldest : first
}

/** Removes the head of `priority` (which must be non-empty) and returns its slot. */
// @ts-ignore: decorator
@inline function take(queue: usize, priority: u32): u32 {
  const level = load<usize>(queue + LEVEL_TABLE) + <usize>priority * LEVEL_BYTES
  const nodes = load<usize>(queue + NODES)
  const node = load<u32>(level + LEVEL_HEAD)
  const at = nodes + (<usize>node << NODE_SHIFT)
  const slot = load<u32>(at + NODE_SLOT)
  const count = load<u32>(level + LEVEL_COUNT) - 1
  store<u32>(level + LEVEL_COUNT, count)
  if (count == 0) {
    store<u32>(queue + MASK, load<u32>(queue + MASK) & ~(<u32>1 << priority))
  } else {
    const next = load<u32>(at + NODE_NEXT)
    store<u32>(level + LEVEL_HEAD, next)
    store<f64>(level + LEVEL_HEAD_TIME, load<f64>(nodes + (<usize>next << NODE_SHIFT) + NODE_TIME))
  }
  const size = load<u32>(queue + SIZE) - 1
  store<u32>(queue + SIZE, size)
  if (size == 0) {
    // Empty: start the pool afresh. Otherwise every fill and drain would permute the free
    // list further, and a large queue's FIFOs would come to hop at random through memory.
    store<u32>(queue + FREE, NONE)
    store<u32>(queue + FRESH, 0)
    shrinkDrainedPool(queue)
  } else {
    store<u32>(at + NODE_NEXT, load<u32>(queue + FREE))
    store<u32>(queue + FREE, node)
  }
  return slot
}

/** The next slot, or -1 when empty (an f64, so every u32 slot stays distinct from -1). */
export function queue_pop(queue: usize, nowMs: f64): f64 {
  const now = advance(queue, nowMs)
  const mask = load<u32>(queue + MASK)
  if (mask == 0) return -1
  return <f64>take(queue, pickLevel(queue, mask, now))
}

/** Pops up to `max` slots (at most a scratch region of u32) into the output region. */
export function queue_pop_batch(queue: usize, max: u32, nowMs: f64): u32 {
  const now = advance(queue, nowMs)
  const out = outputRegion()
  let popped: u32 = 0
  while (popped < max) {
    const mask = load<u32>(queue + MASK)
    if (mask == 0) break
    store<u32>(out + (<usize>popped << 2), take(queue, pickLevel(queue, mask, now)))
    popped++
  }
  return popped
}
