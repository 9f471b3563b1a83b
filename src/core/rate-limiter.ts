// PLACEHOLDER until the RateLimiter facade lands: replace this whole file.
import type { WasmInstance } from './wasm-instance.js'
export class WasmRateLimiter {
  constructor(_instance: WasmInstance, _options: unknown) { throw new Error('WasmRateLimiter not implemented yet') }
}
