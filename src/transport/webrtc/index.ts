// The WebRTC transport: data channels through the page's RTCPeerConnection or node-datachannel's.

export { WebRtcTransport } from './transport.js'
export type { WebRtcTransportStats } from './transport.js'
export type { WebRtcChannelOptions, WebRtcTransportOptions } from './options.js'
export type { WebRtcCounters } from './peer.js'
export { ICE_GAVE_UP } from './peer.js'
export { MemorySignaling } from './memory-signaling.js'
export type { MemorySignalingOptions, MemorySignalingStats } from './memory-signaling.js'
export { parseSignal, UNREACHABLE_REASON } from './signaling.js'
export type { ByeSignal, CandidateSignal, DescriptionSignal, KnockSignal, SignalLimits, SignalMessage, Signaling } from './signaling.js'
export { formatWebRtcAddress, parseWebRtcAddress, WEBRTC_SCHEME } from './address.js'
export type { IceServer, IceTransportPolicy, PeerConnectionConfiguration, PeerConnectionConstructor, PeerConnectionLike, PeerDataChannel } from './peer-connection.js'
