// Local dedup keys shared by the relay and the router: a keyed 64-bit hash of
// (kind ‖ 32-byte id ‖ u64) under a per-node random secret, so nobody can craft ids whose
// keys collide in a set whose secret they do not know. BLAKE2s in keyed mode (a PRF, RFC
// 7693) truncated to 8 bytes, ~1 µs a key here. The keys never leave the node, so the hash
// can change (xxh64, as DESIGN.md names, once xxhash-wasm is in) without a protocol change.

import { blake2s } from '@noble/hashes/blake2.js'

/** Bytes of the per-node secret. */
export const KEYED_HASH_SECRET_BYTES = 16

export class KeyedIdHasher {
  private readonly input = new Uint8Array(1 + 32 + 8)
  private readonly view = new DataView(this.input.buffer)

  constructor(private readonly secret: Uint8Array) {}

  /** The key of (`kind`, `id`, `value`); `kind` (0-255) keeps different uses apart. */
  keyOf(kind: number, id: Uint8Array, value: bigint): bigint {
    this.input[0] = kind
    this.input.set(id, 1)
    this.view.setBigUint64(33, value)
    const digest = blake2s(this.input, { key: this.secret, dkLen: 8 })
    return new DataView(digest.buffer, digest.byteOffset, 8).getBigUint64(0, true)
  }
}
