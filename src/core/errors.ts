// Errors of the core structures (dedup set, routing table, priority queue, rate limiter).

import { WasmeshError } from '../util/wasmesh-error.js'

export type CoreErrorCode =
  | 'CORE_INVALID_OPTION'
  | 'CORE_INVALID_ARGUMENT'
  | 'CORE_ID_LENGTH'
  | 'CORE_SELF_ID'
  | 'CORE_FREED'
  | 'CORE_WASM_UNAVAILABLE'

/** Thrown when a core structure is given bad options or arguments, or used after `free()`. */
export class CoreError extends WasmeshError {
  declare readonly code: CoreErrorCode

  constructor(code: CoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}
