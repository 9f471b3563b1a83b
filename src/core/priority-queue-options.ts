// Validation of PriorityQueue options and arguments, and its memory formula, shared by the
// WebAssembly facade and the twin. The hot paths check arguments inline with cheap integer
// tests and call pushError() & co. only to build the error.

import type { PriorityQueueOptions } from './contracts.js'
import { CoreError } from './errors.js'
import { checkInteger, checkTime } from '../util/validate.js'

export const QUEUE_DEFAULT_CAPACITY = 10_000
export const QUEUE_MAX_CAPACITY = 16_777_215
export const QUEUE_DEFAULT_LEVELS = 4
/** Levels are bits of a u32 mask of non-empty levels. */
export const QUEUE_MAX_LEVELS = 32
export const QUEUE_DEFAULT_AGING_MS = 1_000
/** agingMs is a whole number of milliseconds; 0 makes the queue FIFO by push time across levels. */
export const QUEUE_MAX_AGING_MS = 2 ** 31 - 1

const invalidOption = (message: string) => new CoreError('CORE_INVALID_OPTION', message)
const invalidArgument = (message: string) => new CoreError('CORE_INVALID_ARGUMENT', message)

export function resolvePriorityQueueOptions(options: PriorityQueueOptions): Required<PriorityQueueOptions> {
  if (typeof options !== 'object' || options === null) {
    throw invalidOption(`PriorityQueue options must be an object, got ${String(options)}`)
  }
  return {
    capacity: checkInteger('capacity', options.capacity ?? QUEUE_DEFAULT_CAPACITY, 1, QUEUE_MAX_CAPACITY, invalidOption),
    levels: checkInteger('levels', options.levels ?? QUEUE_DEFAULT_LEVELS, 1, QUEUE_MAX_LEVELS, invalidOption),
    agingMs: checkInteger('agingMs', options.agingMs ?? QUEUE_DEFAULT_AGING_MS, 0, QUEUE_MAX_AGING_MS, invalidOption),
  }
}

/** Bytes a queue holds: header slot, a 16-byte node per allocated node, a 24-byte record per level. */
export function priorityQueueByteLength(nodes: number, levels: number): number {
  return 128 + nodes * 16 + levels * 24
}

/** Nodes a new (or cleared) queue allocates: the pool then doubles on demand up to the capacity. */
export const QUEUE_INITIAL_NODES = 16

export function initialPoolSize(capacity: number): number {
  return Math.min(capacity, QUEUE_INITIAL_NODES)
}

/**
 * The pool size for a queue that just drained, given the most items it held since it was last
 * empty: unchanged unless four or more times that peak, else the peak rounded up to a power
 * of two (so doubling from QUEUE_INITIAL_NODES regrows through the same sizes).
 */
export function drainedPoolSize(allocated: number, peak: number, capacity: number): number {
  const needed = Math.max(peak, QUEUE_INITIAL_NODES)
  if (allocated / 4 < needed) return allocated
  return Math.min(capacity, 2 ** Math.ceil(Math.log2(needed)))
}

/** True for a finite, non-negative number: the cheap inline form of checkTime. */
export function isTime(nowMs: unknown): boolean {
  return typeof nowMs === 'number' && nowMs >= 0 && nowMs !== Infinity
}

export function checkPriority(priority: unknown, levels: number): number {
  return checkInteger('priority', priority, 0, levels - 1, invalidArgument)
}

/** The error for push arguments that failed the inline checks. */
export function pushError(slot: unknown, priority: unknown, nowMs: unknown, levels: number): CoreError {
  try {
    checkInteger('slot', slot, 0, 0xffff_ffff, invalidArgument)
    checkPriority(priority, levels)
    checkTime('nowMs', nowMs, invalidArgument)
  } catch (error) {
    return error as CoreError
  }
  return invalidArgument('push arguments are invalid')
}

export function checkNow(nowMs: unknown): void {
  checkTime('nowMs', nowMs, invalidArgument)
}

export function checkOut(out: unknown): Uint32Array {
  if (!(out instanceof Uint32Array)) throw invalidArgument(`out must be a Uint32Array, got ${String(out)}`)
  return out
}

export function freed(): CoreError {
  return new CoreError('CORE_FREED', 'PriorityQueue was used after free()')
}
