// The public surface of wasmesh.

export { loadCore, loadCoreSync } from './core/load-core.js'
export type { LoadCoreOptions } from './core/load-core.js'
export type {
  Backend,
  Core,
  DedupSet,
  DedupSetOptions,
  RoutingTable,
  RoutingTableOptions,
  RoutingAddResult,
  PriorityQueue,
  PriorityQueueOptions,
  RateLimiter,
  RateLimiterOptions,
} from './core/contracts.js'
export { CoreError } from './core/errors.js'
export type { CoreErrorCode } from './core/errors.js'
export { WasmeshError } from './util/wasmesh-error.js'
