// What the origin of a direct message signs, how its key is checked against its id, XOR
// closeness, and the node-local dedup keys. Pure functions; the router (router.ts) calls them.
//
// The signature covers (domain tag, messageId, origin, target, data) and not `ttl`, which
// relays lower on every hop. The messageId carries the routing mode and the origin's TTL
// budget (message-id.ts), so those are covered too.

import { blake2s } from '@noble/hashes/blake2.js'
import { sha256 } from '@noble/hashes/sha2.js'

/** Domain tag of direct-message signatures, so no other wasmesh signature passes for one. */
export const DIRECT_TAG = new TextEncoder().encode('wasmesh/routing/direct/v1\0')
/** Bytes of the per-node secret that keys the dedup hash. */
export const DEDUP_KEY_BYTES = 16

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

/** True when `originKey` is a 32-byte key whose SHA-256 is `origin`. */
export function keyMatchesOrigin(originKey: Uint8Array, origin: Uint8Array): boolean {
  if (originKey.length !== 32 || origin.length !== 32) return false
  return bytesEqual(sha256(originKey), origin)
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
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

/**
 * Local dedup keys: a keyed 64-bit hash of (kind ‖ id ‖ number) under a per-node random
 * secret (BLAKE2s keyed, a PRF, truncated to 8 bytes), so nobody can craft ids whose keys
 * collide in a set whose key they do not know. The keys never leave the node.
 */
export class DedupKeyHasher {
  private readonly input = new Uint8Array(1 + 32 + 8)
  private readonly view = new DataView(this.input.buffer)

  constructor(private readonly secret: Uint8Array) {}

  keyOf(kind: DedupKind, id: Uint8Array, value: bigint): bigint {
    this.input[0] = kind
    this.input.set(id, 1)
    this.view.setBigUint64(33, value)
    const digest = blake2s(this.input, { key: this.secret, dkLen: 8 })
    return new DataView(digest.buffer, digest.byteOffset, 8).getBigUint64(0, true)
  }
}
