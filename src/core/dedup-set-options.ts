// Validation of DedupSet options, shared by the WebAssembly facade and the twin.

import type { DedupSetOptions } from './contracts.js'
import { CoreError } from './errors.js'
import { checkInteger } from '../util/validate.js'

export const DEDUP_MAX_CAPACITY = 16_777_215
export const DEDUP_MAX_TTL_MS = 2 ** 31 - 1

const invalidOption = (message: string) => new CoreError('CORE_INVALID_OPTION', message)
export const invalidArgument = (message: string) => new CoreError('CORE_INVALID_ARGUMENT', message)

export function resolveDedupSetOptions(options: DedupSetOptions): Required<DedupSetOptions> {
  if (typeof options !== 'object' || options === null) {
    throw invalidOption(`DedupSet options must be an object with capacity and ttlMs, got ${String(options)}`)
  }
  return {
    capacity: checkInteger('capacity', options.capacity, 1, DEDUP_MAX_CAPACITY, invalidOption),
    ttlMs: checkInteger('ttlMs', options.ttlMs, 1, DEDUP_MAX_TTL_MS, invalidOption),
  }
}

/** Keys the tables of a new set hold; they double on demand up to its capacity (assembly/dedup.ts). */
export const DEDUP_INITIAL_CAPACITY = 256

/** Index entries for a capacity: the index is kept at most 7/10 full (assembly/dedup.ts). */
export function dedupIndexSize(capacity: number): number {
  return capacity + Math.floor((capacity * 3 + 6) / 7)
}

/** Values the overflow FIFO can hold: live keys span less than ttlMs, so this is enough. */
export function dedupOverflowCapacity(capacity: number, ttlMs: number): number {
  return Math.min(capacity, Math.floor((ttlMs - 1) / 65535) + 1)
}

/** Bytes a set holds: header slot, u64 key + u16 delta per position, u32 index, f64 overflow. */
export function dedupByteLength(capacity: number, ttlMs: number): number {
  return 128 + capacity * 10 + dedupIndexSize(capacity) * 4 + dedupOverflowCapacity(capacity, ttlMs) * 8
}

export function checkKey(key: unknown): void {
  if (typeof key !== 'bigint' || key < 0n || key > 0xffff_ffff_ffff_ffffn) {
    throw invalidArgument(`key must be a bigint from 0n to 2n ** 64n - 1n, got ${typeof key === 'bigint' ? `${key}n` : String(key)}`)
  }
}

export function checkNow(nowMs: unknown): void {
  if (typeof nowMs !== 'number' || !(nowMs >= 0) || nowMs === Infinity) {
    throw invalidArgument(`nowMs must be a finite, non-negative time in milliseconds, got ${String(nowMs)}`)
  }
}

export function checkKeys(keys: unknown, out: unknown): void {
  if (!(keys instanceof BigUint64Array)) throw invalidArgument(`keys must be a BigUint64Array, got ${String(keys)}`)
  if (out !== undefined && (!(out instanceof Uint8Array) || out.length < keys.length)) {
    throw invalidArgument(`out must be a Uint8Array of at least ${keys.length} bytes, got ${String(out)}`)
  }
}

export function freed(): CoreError {
  return new CoreError('CORE_FREED', 'DedupSet was used after free()')
}
