export { TransportManager } from './transport-manager.js'
export type { ManagedTransportStats, TransportManagerStats } from './transport-manager.js'
export { MAX_MANAGED_TRANSPORTS } from './options.js'
export type { TransportManagerOptions } from './options.js'
