// Many short timers with the same deadline on one clock timer. A node that forwards a message
// to eight peers, or sends its gossip to twenty, arms a frame coalescer's flush on each of those
// sessions within one callback: on virtual time every one of them has the same deadline, and a
// clock timer apiece was a sixth of a simulated broadcast's timers. Here they share one.
//
// Callbacks with one deadline run in the order they were armed, all in that one clock timer's
// turn; a timer armed while its deadline's batch runs (a delay of 0) joins a batch of its own,
// as it would have been a later timer on the clock.

import { ClockError, type Clock, type TimerHandle } from './clock.js'

/** An armed timer of a BatchedTimers: pass it back to clearTimeout(). */
export interface BatchedTimer {
  readonly deadline: number
}

class Entry implements BatchedTimer {
  constructor(readonly deadline: number, readonly callback: () => void, readonly batch: Batch) {}
}

class Batch {
  readonly entries = new Set<Entry>()
  handle: TimerHandle | undefined = undefined
}

export class BatchedTimers {
  readonly #clock: Clock
  readonly #batches = new Map<number, Batch>()
  #pending = 0

  constructor(clock: Clock) {
    this.#clock = clock
  }

  /** Timers armed and not yet fired or cleared. */
  get pending(): number {
    return this.#pending
  }

  /** Clock timers held: one per distinct deadline. */
  get clockTimers(): number {
    return this.#batches.size
  }

  /**
   * Calls `callback` once, `ms` from now. A negative delay counts as 0; NaN or Infinity throws
   * ClockError('CLOCK_INVALID_DELAY'), as the clock's own setTimeout does.
   */
  setTimeout(callback: () => void, ms: number): BatchedTimer {
    if (!(ms < Infinity)) throw new ClockError('CLOCK_INVALID_DELAY', `a timer delay must be a finite number of milliseconds, got ${String(ms)}`)
    const delay = Math.max(0, ms)
    const deadline = this.#clock.now() + delay
    let batch = this.#batches.get(deadline)
    if (batch === undefined) {
      const created = new Batch()
      this.#batches.set(deadline, created)
      created.handle = this.#clock.setTimeout(() => this.#fire(deadline, created), delay)
      batch = created
    }
    const entry = new Entry(deadline, callback, batch)
    batch.entries.add(entry)
    this.#pending++
    return entry
  }

  /** Cancels a timer that has not fired; fired, cleared or foreign handles are ignored. */
  clearTimeout(handle: unknown): void {
    if (!(handle instanceof Entry) || !handle.batch.entries.delete(handle)) return
    this.#pending--
    const batch = handle.batch
    if (batch.entries.size > 0) return
    if (this.#batches.get(handle.deadline) === batch) this.#batches.delete(handle.deadline)
    if (batch.handle !== undefined) this.#clock.clearTimeout(batch.handle)
    batch.handle = undefined
  }

  #fire(deadline: number, batch: Batch): void {
    // Off the map first: a timer armed from a callback below, for this same instant, is a new batch.
    if (this.#batches.get(deadline) === batch) this.#batches.delete(deadline)
    batch.handle = undefined
    for (const entry of batch.entries) {
      batch.entries.delete(entry)
      this.#pending--
      try {
        entry.callback()
      } catch (error) {
        // The callbacks after it still run, in a clock timer of their own, and the error
        // surfaces as it would from the clock's own timer.
        if (batch.entries.size > 0) batch.handle = this.#clock.setTimeout(() => this.#fire(deadline, batch), 0)
        throw error
      }
    }
  }
}
