// Every bound of the wire format as a named constant, with why it has the value it has.
// Field bounds are part of the protocol (both sides must agree); the four frame limits in
// WireLimits may be lowered by a receiver, never raised past the defaults.

import { checkInteger } from '../util/validate.js'
import { WireError } from './errors.js'

// ---------------------------------------------------------------------------------------
// Framing

/** First byte of every frame ('W'): misframed or foreign bytes fail at byte 0, not deep inside. */
export const WIRE_MAGIC = 0x57
/**
 * The wire format's major version, second byte of every frame. Bumped only for changes an
 * older decoder cannot skip; additions (new message types) travel inside a version and are
 * negotiated by the hello handshake's protocolVersion and capabilities.
 */
export const WIRE_VERSION = 1
/** magic u8, version u8, payload length u32, message count u16. */
export const FRAME_HEADER_BYTES = 8
/** type u8, body length u32: every message can be skipped by length alone. */
export const MESSAGE_HEADER_BYTES = 5

/**
 * Largest encoded message (header and body): the 1 MiB message size limit of the design's
 * defaults. A stream reader refuses a longer declared length before buffering it.
 */
export const MAX_MESSAGE_BYTES = 1_048_576
/** Largest frame on the wire, header included: one message at the limit fits alone. */
export const MAX_FRAME_BYTES = FRAME_HEADER_BYTES + MAX_MESSAGE_BYTES
/**
 * Most messages in one frame. 1,024 tiny messages per frame at the 2,000-3,000 frames/s a
 * data channel carries is ~2 M messages/s, far past the 100 msg/s per-peer rate limit, and it
 * caps the objects one frame can make the decoder allocate.
 */
export const MAX_MESSAGES_PER_FRAME = 1_024
/**
 * Most repeated-field entries (topics, capabilities, addresses, path ids, peers) summed
 * over all messages of one frame. Per-field caps alone multiply: 1,024 subscribe messages of
 * 256 one-byte topics fit in 800 KB and would be 262,144 strings to decode, the shape of
 * GHSA-cwc9-cp4j-mcvv. The largest single legitimate message (a subscribe of 256 topics)
 * uses 256, a full nodes reply 180.
 */
export const MAX_ENTRIES_PER_FRAME = 4_096

// ---------------------------------------------------------------------------------------
// Fields

/** Peer ids, DHT keys and SHA-256 digests. */
export const ID_BYTES = 32
/** Ed25519 public keys. */
export const PUBLIC_KEY_BYTES = 32
/** Ed25519 signatures. */
export const SIGNATURE_BYTES = 64
/** Handshake nonces: 256 bits, never repeated by chance. */
export const NONCE_BYTES = 32

/**
 * Largest application payload of a publish or direct message: the message limit less 1 KiB,
 * which covers the largest envelope (a publish with a 256-byte topic and an 8-entry path is
 * 669 bytes), so any payload up to this size always encodes.
 */
export const MAX_DATA_BYTES = MAX_MESSAGE_BYTES - 1_024
/**
 * Largest DHT record value. Records are pointers (addresses, content hashes, small
 * manifests), not storage: IPNS caps its records at 10 KiB, BEP 44 at 1,000 bytes; large data
 * goes through blob/. 16 KiB keeps the largest value reply (a record plus 20 peers of 8
 * addresses, ~58 KB) inside one default 64 KiB frame, and the 10 MB DHT quota at 640 records
 * or more.
 */
export const MAX_RECORD_VALUE_BYTES = 16_384

