// Time, injected. Every layer takes a Clock instead of calling Date.now() or setTimeout, so
// the same code runs on wall time in production (`systemClock`) and on virtual time in tests
// and the simulator (`ManualClock`), where a 100,000-node run never waits on the wall clock.

import { WasmeshError } from './wasmesh-error.js'

declare const timerHandleBrand: unique symbol

/** An opaque timer handle: pass it back to the clock that made it, to clearTimeout(). */
export type TimerHandle = { readonly [timerHandleBrand]: true }

export interface Clock {
  /** Milliseconds; never decreases. */
  now(): number
  /**
   * Calls `fn` once, `ms` from now. A negative delay counts as 0, as the platform's does;
   * NaN or Infinity throws ClockError('CLOCK_INVALID_DELAY') (a NaN delay is always a bug,
   * and a timer that never fires is a leak).
   */
  setTimeout(fn: () => void, ms: number): TimerHandle
  /** Cancels a timer that has not fired. Unknown, fired or already-cleared handles are ignored. */
  clearTimeout(handle: TimerHandle): void
}

export type ClockErrorCode =
  /** A timer delay that is NaN or infinite. */
  | 'CLOCK_INVALID_DELAY'
  /** A ManualClock start time, advance() or advanceTo() that is negative, not finite, or before now. */
  | 'CLOCK_INVALID_TIME'
  /** A ManualClock advanced from inside one of its own timers. */
  | 'CLOCK_REENTRANT'
  /** ManualClock.runAll() ran its maxTimers and timers are still pending (a periodic timer still armed). */
  | 'CLOCK_RUNAWAY'
  /** A ManualClock already holds its maximum of pending timers. */
  | 'CLOCK_TOO_MANY_TIMERS'

/** Thrown when a clock is given a delay or time it cannot honour, or a ManualClock is misused. */
export class ClockError extends WasmeshError {
  declare readonly code: ClockErrorCode

  constructor(code: ClockErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}

function checkDelay(ms: number): number {
  if (ms >= 0 && ms !== Infinity) return ms
  if (ms < 0) return 0
  throw new ClockError('CLOCK_INVALID_DELAY', `a timer delay must be a finite number of milliseconds, got ${String(ms)}`)
}

// ---------------------------------------------------------------------------------------
// systemClock: the production clock.

// The platform caps timer delays at 2**31 - 1 ms (about 24.8 days); a longer one fires at
// once in browsers and after 1 ms in Node. Longer timers re-arm in steps below the cap.
const MAX_NATIVE_DELAY_MS = 2 ** 31 - 1

/** A timer longer than the platform allows, re-armed until its deadline. */
class LongTimer {
  native: ReturnType<typeof globalThis.setTimeout> | undefined

  constructor(readonly deadline: number, readonly fn: () => void) {}
}

// Captured once, at load: epoch milliseconds minus the monotonic clock. now() is therefore
// close to Date.now() but monotonic — it does not jump when the wall clock is adjusted, and
// over days it may drift from the wall clock by the size of those adjustments.
const epochOffsetMs = Date.now() - performance.now()

function armLong(timer: LongTimer): void {
  const remaining = timer.deadline - (performance.now() + epochOffsetMs)
  if (remaining <= MAX_NATIVE_DELAY_MS) {
    timer.native = globalThis.setTimeout(timer.fn, Math.max(0, remaining))
  } else {
    timer.native = globalThis.setTimeout(() => armLong(timer), MAX_NATIVE_DELAY_MS)
  }
}

/**
 * PRODUCTION SOURCE OF TIME. Wall-clock milliseconds since the Unix epoch, read from the
 * monotonic `performance.now()` plus an offset fixed at load; timers are the platform's.
 * Protocol code never calls this directly: it receives a Clock.
 */
export const systemClock: Clock = {
  now: () => performance.now() + epochOffsetMs,
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const delay = checkDelay(ms)
    if (delay <= MAX_NATIVE_DELAY_MS) return globalThis.setTimeout(fn, delay) as unknown as TimerHandle
    const timer = new LongTimer(performance.now() + epochOffsetMs + delay, fn)
    armLong(timer)
    return timer as unknown as TimerHandle
  },
  clearTimeout(handle: TimerHandle): void {
    if (handle instanceof LongTimer) {
      if (handle.native !== undefined) globalThis.clearTimeout(handle.native)
      handle.native = undefined
      return
    }
    globalThis.clearTimeout(handle as unknown as ReturnType<typeof globalThis.setTimeout>)
  },
}

// ---------------------------------------------------------------------------------------
// ManualClock: virtual time.

// A handle packs a slot and that slot's generation: generation * SLOT_LIMIT + slot + 1. The
// generation moves on whenever the slot's timer fires or is cleared, so a stale handle (kept
// after firing, cleared twice) never matches the slot's next timer. Handles are numbers, never 0.
const SLOT_LIMIT = 2 ** 26
const GENERATION_LIMIT = 2 ** 27

