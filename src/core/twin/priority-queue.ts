// PriorityQueue in pure TypeScript: the twin of assembly/queue.ts (same node pool, free list,
// per-level FIFOs, mask of non-empty levels, pool growth and shrinking, and pop rule; see that
// file for the design).

import type { PriorityQueue, PriorityQueueOptions } from '../contracts.js'
import {
  checkNow, checkOut, checkPriority, drainedPoolSize, freed, initialPoolSize, isTime, priorityQueueByteLength, pushError, resolvePriorityQueueOptions,
} from '../priority-queue-options.js'

const NONE = 0xffffffff

/** Index of the lowest set bit of a non-zero u32. */
function ctz(mask: number): number {
  return 31 - Math.clz32(mask & -mask)
}

export class TwinPriorityQueue implements PriorityQueue {
  readonly capacity: number
  readonly levels: number
  readonly agingMs: number
  private nodeTime: Float64Array
  private nodeSlot: Uint32Array
  private nodeNext: Uint32Array
  private levelHeadTime: Float64Array
  private levelHead: Uint32Array
  private levelTail: Uint32Array
  private levelCount: Uint32Array
  private count = 0
  private mask = 0
  private freeNode = NONE
  private fresh = 0
  /** Most items queued at once since the queue was last empty. */
  private peak = 0
  private lastNow = 0
  private isFreed = false

  constructor(options: PriorityQueueOptions = {}) {
    const { capacity, levels, agingMs } = resolvePriorityQueueOptions(options)
    this.capacity = capacity
    this.levels = levels
    this.agingMs = agingMs
    const nodes = initialPoolSize(capacity)
    this.nodeTime = new Float64Array(nodes)
    this.nodeSlot = new Uint32Array(nodes)
    this.nodeNext = new Uint32Array(nodes)
    this.levelHeadTime = new Float64Array(levels)
    this.levelHead = new Uint32Array(levels)
    this.levelTail = new Uint32Array(levels)
    this.levelCount = new Uint32Array(levels)
  }

  /** Bytes held now, as the WebAssembly queue counts them (0 once freed). */
  get byteLength(): number {
    return this.isFreed ? 0 : priorityQueueByteLength(this.nodeTime.length, this.levels)
  }

  get size(): number {
    this.live()
    return this.count
  }

  push(slot: number, priority: number, nowMs: number): boolean {
    this.live()
    if ((slot >>> 0) !== slot || (priority >>> 0) !== priority || priority >= this.levels || !isTime(nowMs)) {
      throw pushError(slot, priority, nowMs, this.levels)
    }
    const now = this.advance(nowMs)
    if (this.count === this.capacity) return false
    let node = this.freeNode
    if (node !== NONE) this.freeNode = this.nodeNext[node]
    else {
      if (this.fresh === this.nodeTime.length) this.resizePool(Math.min(this.capacity, this.fresh * 2))
      node = this.fresh++
    }
    if (this.count >= this.peak) this.peak = this.count + 1
    this.nodeTime[node] = now
    this.nodeSlot[node] = slot
    const count = this.levelCount[priority]
    if (count === 0) {
      this.levelHead[priority] = node
      this.levelHeadTime[priority] = now
      this.mask |= 1 << priority
    } else {
      this.nodeNext[this.levelTail[priority]] = node
    }
    this.levelTail[priority] = node
    this.levelCount[priority] = count + 1
    this.count++
    return true
  }

  pop(nowMs: number): number {
    this.live()
    if (!isTime(nowMs)) checkNow(nowMs)
    const now = this.advance(nowMs)
    if (this.mask === 0) return -1
    return this.take(this.pickLevel(now))
  }

  popBatch(nowMs: number, out: Uint32Array): number {
    this.live()
    checkOut(out)
    checkNow(nowMs)
    const now = this.advance(nowMs)
    let popped = 0
    while (popped < out.length && this.mask !== 0) out[popped++] = this.take(this.pickLevel(now))
    return popped
  }

  sizeAt(priority: number): number {
    this.live()
    checkPriority(priority, this.levels)
    return this.levelCount[priority]
  }

  clear(): void {
    this.live()
    this.levelCount.fill(0)
    this.count = 0
    this.mask = 0
    this.freeNode = NONE
    this.fresh = 0
    this.peak = 0
    this.resizePool(initialPoolSize(this.capacity))
  }

  free(): void {
    if (this.isFreed) return
    this.isFreed = true
    this.nodeTime = this.levelHeadTime = new Float64Array(0)
    this.nodeSlot = this.nodeNext = new Uint32Array(0)
    this.levelHead = this.levelTail = this.levelCount = new Uint32Array(0)
  }

  private live(): void {
    if (this.isFreed) throw freed()
  }

  private advance(nowMs: number): number {
    const now = nowMs < this.lastNow ? this.lastNow : nowMs
    this.lastNow = now
    return now
  }

  /** Moves the node pool to `nodes` nodes, keeping the first ones (all in use when growing). */
  private resizePool(nodes: number): void {
    if (nodes === this.nodeTime.length) return
    const kept = Math.min(nodes, this.fresh)
    const time = new Float64Array(nodes)
    const slot = new Uint32Array(nodes)
    const next = new Uint32Array(nodes)
    time.set(this.nodeTime.subarray(0, kept))
    slot.set(this.nodeSlot.subarray(0, kept))
    next.set(this.nodeNext.subarray(0, kept))
    this.nodeTime = time
    this.nodeSlot = slot
    this.nodeNext = next
  }

  /** The level to serve at `now`; the queue must not be empty. */
  private pickLevel(now: number): number {
    const first = ctz(this.mask)
    let rest = this.mask & (this.mask - 1)
    if (rest === 0) return first
    let oldest = first
    let oldestTime = this.levelHeadTime[first]
    while (rest !== 0) {
      const level = ctz(rest)
      const time = this.levelHeadTime[level]
      if (time < oldestTime) {
        oldest = level
        oldestTime = time
      }
      rest &= rest - 1
    }
    return now - oldestTime >= this.agingMs ? oldest : first
  }

  private take(priority: number): number {
    const node = this.levelHead[priority]
    const slot = this.nodeSlot[node]
    const count = this.levelCount[priority] - 1
    this.levelCount[priority] = count
    if (count === 0) {
      this.mask &= ~(1 << priority)
    } else {
      const next = this.nodeNext[node]
      this.levelHead[priority] = next
      this.levelHeadTime[priority] = this.nodeTime[next]
    }
    if (--this.count === 0) {
      // Empty: start the pool afresh, so fills and drains do not keep permuting the free list.
      this.freeNode = NONE
      this.fresh = 0
      this.resizePool(drainedPoolSize(this.nodeTime.length, this.peak, this.capacity))
      this.peak = 0
    } else {
      this.nodeNext[node] = this.freeNode
      this.freeNode = node
    }
    return slot
  }
}
