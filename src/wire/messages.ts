// The message catalogue: what peers say to each other, as a discriminated union on `type`,
// and the numeric type code each carries on the wire. Ids, keys and public keys are 32-byte
// Uint8Arrays, signatures 64 bytes, sequence numbers and message ids u64 bigints.
//
// Extending, and how versions N and N+1 run side by side: a new message gets a new type code
// (never reuse one), and is sent only to peers whose hello advertised the capability for it.
// A changed layout is a new type code too: a body with bytes left over is refused, so every
// message has exactly one encoding. A decoder refuses unknown type codes by default; one
// talking to a newer peer may decode with `unknownTypes: 'return'` and ignore what it gets.
// The frame's version byte changes only for what cannot be negotiated this way.
// Codes are grouped by layer (0x0_ session, 0x1_ pub/sub, 0x2_ direct routing, 0x3_ DHT)
// with room to grow in each group.

/** Opens a connection: versions for negotiation, capabilities, the key the peer id must match. */
export interface HelloMessage {
  readonly type: 'hello'
  /** The protocol version this node speaks (u16). */
  readonly protocolVersion: number
  /** The oldest protocol version it still accepts (u16). */
  readonly minVersion: number
  /** At most 16 names of 1 to 32 printable ASCII bytes. */
  readonly capabilities: readonly string[]
  readonly publicKey: Uint8Array
  /** The challenge the other side signs in its auth message. */
  readonly nonce: Uint8Array
  /** Where this node can be reached, at most 8 of 1 to 256 UTF-8 bytes. */
  readonly listenAddresses: readonly string[]
}

/** Proves the key of hello: a signature over both sides' hello hashes (computed in peers/; layout in docs/protocol.md). */
export interface AuthMessage {
  readonly type: 'auth'
  readonly signature: Uint8Array
}

/** Says why a connection is closing; see GoodbyeReason. */
export interface GoodbyeMessage {
  readonly type: 'goodbye'
  readonly reason: number
}

/**
 * Sent by a node that will not keep a connection (it is full, or it prunes the session),
 * just before its goodbye: a sample of its peers, some closest to the receiver's id and some
 * random, so the receiver has others to dial (BitTorrent's DHT and libp2p do the same).
 * At most 20 peers.
 */
export interface RedirectMessage {
  readonly type: 'redirect'
  readonly peers: readonly PeerInfo[]
}

export interface PingMessage {
  readonly type: 'ping'
  readonly requestId: number
}

export interface PongMessage {
  readonly type: 'pong'
  readonly requestId: number
}

/** Topics of 1 to 256 UTF-8 bytes, at most 256 per message. */
export interface SubscribeMessage {
  readonly type: 'subscribe'
  readonly topics: readonly string[]
}

export interface UnsubscribeMessage {
  readonly type: 'unsubscribe'
  readonly topics: readonly string[]
}

/**
 * A flooded pub/sub message, signed by its origin over (topic, origin, seq, timestampMs, data).
 * It carries the origin's public key (origin = SHA-256 of it), so a relay many hops away can
 * verify it, and the origin's clock when it was signed, so a replay is refused by age.
 */
export interface PublishMessage {
  readonly type: 'publish'
  readonly topic: string
  readonly origin: Uint8Array
  readonly originKey: Uint8Array
  readonly seq: bigint
  /** The origin's clock when it signed the message, whole milliseconds (Unix epoch on the real clock). */
  readonly timestampMs: number
  readonly ttl: number
  /** Ids of the last relays it passed through (at most 8), for loop detection. */
  readonly path: readonly Uint8Array[]
  readonly data: Uint8Array
  readonly signature: Uint8Array
}

/** Names one publish: its origin and the origin's sequence number. */
export interface MessageRef {
  readonly origin: Uint8Array
  readonly seq: bigint
}

/**
 * Lazy push (gossipsub's IHAVE): publishes the sender accepted and did not push to this
 * peer, at most 256. The peer asks for those it has not seen with iwant.
 */
