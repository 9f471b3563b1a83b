// loadCore(): the entry to the four core structures, on the WebAssembly backend (default)
// or on their pure-TypeScript twins. The WebAssembly module is instantiated once per thread
// and shared by every structure created from it.

import type { Backend, Core, DedupSetOptions, PriorityQueueOptions, RateLimiterOptions, RoutingTableOptions } from './contracts.js'
import { CoreError } from './errors.js'
import { WasmInstance, wasmInstance, wasmInstanceSync } from './wasm-instance.js'
import { WasmDedupSet } from './dedup-set.js'
import { WasmRoutingTable } from './routing-table.js'
import { WasmPriorityQueue } from './priority-queue.js'
import { WasmRateLimiter } from './rate-limiter.js'
import { TwinDedupSet } from './twin/dedup-set.js'
import { TwinRoutingTable } from './twin/routing-table.js'
import { TwinPriorityQueue } from './twin/priority-queue.js'
import { TwinRateLimiter } from './twin/rate-limiter.js'
import { WasmKeyedHasher } from './keyed-hasher.js'
import { TwinKeyedHasher } from './twin/keyed-hasher.js'

export interface LoadCoreOptions {
  /** 'wasm' (default) or 'js' for the pure-TypeScript twins. */
  backend?: Backend
}

class WasmCore implements Core {
  readonly backend = 'wasm' as const
  constructor(private readonly instance: WasmInstance) {}
  createDedupSet(options: DedupSetOptions) { return new WasmDedupSet(this.instance, options) }
  createRoutingTable(options: RoutingTableOptions) { return new WasmRoutingTable(this.instance, options) }
  createPriorityQueue(options: PriorityQueueOptions = {}) { return new WasmPriorityQueue(this.instance, options) }
  createRateLimiter(options: RateLimiterOptions) { return new WasmRateLimiter(this.instance, options) }
  createKeyedHasher(key: Uint8Array) { return new WasmKeyedHasher(this.instance, key) }
}

class TwinCore implements Core {
  readonly backend = 'js' as const
  createDedupSet(options: DedupSetOptions) { return new TwinDedupSet(options) }
  createRoutingTable(options: RoutingTableOptions) { return new TwinRoutingTable(options) }
  createPriorityQueue(options: PriorityQueueOptions = {}) { return new TwinPriorityQueue(options) }
  createRateLimiter(options: RateLimiterOptions) { return new TwinRateLimiter(options) }
  createKeyedHasher(key: Uint8Array) { return new TwinKeyedHasher(key) }
}

const twinCore = new TwinCore()
let wasmCore: WasmCore | undefined

function checkBackend(options: unknown): Backend {
  if (options === undefined || options === null) return 'wasm'
  if (typeof options !== 'object') {
    throw new CoreError('CORE_INVALID_OPTION', `loadCore options must be an object, got ${String(options)}`)
  }
  const backend = (options as LoadCoreOptions).backend ?? 'wasm'
  if (backend !== 'wasm' && backend !== 'js') {
    throw new CoreError('CORE_INVALID_OPTION', `backend must be 'wasm' or 'js', got ${JSON.stringify(backend)}`)
  }
  return backend
}

/** Loads the core. Rejects with CoreError('CORE_WASM_UNAVAILABLE') if WebAssembly cannot run. */
export async function loadCore(options?: LoadCoreOptions): Promise<Core> {
  if (checkBackend(options) === 'js') return twinCore
  wasmCore ??= new WasmCore(await wasmInstance())
  return wasmCore
}

/**
 * The core without awaiting: the WebAssembly backend when it is already loaded or can be
 * compiled synchronously here (Node, workers), else the TypeScript twins.
 */
export function loadCoreSync(options?: LoadCoreOptions): Core {
  if (checkBackend(options) === 'js') return twinCore
  if (wasmCore !== undefined) return wasmCore
  const instance = wasmInstanceSync()
  if (instance === undefined) return twinCore
  wasmCore = new WasmCore(instance)
  return wasmCore
}
