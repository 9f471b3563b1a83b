// The part of the W3C RTCPeerConnection API the WebRTC transport uses. The browser's own
// class and node-datachannel's polyfill (`node-datachannel/polyfill`) both have it, and a
// test can pass a subclass or a fake of its own (the RTCPeerConnection option).

import type { ChannelListener, DataChannelLike } from '../channel/index.js'

export interface IceServer {
  /** 'stun:host:port', 'turn:host:port?transport=udp', 'turns:...'; one or several. */
  readonly urls: string | readonly string[]
  /** Required for TURN. */
  readonly username?: string
  /** Required for TURN. */
  readonly credential?: string
}

/** Which ICE candidates a connection may use: 'all', or 'relay' (TURN only, which hides this host's addresses). */
export type IceTransportPolicy = 'all' | 'relay'

export interface PeerConnectionConfiguration {
  iceServers: IceServer[]
  iceTransportPolicy: IceTransportPolicy
}

export interface SessionDescriptionLike {
  readonly type: string
  readonly sdp?: string
}

export interface IceCandidateLike {
  readonly candidate: string
  readonly sdpMid?: string | null
  readonly sdpMLineIndex?: number | null
}

/** A data channel as the peer connection makes it: it also tells when it opens. */
export interface PeerDataChannel extends DataChannelLike {
  addEventListener(type: 'open' | 'message' | 'bufferedamountlow' | 'close' | 'error', listener: ChannelListener): void
  removeEventListener(type: 'open' | 'message' | 'bufferedamountlow' | 'close' | 'error', listener: ChannelListener): void
}

/** Typed loosely on purpose, as ChannelListener: the DOM's and node-datachannel's events differ. */
export type PeerConnectionListener = (event: any) => void

export interface PeerConnectionLike {
  readonly iceConnectionState: string
  readonly connectionState?: string
  /** The SCTP transport once negotiated; its maxMessageSize is the far side's limit on one channel message. */
  readonly sctp?: { readonly maxMessageSize: number } | null
  createDataChannel(label: string, init?: { ordered?: boolean }): PeerDataChannel
  createOffer(options?: { iceRestart?: boolean }): Promise<SessionDescriptionLike>
  createAnswer(): Promise<SessionDescriptionLike>
  setLocalDescription(description: SessionDescriptionLike): Promise<void>
  setRemoteDescription(description: SessionDescriptionLike): Promise<void>
  addIceCandidate(candidate: IceCandidateLike): Promise<void>
  /** Absent or throwing where ICE restarts are not supported (node-datachannel's polyfill throws); returns a promise in some. */
  restartIce?(): void | Promise<void>
  close(): void
  addEventListener(type: 'icecandidate' | 'iceconnectionstatechange' | 'connectionstatechange' | 'datachannel', listener: PeerConnectionListener): void
  removeEventListener(type: 'icecandidate' | 'iceconnectionstatechange' | 'connectionstatechange' | 'datachannel', listener: PeerConnectionListener): void
}

/** An RTCPeerConnection class in the W3C shape, such as globalThis.RTCPeerConnection; for the `RTCPeerConnection` option. */
export type PeerConnectionConstructor = new (configuration: PeerConnectionConfiguration) => PeerConnectionLike
