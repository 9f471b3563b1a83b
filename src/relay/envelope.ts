// What a relayed message's origin signs, how its key is checked against its id, and the
// local dedup key of a message. Pure functions; the relay (relay.ts) calls them.
//
// A PublishMessage carries the origin's id and its public key (a relay several hops away has
// no session with the origin to learn the key from). A receiver checks SHA-256(originKey) ==
// origin, then the signature.
//
// The signature covers (domain tag, topic, origin, seq, data) and deliberately not `ttl` or
// `path`: relays change those on every hop. A relay can therefore lower ttl or rewrite the
// recent path, which at worst stops or duplicates its own forwarding; it cannot change what
// the origin said, to which topic, or replay it under another sequence number.

import { blake2s } from '@noble/hashes/blake2.js'
import { sha256 } from '@noble/hashes/sha2.js'

/** Domain tag of publish signatures, so no other wasmesh signature can be passed off as one. */
export const PUBLISH_TAG = new TextEncoder().encode('wasmesh/relay/publish/v1\0')
/** Bytes of the per-node secret that keys the dedup hash. */
export const DEDUP_KEY_BYTES = 16

const textEncoder = new TextEncoder()

/**
 * The bytes an origin signs: tag ‖ u16 topic length ‖ topic (UTF-8) ‖ origin (32) ‖
 * seq (u64 big-endian) ‖ data. The length prefix keeps topic and origin from sliding into
 * each other.
 */
export function signedBytes(topic: string, origin: Uint8Array, seq: bigint, data: Uint8Array): Uint8Array {
  const topicBytes = textEncoder.encode(topic)
  const out = new Uint8Array(PUBLISH_TAG.length + 2 + topicBytes.length + origin.length + 8 + data.length)
  const view = new DataView(out.buffer)
  let at = 0
  out.set(PUBLISH_TAG, at)
  at += PUBLISH_TAG.length
  view.setUint16(at, topicBytes.length)
  at += 2
  out.set(topicBytes, at)
  at += topicBytes.length
  out.set(origin, at)
  at += origin.length
  view.setBigUint64(at, seq)
  at += 8
  out.set(data, at)
  return out
}

/** True when `originKey` is a 32-byte key whose SHA-256 is `origin`. */
export function keyMatchesOrigin(originKey: Uint8Array, origin: Uint8Array): boolean {
  if (originKey.length !== 32) return false
  const id = sha256(originKey)
  for (let i = 0; i < id.length; i++) if (id[i] !== origin[i]) return false
  return true
}

/**
 * Local dedup keys: a keyed 64-bit hash of (origin ‖ seq) under a per-node random secret,
 * so nobody can craft messages whose keys collide in a set whose key they do not know.
 * BLAKE2s in keyed mode (a PRF, RFC 7693) truncated to 8 bytes, ~1 µs per message here.
 * The design names xxh64 (xxhash-wasm); it is not installed yet and can replace this one
 * function later, since the keys never leave the node.
 */
export class DedupKeyHasher {
  private readonly input = new Uint8Array(32 + 8)
  private readonly view = new DataView(this.input.buffer)

  constructor(private readonly secret: Uint8Array) {}

  keyOf(origin: Uint8Array, seq: bigint): bigint {
    this.input.set(origin, 0)
    this.view.setBigUint64(32, seq)
    const digest = blake2s(this.input, { key: this.secret, dkLen: 8 })
    return new DataView(digest.buffer, digest.byteOffset, 8).getBigUint64(0, true)
  }
}
