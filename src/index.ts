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
  KeyedHasher,
  RateLimiter,
  RateLimiterOptions,
} from './core/contracts.js'
export { CoreError } from './core/errors.js'
export type { CoreErrorCode } from './core/errors.js'
export { WasmeshError } from './util/wasmesh-error.js'

// Foundations of the mesh node (the node itself comes next): injected time and randomness,
// the in-memory network for tests and the simulator, node identity, the wire codec.
export { systemClock, ManualClock, ClockError } from './util/clock.js'
export type { Clock, TimerHandle } from './util/clock.js'
export { seededRandom, cryptoRandom, SeededRandom, RandomError } from './util/random.js'
export type { RandomSource } from './util/random.js'
export { MemoryNetwork, TransportError } from './transport/index.js'
export type { Transport, Connection, LinkOptions, MemoryEndpoint, MemoryNetworkOptions } from './transport/index.js'
export { WebSocketTransport, TransportAbortError } from './transport/index.js'
export type {
  CloseHandler,
  CloseInfo,
  DialOptions,
  DrainHandler,
  MessageHandler,
  SocketListener,
  TransportErrorCode,
  WebSocketConstructor,
  WebSocketLike,
  WebSocketTraffic,
  WebSocketTransportOptions,
  WebSocketTransportStats,
} from './transport/index.js'
export { Identity } from './peers/identity.js'
export { IdentityError, HandshakeError } from './peers/errors.js'
export { WireError } from './wire/index.js'
export { ConnectionManager } from './peers/connection-manager.js'
export { PeerError } from './peers/errors.js'
export type { PeerErrorCode, RedirectPeer } from './peers/errors.js'
export type { ConnectOptions, ConnectionManagerStats, RetentionAdvisor } from './peers/connection-manager.js'
export type { PeerNetwork, PeerSession } from './peers/session.js'
export { Relay, RelayError } from './relay/index.js'
export { Dht, DhtError } from './dht/index.js'
export { Router, RoutingError } from './routing/index.js'
export { createMeshNode, MeshNode } from './node.js'
export { MeshNodeError } from './node/errors.js'
export type { MeshNodeOptions } from './node/options.js'
export type { MeshNodeStats } from './node/stats.js'
export type { UpkeepStats } from './node/upkeep.js'
export type { MeshNodeEventDetails, MeshNodeEventName } from './node/events.js'
