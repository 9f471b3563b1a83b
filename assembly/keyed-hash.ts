// Keyed dedup keys: SipHash-2-4 (Aumasson and Bernstein, 2012), a PRF built for exactly this
// job, hash tables fed by an adversary. Under a per-node secret key nobody can craft inputs
// whose 64-bit keys collide in a node's dedup set, which a fast unkeyed or merely seeded hash
// (xxh64 with a seed) does not promise. The input is (kind ‖ 32-byte id ‖ u64 big-endian):
// the caller writes kind and id at the start of the input region, the value comes as an
// argument.

import { inputRegion } from './scratch'

const ID_INPUT_BYTES: u32 = 1 + 32 + 8

let v0: u64 = 0
let v1: u64 = 0
let v2: u64 = 0
let v3: u64 = 0

// @ts-ignore: decorator
@inline function sipRound(): void {
  v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32)
  v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2
  v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0
  v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32)
}

/** SipHash-2-4 of `length` bytes at `at` under the key (k0, k1), each the little-endian half of the 16-byte key. */
export function siphash24(k0: u64, k1: u64, at: usize, length: u32): u64 {
  v0 = k0 ^ 0x736f6d6570736575
  v1 = k1 ^ 0x646f72616e646f6d
  v2 = k0 ^ 0x6c7967656e657261
  v3 = k1 ^ 0x7465646279746573
  const end = at + (<usize>length & ~7)
  for (let p = at; p < end; p += 8) {
    const m = load<u64>(p)
    v3 ^= m
    sipRound()
    sipRound()
    v0 ^= m
  }
  let last = (<u64>length) << 56
  for (let i: u32 = 0; i < (length & 7); i++) last |= (<u64>load<u8>(end + i)) << (8 * i)
  v3 ^= last
  sipRound()
  sipRound()
  v0 ^= last
  v2 ^= 0xff
  sipRound()
  sipRound()
  sipRound()
  sipRound()
  return v0 ^ v1 ^ v2 ^ v3
}

/** The key of (kind, id, value): kind and the 32-byte id are the first 33 bytes of the input region. */
export function keyed_hash_id(k0: u64, k1: u64, value: u64): u64 {
  const input = inputRegion()
  store<u64>(input + 33, bswap<u64>(value))
  return siphash24(k0, k1, input, ID_INPUT_BYTES)
}

/** SipHash-2-4 of the first `length` bytes of the input region (at most the region), for tests against the published vectors. */
export function keyed_hash_bytes(k0: u64, k1: u64, length: u32): u64 {
  return siphash24(k0, k1, inputRegion(), length)
}
