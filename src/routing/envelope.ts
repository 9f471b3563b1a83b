// What the origin of a direct message signs and what its target signs to acknowledge it, XOR
// closeness, and the kinds of the router's keyed dedup keys (core KeyedHasher). Pure
// functions; the router (router.ts) calls them.
//
// The signature covers (domain tag, messageId, origin, target, timestamp, data) and not `ttl`,
// which relays lower on every hop. The timestamp (the origin's clock when it signed the
// attempt) lets every hop refuse a replay by age. The messageId carries the routing mode and the origin's TTL
// budget (message-id.ts), so those are covered too.
//
// The ack's signature covers (its own domain tag, ack messageId, origin, target): the ack id
// is the message's with the hop count in its low byte, so the attempt, the mode and the hops
// reported are the target's word too. It need not cover the data: the target acks only a
// message whose origin signature over the data verified, and the messageId names that one
// attempt of that send (the origin never signs two messages with one messageId).

/** Domain tag of direct-message signatures, so no other wasmesh signature passes for one. */
export const DIRECT_TAG = new TextEncoder().encode('wasmesh/routing/direct/v2\0')

/** The bytes an origin signs: tag ‖ messageId (u64 big-endian) ‖ origin (32) ‖ target (32) ‖ timestampMs (u64 big-endian) ‖ data. */
export function directSignedBytes(messageId: bigint, origin: Uint8Array, target: Uint8Array, timestampMs: number, data: Uint8Array): Uint8Array {
  return transcript(DIRECT_TAG, messageId, origin, target, stamp(timestampMs, data))
}

/** timestampMs (u64 big-endian) ‖ data. */
function stamp(timestampMs: number, data: Uint8Array): Uint8Array {
  const stamped = new Uint8Array(8 + data.length)
  new DataView(stamped.buffer).setBigUint64(0, BigInt(timestampMs))
  stamped.set(data, 8)
  return stamped
}

/**
 * Domain tag of meshSignal signatures (the node's own routed messages, WebRTC signaling through
 * the mesh), so an application's direct message never passes for one, nor one for it.
 */
export const MESH_SIGNAL_TAG = new TextEncoder().encode('wasmesh/routing/mesh-signal/v1\0')

/** What the origin of a routed message of `type` signs: directSignedBytes, or the same under MESH_SIGNAL_TAG. */
export function routedSignedBytes(type: 'direct' | 'meshSignal', messageId: bigint, origin: Uint8Array, target: Uint8Array, timestampMs: number, data: Uint8Array): Uint8Array {
  if (type === 'direct') return directSignedBytes(messageId, origin, target, timestampMs, data)
  return transcript(MESH_SIGNAL_TAG, messageId, origin, target, stamp(timestampMs, data))
}

/** Domain tag of direct-ack signatures: a target's ack is never a valid signature of anything else. */
export const DIRECT_ACK_TAG = new TextEncoder().encode('wasmesh/routing/direct-ack/v1\0')

/** The bytes a target signs to acknowledge: tag ‖ ack messageId (u64 big-endian) ‖ origin (32) ‖ target (32). */
export function ackSignedBytes(ackId: bigint, origin: Uint8Array, target: Uint8Array): Uint8Array {
  return transcript(DIRECT_ACK_TAG, ackId, origin, target, new Uint8Array(0))
}

/** tag ‖ id (u64 big-endian) ‖ origin ‖ target ‖ data. */
function transcript(tag: Uint8Array, id: bigint, origin: Uint8Array, target: Uint8Array, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(tag.length + 8 + origin.length + target.length + data.length)
  out.set(tag, 0)
  new DataView(out.buffer).setBigUint64(tag.length, id)
  out.set(origin, tag.length + 8)
  out.set(target, tag.length + 8 + origin.length)
  out.set(data, tag.length + 8 + origin.length + target.length)
  return out
}

/** True when `a` is strictly closer to `target` than `b` by XOR distance (ids of equal length). */
export function isCloser(target: Uint8Array, a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < target.length; i++) {
    const da = a[i] ^ target[i]
    const db = b[i] ^ target[i]
    if (da !== db) return da < db
  }
  return false
}

/** What a dedup key is about, so the three kinds never collide with each other. */
export const DEDUP_KIND = Object.freeze({
  /** (origin, messageId) of a direct message: forwarded or checked once per attempt. */
  direct: 0,
  /** (origin, messageId) of an ack: forwarded once. */
  ack: 1,
  /** (origin, send id): delivered to the application once per send, whatever the attempt (delivered-sends.ts). */
  delivery: 2,
  /** (origin, messageId without its low byte): the reverse-path entry its ack follows. */
  reverse: 3,
  /** (origin, 0): the origin's bucket in the per-origin rate limit. */
  originRate: 4,
})
export type DedupKind = (typeof DEDUP_KIND)[keyof typeof DEDUP_KIND]
