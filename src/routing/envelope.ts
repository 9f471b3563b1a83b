// What the origin of a direct message signs, XOR closeness, and the kinds of the router's
// keyed dedup keys (src/util/keyed-hash.ts). Pure functions; the router (router.ts) calls them.
//
// The signature covers (domain tag, messageId, origin, target, data) and not `ttl`, which
// relays lower on every hop. The messageId carries the routing mode and the origin's TTL
// budget (message-id.ts), so those are covered too.

/** Domain tag of direct-message signatures, so no other wasmesh signature passes for one. */
export const DIRECT_TAG = new TextEncoder().encode('wasmesh/routing/direct/v1\0')

/** The bytes an origin signs: tag ‖ messageId (u64 big-endian) ‖ origin (32) ‖ target (32) ‖ data. */
export function directSignedBytes(messageId: bigint, origin: Uint8Array, target: Uint8Array, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(DIRECT_TAG.length + 8 + origin.length + target.length + data.length)
  let at = 0
  out.set(DIRECT_TAG, at)
  at += DIRECT_TAG.length
  new DataView(out.buffer).setBigUint64(at, messageId)
  at += 8
  out.set(origin, at)
  at += origin.length
  out.set(target, at)
  at += target.length
  out.set(data, at)
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
  /** (origin, send id): delivered to the application once per send, whatever the attempt. */
  delivery: 2,
  /** (origin, messageId without its low byte): the reverse-path entry its ack follows. */
  reverse: 3,
})
export type DedupKind = (typeof DEDUP_KIND)[keyof typeof DEDUP_KIND]
