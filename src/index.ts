/**
 * wasmesh: a peer-to-peer mesh for browsers and Node.js. Start with {@link createMeshNode}
 * and {@link MeshNode}; {@link loadCore} gives the WebAssembly structures on their own. The
 * error codes are listed in docs/api/errors.md.
 *
 * @module wasmesh
 */

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

// The layers under the mesh node, each usable on its own: injected time and randomness, the
// in-memory network for tests and the simulator, node identity, the wire codec, the
// connection manager, relay, DHT and router. Every type in their public signatures is
// exported too (test/public-types.test.ts checks it).
export { systemClock, ManualClock, ClockError } from './util/clock.js'
export type { Clock, ClockErrorCode, TimerHandle } from './util/clock.js'
export { seededRandom, cryptoRandom, SeededRandom, RandomError } from './util/random.js'
export type { RandomErrorCode, RandomSource } from './util/random.js'
export { MemoryNetwork, TransportError } from './transport/index.js'
export type { Transport, Connection, LinkOptions, MemoryEndpoint, MemoryNetworkOptions, MemoryNetworkStats, MemoryTransportStats } from './transport/index.js'
export type { MemoryConnection, MemoryTransport } from './transport/index.js'
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
  WebSocketTlsOptions,
  HttpRequestHandler,
  HttpRequestLike,
  HttpResponseLike,
  WebSocketTransportOptions,
  WebSocketTransportStats,
} from './transport/index.js'
export { WebRtcTransport, MemorySignaling } from './transport/index.js'
export type {
  IceServer,
  IceTransportPolicy,
  PeerConnectionConstructor,
  PeerConnectionLike,
  SignalMessage,
  Signaling,
  WebRtcTransportOptions,
  WebRtcTransportStats,
} from './transport/index.js'
// The types the WebRTC transport's options, stats and signaling name (test/public-types.test.ts).
export type { ByeSignal, CandidateSignal, DescriptionSignal, KnockSignal } from './transport/webrtc/signaling.js'
export type { MemorySignalingOptions, MemorySignalingStats } from './transport/webrtc/memory-signaling.js'
export type { WebRtcChannelOptions } from './transport/webrtc/options.js'
export type { IceCandidateLike, PeerConnectionConfiguration, PeerConnectionListener, PeerDataChannel, SessionDescriptionLike } from './transport/webrtc/peer-connection.js'
export type { WebRtcCounters } from './transport/webrtc/peer.js'
export type { ChannelListener, DataChannelLike, DataChannelState } from './transport/channel/data-channel.js'
export { TransportManager, MAX_MANAGED_TRANSPORTS } from './transport/index.js'
export { BootstrapServer, WebSocketSignaling, RelayTransport, LanDiscovery, BootstrapServerDiscovery, DiscoveryError, fetchPeers, FetchPeersError, FileKnownPeers, MemoryKnownPeers, WebStorageKnownPeers, MAX_KNOWN_PEERS } from './discovery/index.js'
export type { KnownPeer, KnownPeersStore, WebStorageKnownPeersOptions, WebStorageLike } from './discovery/index.js'
export type { BootstrapDropReason, BootstrapServerOptions, BootstrapServerStats, DirectoryPeer, DiscoveryErrorCode, FetchFailure, FetchFailureReason, FetchPeersOptions, FetchPeersResponse, FetchPeersResult, BootstrapServerDiscoveryOptions, BootstrapServerDiscoveryStats, WebSocketSignalingOptions, WebSocketSignalingStats, RelayTransportOptions, RelayTransportStats, LanDiscoveryOptions, LanDiscoveryStats, DiscoveredPeer, PeerDiscovery, PeerDiscoverySelf, StaticFilesOption } from './discovery/index.js'
export type { ManagedTransportStats, TransportManagerOptions, TransportManagerStats } from './transport/index.js'
export type { ChannelConnectionOptions, ChannelTraffic } from './transport/channel/options.js'
export { Identity } from './peers/identity.js'
export type { ExportedIdentity, IdentityOptions } from './peers/identity.js'
export { IdentityError, HandshakeError } from './peers/errors.js'
export type { HandshakeErrorCode, IdentityErrorCode } from './peers/errors.js'
export { WireError } from './wire/index.js'
export type { WireErrorCode } from './wire/index.js'
export type {
  AuthMessage,
  DecodedMessage,
  DhtRecord,
  DirectAckMessage,
  DirectMessage,
  MeshSignalMessage,
  FindNodeMessage,
  FindValueMessage,
  GoodbyeMessage,
  HelloMessage,
  IHaveMessage,
  ImmutableRecord,
  IWantMessage,
  MessageRef,
  MutableRecord,
  NodesMessage,
  PeerInfo,
  PingMessage,
  PongMessage,
  PublishMessage,
  RedirectMessage,
  StoreMessage,
  StoreResultMessage,
  SubscribeMessage,
  UnknownMessage,
  UnsubscribeMessage,
  ValueMessage,
  WireMessage,
} from './wire/messages.js'
export { ConnectionManager } from './peers/connection-manager.js'
export { PeerError } from './peers/errors.js'
export type { PeerErrorCode, RedirectPeer } from './peers/errors.js'
export type { ConnectOptions, ConnectionManagerStats, PeerStats, RetentionAdvisor } from './peers/connection-manager.js'
export type { ConnectionManagerOptions } from './peers/options.js'
export type { AddressBook } from './peers/address-book.js'
export type { DropReason } from './peers/peer-session.js'
export type { Misbehaviour, PeerNetwork, PeerNetworkEvents, PeerSession, SendPriority } from './peers/session.js'
export type { SignatureVerifier } from './util/signature-verifier.js'
export type { Signer } from './util/signer.js'
export { Relay, RelayError } from './relay/index.js'
export type { PublishNotSentReason, PublishResult, RelayDropReason, RelayErrorCode, RelayHandler, RelayMessage, RelayOptions, RelayStats, RelayValidator, ValidationResult } from './relay/index.js'
export { Dht, DhtError } from './dht/index.js'
export type { DhtErrorCode, DhtOptions, DhtStats, GetOptions, HopStats, LookupPeer, LookupResult, PutOptions, PutResult, ResolvedDhtOptions, VerifyFn } from './dht/index.js'
export { Router, RoutingError } from './routing/index.js'
export type { ClosestPeers, RoutedMessage, RoutedMessageHandler, RoutePath, RouterOptions, RouterStats, RoutingDropReason, RoutingErrorCode, SendResult } from './routing/index.js'
export { createMeshNode, MeshNode } from './node.js'
export type { BootstrapFailurePolicy, MeshDht, StartOptions } from './node.js'
export type { WaitForSubscribersOptions } from './node/subscriber-waits.js'
export { BootstrapError, MeshNodeError } from './node/errors.js'
export { MeshSignaling, MAX_MESH_SIGNAL_BYTES } from './node/mesh-signaling.js'
export type { MeshSignalingOptions, MeshSignalingStats } from './node/mesh-signaling.js'
export type { MeshNodeErrorCode } from './node/errors.js'
export type { MeshDhtOptions, MeshNodeOptions, MeshPeersOptions, MeshRelayOptions, MeshRoutingOptions } from './node/options.js'
export type { DhtOperation, MemoryEstimate, MeshNodeStats, OperationTimings, TransportSummary } from './node/stats.js'
export type { UpkeepStats } from './node/upkeep.js'
export type { KnownPeersStoreStats } from './node/known-peers.js'
export type { DiscoveryStats } from './node/discovery-runner.js'
export type { BootstrapOutcome, MeshEventTarget, MeshNodeEvent, MeshNodeEventDetails, MeshNodeEventName, MeshNodeListener, MeshPeer } from './node/events.js'
