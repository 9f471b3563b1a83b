// PLACEHOLDER until the PriorityQueue facade lands: replace this whole file.
import type { WasmInstance } from './wasm-instance.js'
export class WasmPriorityQueue {
  constructor(_instance: WasmInstance, _options: unknown) { throw new Error('WasmPriorityQueue not implemented yet') }
}
