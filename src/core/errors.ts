// Errors of the core structures (dedup set, routing table, priority queue, rate limiter).

import { WasmeshError } from '../util/wasmesh-error.js'

export type CoreErrorCode =
  /** A create*() option is out of range or of the wrong type (capacity, ttlMs, k, levels, ratePerSec, peers, ...). */
  | 'CORE_INVALID_OPTION'
  /** A method argument is malformed: a key that is not a bigint, a handle out of range, a priority past the levels. */
  | 'CORE_INVALID_ARGUMENT'
  /** An id is not the routing table's id length (the length of its localId). */
  | 'CORE_ID_LENGTH'
  /** The routing table was asked to add its own local id. */
  | 'CORE_SELF_ID'
  /** A structure was used after free(). */
  | 'CORE_FREED'
  /** WebAssembly cannot be compiled or instantiated here, or the module ran out of memory (loadCore({ backend: 'js' }) avoids it). */
  | 'CORE_WASM_UNAVAILABLE'

/** Thrown when a core structure is given bad options or arguments, or used after `free()`. */
export class CoreError extends WasmeshError {
  declare readonly code: CoreErrorCode

  constructor(code: CoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}