/** Topic names, 1 to 256 bytes of UTF-8: names, not payloads (libp2p uses similar strings). */
export const MAX_TOPIC_BYTES = 256
/** Topics in one subscribe or unsubscribe message; more are sent as several messages. */
export const MAX_SUBSCRIPTIONS_PER_MESSAGE = 256
/** Capabilities advertised in hello: a handful of feature flags, not a registry. */
export const MAX_CAPABILITIES = 16
/** One capability name, 1 to 32 printable ASCII bytes ('blob/1', 'skip-unknown'). */
export const MAX_CAPABILITY_BYTES = 32
/** Addresses of one peer (in hello and in nodes replies): a few transports times IPv4/IPv6. */
export const MAX_ADDRESSES_PER_PEER = 8
/** One address, 1 to 256 bytes of UTF-8 ('ws://…', 'memory://…', a signaling URL). */
export const MAX_ADDRESS_BYTES = 256
/** Peers in one nodes or value reply: Kademlia's k = 20. */
export const MAX_PEERS_PER_REPLY = 20
/** Recent-path peer ids carried by a publish for loop detection: more hops than a 1 M-node mesh needs. */
export const MAX_PATH_ENTRIES = 8
/** One message reference of an ihave or iwant: origin id 32 + seq u64. */
export const MESSAGE_REF_BYTES = 40
/**
 * Message references in one ihave or iwant. 256 refs are 10 KB, well inside one default
 * 64 KiB frame; at the relay's 100 ms gossip interval they cover 2,560 new messages/s per
 * neighbour, past the ~550/s the default dedup set is sized for.
 */
export const MAX_MESSAGE_REFS = 256

// ---------------------------------------------------------------------------------------
// Coalescing

/**
 * Default largest frame the coalescer builds, header included. RFC 8841 makes 64 KiB the
 * data channel message size every endpoint must accept when SDP carries no
 * max-message-size (Chromium advertises 256 KiB, Firefox more), and at the 2,000-3,000
 * frames/s a channel carries, 64 KiB frames are no longer the bottleneck.
 */
export const DEFAULT_COALESCE_FRAME_BYTES = 65_536
/**
 * Default time a message waits for company before its frame is flushed: short against a
 * 20 ms link, long enough to gather what one event-loop turn produces.
 */
export const DEFAULT_FLUSH_DELAY_MS = 2

// ---------------------------------------------------------------------------------------
// Receiver-tunable limits

/** The frame limits a decoder enforces. A receiver may lower them, never raise them. */
export interface WireLimits {
  /** Largest frame, header included; 13 to 1,048,584 (default). */
  readonly maxFrameBytes: number
  /** Largest encoded message, header included; 5 to 1,048,576 (default). */
  readonly maxMessageBytes: number
  /** Most messages in one frame; 1 to 1,024 (default). */
  readonly maxMessagesPerFrame: number
  /** Most repeated-field entries summed over one frame; 0 to 4,096 (default). */
  readonly maxEntriesPerFrame: number
}

export const DEFAULT_WIRE_LIMITS: WireLimits = Object.freeze({
  maxFrameBytes: MAX_FRAME_BYTES,
  maxMessageBytes: MAX_MESSAGE_BYTES,
  maxMessagesPerFrame: MAX_MESSAGES_PER_FRAME,
  maxEntriesPerFrame: MAX_ENTRIES_PER_FRAME,
})

const invalidOption = (message: string) => new WireError('WIRE_INVALID_OPTION', message)

/** The defaults overridden by `limits`, each validated. */
export function resolveWireLimits(limits?: Partial<WireLimits>): WireLimits {
  if (limits === undefined) return DEFAULT_WIRE_LIMITS
  const pick = (name: keyof WireLimits, min: number) =>
    limits[name] === undefined ? DEFAULT_WIRE_LIMITS[name] : checkInteger(name, limits[name], min, DEFAULT_WIRE_LIMITS[name], invalidOption)
  return {
    maxFrameBytes: pick('maxFrameBytes', FRAME_HEADER_BYTES + MESSAGE_HEADER_BYTES),
    maxMessageBytes: pick('maxMessageBytes', MESSAGE_HEADER_BYTES),
    maxMessagesPerFrame: pick('maxMessagesPerFrame', 1),
    maxEntriesPerFrame: pick('maxEntriesPerFrame', 0),
  }
}