export interface IHaveMessage {
  readonly type: 'ihave'
  readonly refs: readonly MessageRef[]
}

/** Asks the sender of an ihave for publishes it named, at most 256; answered with publish messages. */
export interface IWantMessage {
  readonly type: 'iwant'
  readonly refs: readonly MessageRef[]
}

/** A routed point-to-point message, acknowledged by directAck. */
export interface DirectMessage {
  readonly type: 'direct'
  readonly messageId: bigint
  readonly origin: Uint8Array
  readonly target: Uint8Array
  /** The origin's public key (origin = SHA-256 of it), so the target can verify the signature. */
  readonly originKey: Uint8Array
  /** The origin's clock when it signed this attempt, whole milliseconds; each attempt is signed afresh. */
  readonly timestampMs: number
  readonly ttl: number
  readonly data: Uint8Array
  readonly signature: Uint8Array
}

/**
 * A direct message for the node itself rather than its application: WebRTC signaling relayed
 * through the mesh (an offer, an answer, ICE candidates for a peer not yet connected). Routed,
 * signed (under its own domain tag), acknowledged and limited exactly as a direct message; its
 * target hands it to the node's mesh signaling, never to onDirect handlers.
 */
export interface MeshSignalMessage extends Omit<DirectMessage, 'type'> {
  readonly type: 'meshSignal'
}

/**
 * Routed back from `target` to `origin` of the direct message it acknowledges, signed by the
 * target over (messageId, origin, target) (routing/envelope.ts). It carries the target's
 * public key (target = SHA-256 of it), so the origin, which knew only the id, can verify it.
 */
export interface DirectAckMessage {
  readonly type: 'directAck'
  readonly messageId: bigint
  readonly origin: Uint8Array
  readonly target: Uint8Array
  readonly targetKey: Uint8Array
  readonly ttl: number
  readonly signature: Uint8Array
}

export interface FindNodeMessage {
  readonly type: 'findNode'
  readonly requestId: number
  readonly target: Uint8Array
}

/** A peer as a DHT reply names it. */
export interface PeerInfo {
  readonly id: Uint8Array
  /** At most 8 of 1 to 256 UTF-8 bytes. */
  readonly addresses: readonly string[]
}

/** The reply to findNode: at most 20 peers closest to the target. */
export interface NodesMessage {
  readonly type: 'nodes'
  readonly requestId: number
  readonly peers: readonly PeerInfo[]
}

export interface FindValueMessage {
  readonly type: 'findValue'
  readonly requestId: number
  readonly key: Uint8Array
}

/** The reply to findValue: the record when held, and closer peers either way. */
export interface ValueMessage {
  readonly type: 'value'
  readonly requestId: number
  readonly record?: DhtRecord
  readonly peers: readonly PeerInfo[]
}

export interface StoreMessage {
  readonly type: 'store'
  readonly requestId: number
  readonly record: DhtRecord
}

export interface StoreResultMessage {
  readonly type: 'storeResult'
  readonly requestId: number
  readonly ok: boolean
  /** Why a store was refused (StoreRejectReason); 0 when ok. */
  readonly reason: number
}

/** A record with no owner: nobody can replace it; dht/ decides how its key is checked. */
export interface ImmutableRecord {
  readonly kind: 'immutable'
  readonly key: Uint8Array
  /** At most 16 KiB. */
  readonly value: Uint8Array
  readonly ttlMs: number
}

/**
 * A record signed by its owner; a higher seq replaces a lower one (BEP 44). It expires
 * `ttlMs` after `signedAtMs`, both signed, wherever and whenever it is stored.
 */
export interface MutableRecord {
  readonly kind: 'mutable'
  readonly key: Uint8Array
  readonly value: Uint8Array
  readonly ttlMs: number
  readonly publicKey: Uint8Array
  readonly seq: bigint
  /** The owner's clock when it signed the record, whole milliseconds (Unix epoch on the real clock). */
  readonly signedAtMs: number
  readonly signature: Uint8Array
}

