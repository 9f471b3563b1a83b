// The in-memory transport: MemoryNetwork and what it hands out.

export { MemoryNetwork } from './network.js'
export type { MemoryNetworkOptions, MemoryNetworkStats } from './network.js'
export { MemoryTransport } from './transport.js'
export type { MemoryTransportStats } from './transport.js'
export { MemoryConnection } from './connection.js'
export type { LinkOptions } from './link.js'
export { MEMORY_SCHEME, toMemoryAddress } from './address.js'
export type { MemoryEndpoint } from './address.js'
