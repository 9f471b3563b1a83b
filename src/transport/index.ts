// The transport layer's public pieces: the contracts, their errors, and the in-memory network.

export type { CloseHandler, CloseInfo, Connection, DialOptions, DrainHandler, MessageHandler, Transport } from './transport.js'
export { TransportAbortError, TransportError } from './errors.js'
export type { TransportErrorCode } from './errors.js'
export { MemoryConnection, MemoryNetwork, MemoryTransport, MEMORY_SCHEME, toMemoryAddress } from './memory/index.js'
export type { LinkOptions, MemoryEndpoint, MemoryNetworkOptions, MemoryNetworkStats, MemoryTransportStats } from './memory/index.js'