export type DhtRecord = ImmutableRecord | MutableRecord

export type WireMessage =
  | HelloMessage
  | AuthMessage
  | GoodbyeMessage
  | RedirectMessage
  | PingMessage
  | PongMessage
  | SubscribeMessage
  | UnsubscribeMessage
  | PublishMessage
  | IHaveMessage
  | IWantMessage
  | DirectMessage
  | MeshSignalMessage
  | DirectAckMessage
  | FindNodeMessage
  | NodesMessage
  | FindValueMessage
  | ValueMessage
  | StoreMessage
  | StoreResultMessage

export type WireMessageType = WireMessage['type']

/** The message of a given type. */
export type MessageOfType<T extends WireMessageType> = Extract<WireMessage, { type: T }>

/**
 * A message whose type code this decoder does not know, returned instead of an error when
 * the decoder is asked to (`unknownTypes: 'return'`). Its body is kept opaque and can be
 * re-encoded unchanged.
 */
export interface UnknownMessage {
  readonly type: 'unknown'
  readonly typeCode: number
  readonly body: Uint8Array
}

export type DecodedMessage = WireMessage | UnknownMessage

/** The type code of each message on the wire (u8). 0 is never assigned. */
export const MESSAGE_TYPE_CODES: { readonly [T in WireMessageType]: number } = Object.freeze({
  hello: 0x01,
  auth: 0x02,
  goodbye: 0x03,
  ping: 0x04,
  pong: 0x05,
  // Added after the first release, like ihave and iwant: an older peer ignores it.
  redirect: 0x06,
  subscribe: 0x10,
  unsubscribe: 0x11,
  // 0x12 was the publish of the first layout, without timestampMs: retired, never to be reused.
  publish: 0x15,
  // Added after the first release: a peer that does not know them decodes them as unknown
  // (peers/ decodes with unknownTypes: 'return') and ignores them, so no capability is needed.
  ihave: 0x13,
  iwant: 0x14,
  // 0x20 was the direct message of the first layout, without timestampMs: retired, never to be reused.
  direct: 0x23,
  // 0x21 was the unsigned directAck of the first layout: retired, never to be reused.
  directAck: 0x22,
  // Added after the first release: an older peer decodes it as unknown and ignores it, so it
  // neither relays nor answers one (signaling through the mesh then takes a newer path).
  meshSignal: 0x24,
  findNode: 0x30,
  nodes: 0x31,
  findValue: 0x32,
  value: 0x33,
  store: 0x34,
  storeResult: 0x35,
})

/** Reasons a goodbye may carry; a newer peer may send others, which are to be treated as NORMAL. */
export const GoodbyeReason = Object.freeze({
  NORMAL: 0,
  SHUTDOWN: 1,
  TOO_MANY_PEERS: 2,
  PROTOCOL_ERROR: 3,
  INCOMPATIBLE_VERSION: 4,
  AUTH_FAILED: 5,
  RATE_LIMITED: 6,
  /** The node had more sessions than its high watermark and closed this one (a redirect precedes it). */
  PRUNED: 7,
  /**
   * The node has as many handshakes under way as it takes (a flood of connections, a flash
   * crowd), or pushed this one out for a newer: the refusal is for now, so dial again shortly.
   */
  BUSY: 8,
})

/** Reasons a storeResult may refuse a record. */
export const StoreRejectReason = Object.freeze({
  NONE: 0,
  QUOTA_EXCEEDED: 1,
  BAD_SIGNATURE: 2,
  STALE_SEQ: 3,
  KEY_MISMATCH: 4,
  TOO_LARGE: 5,
  /** A mutable record whose signed lifetime (signedAtMs + ttlMs) is over by the storer's clock. */
  EXPIRED: 6,
  /** A mutable record signed further ahead of the storer's clock than its clock-skew allowance. */
  FUTURE_TIMESTAMP: 7,
})
