// What WebRTC needs from a signaling channel, apart from any implementation: a way to hand a
// small message to a peer known by an id, and to hear the messages addressed to us. The
// in-process hub (memory-signaling.ts) implements it for tests and single-process meshes; the
// bootstrap server's signaling over WebSocket implements it later.
//
// Whatever arrives came from a stranger, so the transport reads it through parseSignal():
// every field checked and bounded, and anything else is dropped and counted, never thrown.

export interface Signaling {
  /** The id others dial us by ('webrtc://<localId>'). */
  readonly localId: string
  /**
   * Hands `message` to the peer with id `toId`, best effort: it may be lost, and nothing is
   * thrown for a peer that is unknown or gone. A signaling that knows the peer is unknown
   * answers with a 'bye' from that peer (reason UNREACHABLE_REASON) for the same connection.
   */
  send(toId: string, message: SignalMessage): void
  /**
   * Sets the handler of arriving messages (replacing any previous one). `message` is whatever
   * the far side sent, unchecked; the handler is never called from inside send().
   */
  onMessage(handler: (fromId: string, message: unknown) => void): void
  /** Stops sending and receiving; messages for this id are answered as for an unknown peer. Idempotent. */
  close(): void
}

/**
 * Before any peer connection is made: the dialler's 'knock' asks whether the listener will
 * take a connection, and the listener's 'ready' promises it will (it holds a slot and a peer
 * connection of its budget for it); a 'bye' says it will not. Only on 'ready' does the dialler
 * make its RTCPeerConnection, so a dial to somebody absent, full or not listening spends none.
 */
export interface KnockSignal {
  readonly type: 'knock' | 'ready'
  readonly connectionId: string
}

/** A session description: the dialler's offer (also each ICE restart's) and the listener's answer. */
export interface DescriptionSignal {
  readonly type: 'offer' | 'answer'
  /** The dialler's id for this connection: several connections between two peers never mix. */
  readonly connectionId: string
  readonly sdp: string
}

/** One trickled ICE candidate. */
export interface CandidateSignal {
  readonly type: 'candidate'
  readonly connectionId: string
  readonly candidate: string
  readonly sdpMid: string | null
  readonly sdpMLineIndex: number | null
}

/** The connection will not happen (or is over): refused, unreachable, timed out, aborted, closed. */
export interface ByeSignal {
  readonly type: 'bye'
  readonly connectionId: string
  readonly reason: string
}

export type SignalMessage = KnockSignal | DescriptionSignal | CandidateSignal | ByeSignal

/** The reason of the 'bye' a signaling sends back for a peer it does not know. */
export const UNREACHABLE_REASON = 'unreachable'

/** Limits on what a signal may carry; a larger field is 'oversized'. */
export interface SignalLimits {
  /** The longest SDP, in UTF-16 code units. A data-channel offer is about 600. */
  readonly maxSdpLength: number
}

export const MAX_CANDIDATE_LENGTH = 1_024
export const MAX_REASON_LENGTH = 256
const MAX_MID_LENGTH = 32
const CONNECTION_ID = /^[A-Za-z0-9_-]{8,64}$/

/** Checks a message from a stranger: a SignalMessage (a copy, holding only its known fields), or why it was refused. */
export function parseSignal(message: unknown, limits: SignalLimits): SignalMessage | 'malformed' | 'oversized' {
  if (typeof message !== 'object' || message === null) return 'malformed'
  const { type, connectionId } = message as Record<string, unknown>
  if (typeof connectionId !== 'string' || !CONNECTION_ID.test(connectionId)) return 'malformed'
  switch (type) {
    case 'knock':
    case 'ready':
      return { type, connectionId }
    case 'offer':
    case 'answer': {
      const sdp = (message as Record<string, unknown>).sdp
      if (typeof sdp !== 'string' || sdp.length === 0) return 'malformed'
      if (sdp.length > limits.maxSdpLength) return 'oversized'
      return { type, connectionId, sdp }
    }
    case 'candidate': {
      const { candidate, sdpMid, sdpMLineIndex } = message as Record<string, unknown>
      if (typeof candidate !== 'string') return 'malformed'
      if (candidate.length > MAX_CANDIDATE_LENGTH) return 'oversized'
      if (sdpMid !== null && (typeof sdpMid !== 'string' || sdpMid.length > MAX_MID_LENGTH)) return 'malformed'
      if (sdpMLineIndex !== null && (typeof sdpMLineIndex !== 'number' || !Number.isInteger(sdpMLineIndex) || sdpMLineIndex < 0 || sdpMLineIndex > 255)) return 'malformed'
      if (sdpMid === null && sdpMLineIndex === null) return 'malformed'
      return { type, connectionId, candidate, sdpMid, sdpMLineIndex }
    }
    case 'bye': {
      const reason = (message as Record<string, unknown>).reason
      if (typeof reason !== 'string') return 'malformed'
      if (reason.length > MAX_REASON_LENGTH) return 'oversized'
      return { type, connectionId, reason }
    }
    default:
      return 'malformed'
  }
}