/**
 * A clock that moves only when told to. Timers live in a binary heap keyed by (time,
 * scheduling sequence): due timers run in time order, timers due at the same time run in the
 * order they were scheduled, and timers that a callback schedules inside the window being
 * advanced run in the same advance. setTimeout and clearTimeout are O(log n) and allocate
 * nothing once the tables have grown: the heap's keys sit in typed arrays in heap order, and a
 * timer is a reusable slot, not an object; the simulator schedules millions.
 *
 * A callback that throws stops the advance: the error propagates to the caller of
 * advance()/advanceTo()/runNext()/runAll(), the clock stays at that timer's time and the
 * remaining timers stay scheduled, so the caller may continue.
 */
export class ManualClock implements Clock {
  private current: number
  private seq = 0
  private isRunning = false

  // The heap, in heap order: key (time, seq) and the slot it belongs to.
  private heapTime = new Float64Array(64)
  private heapSeq = new Float64Array(64)
  private heapSlot = new Int32Array(64)
  private size = 0

  // Slots: the callback, the slot's heap position (-1 when free) and its generation.
  private slotFn: Array<(() => void) | undefined> = []
  private slotPos = new Int32Array(64)
  private slotGeneration = new Uint32Array(64)
  private freeSlots = new Int32Array(64)
  private freeCount = 0
  private slotCount = 0

  constructor(startMs = 0) {
    if (!Number.isFinite(startMs) || startMs < 0) {
      throw new ClockError('CLOCK_INVALID_TIME', `startMs must be a finite, non-negative time in milliseconds, got ${String(startMs)}`)
    }
    this.current = startMs
  }

  now(): number {
    return this.current
  }

  /** Timers scheduled and not yet fired or cleared. */
  get pending(): number {
    return this.size
  }

  /** The time of the earliest pending timer, or undefined when none is pending. */
  get nextTimerAt(): number | undefined {
    return this.size > 0 ? this.heapTime[0] : undefined
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const delay = checkDelay(ms)
    let time = this.current + delay
    // A positive delay too small to move a large time (now + 1e-13 === now) still lands
    // later, as a real timer would: else a caller re-arming for "the rest" never gets there.
    if (delay > 0 && time === this.current) time = nextAfter(time)
    const slot = this.freeCount > 0 ? this.freeSlots[--this.freeCount] : this.newSlot()
    this.slotFn[slot] = fn
    if (this.size === this.heapTime.length) this.growHeap()
    this.siftUp(this.size++, time, this.seq++, slot)
    return (this.slotGeneration[slot] * SLOT_LIMIT + slot + 1) as unknown as TimerHandle
  }

  clearTimeout(handle: TimerHandle): void {
    const value = handle as unknown as number
    if (typeof value !== 'number' || !(value >= 1)) return
    const slot = (value - 1) % SLOT_LIMIT
    // A handle from another clock, or one already fired or cleared, does not match here.
    if (slot >= this.slotCount || this.slotGeneration[slot] !== Math.floor((value - 1) / SLOT_LIMIT)) return
    const position = this.slotPos[slot]
    if (position < 0) return
    this.removeAt(position)
    this.freeSlot(slot)
  }

  /** Moves time forward by `ms`, running every timer due by then. Returns how many ran. */
  advance(ms: number): number {
    if (!(ms >= 0) || ms === Infinity) {
      throw new ClockError('CLOCK_INVALID_TIME', `advance() takes a finite, non-negative number of milliseconds, got ${String(ms)}`)
    }
    return this.advanceTo(this.current + ms)
  }

  /** Moves time forward to `timeMs`, running every timer due by then. Returns how many ran. */
  advanceTo(timeMs: number): number {
    if (!(timeMs >= this.current) || timeMs === Infinity) {
      throw new ClockError('CLOCK_INVALID_TIME', `advanceTo() takes a finite time not before now (${this.current}), got ${String(timeMs)}`)
    }
    this.enter()
    let ran = 0
    try {
      while (this.size > 0 && this.heapTime[0] <= timeMs) {
        this.fire()
        ran++
      }
      this.current = timeMs
    } finally {
      this.isRunning = false
    }
    return ran
  }

  /** Moves time to the earliest pending timer and runs it. False when nothing was pending. */
  runNext(): boolean {
    if (this.size === 0) return false
    this.enter()
    try {
      this.fire()
    } finally {
      this.isRunning = false
    }
    return true
  }

  /**
   * Runs timers in order until none is pending, moving time with them. Returns how many ran.
   * Throws ClockError('CLOCK_RUNAWAY') after `maxTimers`, which catches a timer that keeps
   * re-arming itself (a periodic task must be stopped first).
   */
  runAll(maxTimers = 10_000_000): number {
    this.enter()
    let ran = 0
    try {
      while (this.size > 0) {
        if (ran >= maxTimers) {
          throw new ClockError('CLOCK_RUNAWAY', `runAll() ran ${maxTimers} timers and ${this.size} are still pending; is a periodic timer still armed?`)
        }
        this.fire()
        ran++
      }
    } finally {
      this.isRunning = false
    }
    return ran
  }

