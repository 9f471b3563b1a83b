// PLACEHOLDER until the RoutingTable facade lands: replace this whole file.
import type { WasmInstance } from './wasm-instance.js'
export class WasmRoutingTable {
  constructor(_instance: WasmInstance, _options: unknown) { throw new Error('WasmRoutingTable not implemented yet') }
}
