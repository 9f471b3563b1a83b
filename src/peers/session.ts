// What the peers layer offers the layers above it (relay, DHT, routing, node): a set of
// authenticated peer sessions and a way to send them messages and hear theirs. The connection
// manager implements PeerNetwork over real transports; tests of the upper layers may
// implement it in-process. Everything here is transport-independent.

import type { DecodedMessage } from '../wire/messages.js'
import type { Clock } from '../util/clock.js'
import type { RandomSource } from '../util/random.js'
import type { Identity } from './identity.js'

/** Outgoing priority of a message: 0 is served first (see the core PriorityQueue). */
export type SendPriority = 0 | 1 | 2 | 3

export const PRIORITY_CONTROL: SendPriority = 0 // handshake, ping/pong, acks, goodbye
export const PRIORITY_DHT: SendPriority = 1 //     DHT requests and replies, direct messages
export const PRIORITY_PUBLISH: SendPriority = 2 // relayed pub/sub traffic
export const PRIORITY_BULK: SendPriority = 3 //    blob chunks and other bulk data

/** Why a peer's score drops (and a message may be dropped); counted per reason. */
export type Misbehaviour =
  | 'invalid-frame' //     undecodable bytes
  | 'bad-signature' //     a signature that does not verify
  | 'rate-limit' //        over its per-peer message rate
  | 'invalid-message' //   decodable but against the protocol (wrong ids, bad fields)
  | 'unwanted' //          a validator rejected what it sent

/** One authenticated neighbour. */
export interface PeerSession {
  /** SHA-256 of its public key, 32 bytes. */
  readonly peerId: Uint8Array
  /** Lowercase hex of peerId, for maps and logs. */
  readonly peerKey: string
  /** A small integer naming this session for the core structures (rate limiter, routing table). */
  readonly handle: number
  readonly publicKey: Uint8Array
  /** Negotiated protocol version and the capabilities both sides share. */
  readonly version: number
  readonly capabilities: readonly string[]
  /** Where the peer says it can be reached. */
  readonly listenAddresses: readonly string[]
  /** The far end of the connection the session runs over: the address dialled, or where an inbound one came from. */
  readonly remoteAddress: string
  /**
   * The address prefix the connection came from (an IPv4 /16, an IPv6 /32; see prefixOf), or
   * undefined when it is exempt (loopback, private ranges): layers above count what Sybils
   * made in bulk on one network can take by it.
   */
  readonly prefix: string | undefined
  readonly direction: 'inbound' | 'outbound'
  readonly isOpen: boolean
  /** Queues a message; false when the peer's outgoing queue is full (nothing queued, counted). */
  send(message: DecodedMessage, priority: SendPriority): boolean
  /** Lowers the peer's score; below the threshold it is disconnected and refused for a while. */
  penalize(reason: Misbehaviour): void
  close(reason?: string): void
}

export interface PeerNetworkEvents {
  'peer:connect': (peer: PeerSession) => void
  'peer:disconnect': (peer: PeerSession, reason: string) => void
  /** A decoded message from an authenticated peer (handshake messages never reach here). */
  message: (peer: PeerSession, message: DecodedMessage) => void
}

/** The authenticated neighbourhood of one node. */
export interface PeerNetwork {
  readonly identity: Identity
  readonly clock: Clock
  readonly random: RandomSource
  /** Open sessions, at most maxPeers. */
  peers(): readonly PeerSession[]
  peer(peerId: Uint8Array): PeerSession | undefined
  /**
   * Connects to an address (reusing an open session to the same peer); rejects with a typed
   * error. `isTransient`: the session is for a request or two (a lookup step), and is closed
   * soon after it falls idle unless a connect without it claims the session too.
   */
  connect(address: string, options?: { expectedPeerId?: Uint8Array; signal?: AbortSignal; isTransient?: boolean }): Promise<PeerSession>
  /** Of one peer's addresses, those the transport dials, in the order to try them; absent: all, as given. */
  dialOrder?(addresses: readonly string[]): string[]
  on<E extends keyof PeerNetworkEvents>(event: E, handler: PeerNetworkEvents[E]): () => void
}