  private enter(): void {
    if (this.isRunning) {
      throw new ClockError('CLOCK_REENTRANT', 'a ManualClock cannot be advanced from inside one of its own timers')
    }
    this.isRunning = true
  }

  /** Pops the earliest timer, moves time to it and calls it. */
  private fire(): void {
    const slot = this.heapSlot[0]
    const time = this.heapTime[0]
    const fn = this.slotFn[slot] as () => void
    this.removeAt(0)
    this.freeSlot(slot)
    if (time > this.current) this.current = time
    fn()
  }

  private newSlot(): number {
    const slot = this.slotCount
    if (slot === SLOT_LIMIT) throw new ClockError('CLOCK_TOO_MANY_TIMERS', `a ManualClock holds at most ${SLOT_LIMIT} pending timers`)
    if (slot === this.slotPos.length) {
      const capacity = slot * 2
      this.slotPos = grown(this.slotPos, new Int32Array(capacity))
      this.slotGeneration = grown(this.slotGeneration, new Uint32Array(capacity))
      this.freeSlots = grown(this.freeSlots, new Int32Array(capacity))
    }
    this.slotCount++
    this.slotFn.push(undefined)
    return slot
  }

  private freeSlot(slot: number): void {
    this.slotFn[slot] = undefined
    this.slotPos[slot] = -1
    this.slotGeneration[slot] = (this.slotGeneration[slot] + 1) % GENERATION_LIMIT
    this.freeSlots[this.freeCount++] = slot
  }

  private growHeap(): void {
    const capacity = this.heapTime.length * 2
    this.heapTime = grown(this.heapTime, new Float64Array(capacity))
    this.heapSeq = grown(this.heapSeq, new Float64Array(capacity))
    this.heapSlot = grown(this.heapSlot, new Int32Array(capacity))
  }

  /** Removes the entry at `position`, filling the hole with the last entry. */
  private removeAt(position: number): void {
    const last = --this.size
    if (position === last) return
    const time = this.heapTime[last]
    const seq = this.heapSeq[last]
    const slot = this.heapSlot[last]
    const parent = (position - 1) >> 1
    if (position > 0 && (time < this.heapTime[parent] || (time === this.heapTime[parent] && seq < this.heapSeq[parent]))) {
      this.siftUp(position, time, seq, slot)
    } else {
      this.siftDown(position, time, seq, slot)
    }
  }

  /** Places (time, seq, slot) at `position` or above it. */
  private siftUp(position: number, time: number, seq: number, slot: number): void {
    const heapTime = this.heapTime
    const heapSeq = this.heapSeq
    const heapSlot = this.heapSlot
    const slotPos = this.slotPos
    while (position > 0) {
      const parent = (position - 1) >> 1
      const parentTime = heapTime[parent]
      if (time > parentTime || (time === parentTime && seq > heapSeq[parent])) break
      heapTime[position] = parentTime
      heapSeq[position] = heapSeq[parent]
      const parentSlot = heapSlot[parent]
      heapSlot[position] = parentSlot
      slotPos[parentSlot] = position
      position = parent
    }
    heapTime[position] = time
    heapSeq[position] = seq
    heapSlot[position] = slot
    slotPos[slot] = position
  }

  /** Places (time, seq, slot) at `position` or below it. */
  private siftDown(position: number, time: number, seq: number, slot: number): void {
    const heapTime = this.heapTime
    const heapSeq = this.heapSeq
    const heapSlot = this.heapSlot
    const slotPos = this.slotPos
    const size = this.size
    for (;;) {
      let child = 2 * position + 1
      if (child >= size) break
      const right = child + 1
      if (right < size && (heapTime[right] < heapTime[child] || (heapTime[right] === heapTime[child] && heapSeq[right] < heapSeq[child]))) child = right
      const childTime = heapTime[child]
      if (childTime > time || (childTime === time && heapSeq[child] > seq)) break
      heapTime[position] = childTime
      heapSeq[position] = heapSeq[child]
      const childSlot = heapSlot[child]
      heapSlot[position] = childSlot
      slotPos[childSlot] = position
      position = child
    }
    heapTime[position] = time
    heapSeq[position] = seq
    heapSlot[position] = slot
    slotPos[slot] = position
  }
}

function grown<T extends Float64Array | Int32Array | Uint32Array>(from: T, to: T): T {
  to.set(from)
  return to
}

/** The smallest double above a finite, non-negative `value`. */
function nextAfter(value: number): number {
  if (value === 0) return Number.MIN_VALUE
  const bits = new Float64Array([value])
  new BigUint64Array(bits.buffer)[0] += 1n
  return bits[0]
}
