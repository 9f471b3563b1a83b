// Validation of RateLimiter options and arguments, and its memory formula, shared by the
// WebAssembly facade and the twin. The hot paths check arguments inline with cheap tests and
// call the functions here only to build the error.

import type { RateLimiterOptions } from './contracts.js'
import { CoreError } from './errors.js'
import { checkInteger, checkTime, describeValue } from '../util/validate.js'

export const LIMITER_MAX_RATE = 1e9
export const LIMITER_MAX_BURST = 1e9
export const LIMITER_DEFAULT_PEERS = 1_024
export const LIMITER_MAX_PEERS = 16_777_216

const invalidOption = (message: string) => new CoreError('CORE_INVALID_OPTION', message)
const invalidArgument = (message: string) => new CoreError('CORE_INVALID_ARGUMENT', message)

export function resolveRateLimiterOptions(options: RateLimiterOptions): Required<RateLimiterOptions> {
  if (typeof options !== 'object' || options === null) {
    throw invalidOption(`RateLimiter options must be an object with ratePerSec and burst, got ${String(options)}`)
  }
  const { ratePerSec, burst } = options
  if (typeof ratePerSec !== 'number' || !(ratePerSec > 0) || ratePerSec > LIMITER_MAX_RATE) {
    throw invalidOption(`ratePerSec must be a number above 0 and at most ${LIMITER_MAX_RATE}, got ${describeValue(ratePerSec)}`)
  }
  if (typeof burst !== 'number' || !(burst >= 1) || burst > LIMITER_MAX_BURST) {
    throw invalidOption(`burst must be a number from 1 to ${LIMITER_MAX_BURST}, got ${describeValue(burst)}`)
  }
  return {
    ratePerSec,
    burst,
    peers: checkInteger('peers', options.peers ?? LIMITER_DEFAULT_PEERS, 1, LIMITER_MAX_PEERS, invalidOption),
  }
}

/** Buckets a new limiter holds (fewer if `peers` is smaller); the table doubles from there as handles are used. */
export const LIMITER_INITIAL_CAPACITY = 16

/** Bytes a limiter holding `buckets` buckets takes: header slot and a 16-byte bucket (deficit, last take) each. */
export function rateLimiterByteLength(buckets: number): number {
  return 128 + buckets * 16
}

/** True for a finite, non-negative number: the cheap inline form of checkTime. */
export function isTime(nowMs: unknown): boolean {
  return typeof nowMs === 'number' && nowMs >= 0 && nowMs !== Infinity
}

/** True for a finite number >= 0: the cheap inline form of checkCost. */
export function isCost(cost: unknown): boolean {
  return typeof cost === 'number' && cost >= 0 && cost !== Infinity
}

/** The error for tryTake/tokens arguments that failed the inline checks. */
export function takeError(peer: unknown, nowMs: unknown, cost: unknown, peers: number): CoreError {
  try {
    checkPeer(peer, peers)
    checkTime('nowMs', nowMs, invalidArgument)
    checkCost(cost)
  } catch (error) {
    return error as CoreError
  }
  return invalidArgument('tryTake arguments are invalid')
}

export function checkPeer(peer: unknown, peers: number): number {
  return checkInteger('peer', peer, 0, peers - 1, invalidArgument)
}

/**
 * A cost is a finite number >= 0 (fractions allowed). A cost above burst is valid but can
 * never be paid, so tryTake answers false for it.
 */
export function checkCost(cost: unknown): number {
  if (typeof cost !== 'number' || !(cost >= 0) || cost === Infinity) {
    throw invalidArgument(`cost must be a finite number >= 0, got ${describeValue(cost)}`)
  }
  return cost
}

export function checkNow(nowMs: unknown): void {
  checkTime('nowMs', nowMs, invalidArgument)
}

export function checkBatch(handles: unknown, out: unknown): Uint32Array {
  if (!(handles instanceof Uint32Array)) throw invalidArgument(`peers must be a Uint32Array, got ${describeValue(handles)}`)
  if (out !== undefined && (!(out instanceof Uint8Array) || out.length < handles.length)) {
    throw invalidArgument(`out must be a Uint8Array of at least ${handles.length} bytes, got ${describeValue(out)}`)
  }
  return handles
}

/** Index of the first handle >= peers, or -1. */
export function firstBadHandle(handles: Uint32Array, peers: number): number {
  for (let i = 0; i < handles.length; i++) if (handles[i] >= peers) return i
  return -1
}

export function badHandle(handles: Uint32Array, index: number, peers: number): CoreError {
  return invalidArgument(`peers[${index}] must be a peer handle from 0 to ${peers - 1}, got ${handles[index]}; nothing was taken`)
}

export function freed(): CoreError {
  return new CoreError('CORE_FREED', 'RateLimiter was used after free()')
}
