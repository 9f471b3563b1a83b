// The transport layer's public pieces: the contracts, their errors, the in-memory network, the
// WebSocket transport, the WebRTC transport, and the manager that puts several together.

export type { CloseHandler, CloseInfo, Connection, DialOptions, DrainHandler, MessageHandler, Transport } from './transport.js'
export { TransportAbortError, TransportError } from './errors.js'
export type { TransportErrorCode } from './errors.js'
export { MemoryConnection, MemoryNetwork, MemoryTransport, MEMORY_SCHEME, toMemoryAddress } from './memory/index.js'
export type { LinkOptions, MemoryEndpoint, MemoryNetworkOptions, MemoryNetworkStats, MemoryTransportStats } from './memory/index.js'
export { WebSocketTransport, REFUSED_BACKLOG, REFUSED_MALFORMED, REFUSED_TEXT, REFUSED_TOO_LARGE } from './websocket/index.js'
export type { HttpRequestHandler, HttpRequestLike, HttpResponseLike } from './websocket/index.js'
export type { SocketListener, WebSocketConstructor, WebSocketLike, WebSocketTlsOptions, WebSocketTraffic, WebSocketTransportOptions, WebSocketTransportStats } from './websocket/index.js'
export { MemorySignaling, WebRtcTransport, ICE_GAVE_UP, UNREACHABLE_REASON } from './webrtc/index.js'
export type {
  ByeSignal, CandidateSignal, DescriptionSignal, KnockSignal, IceServer, IceTransportPolicy, MemorySignalingOptions, MemorySignalingStats, PeerConnectionConfiguration,
  PeerConnectionConstructor, PeerConnectionLike, PeerDataChannel, SignalMessage, Signaling, WebRtcChannelOptions, WebRtcCounters,
  WebRtcTransportOptions, WebRtcTransportStats,
} from './webrtc/index.js'
export { TransportManager, MAX_MANAGED_TRANSPORTS } from './manager/index.js'
export type { ManagedTransportStats, TransportManagerOptions, TransportManagerStats } from './manager/index.js'
