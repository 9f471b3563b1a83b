// Id arithmetic of the DHT: XOR distance comparison, hex keys for maps, and random ids inside
// a bucket's range (for bucket refresh). Ids are 32-byte Uint8Arrays throughout.

import type { RandomSource } from '../util/random.js'

export { toHex } from '../util/hex.js'

/** Negative when a is nearer to target than b, positive when farther, 0 when a equals b. */
export function compareDistance(target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < target.length; i++) {
    const da = a[i] ^ target[i]
    const db = b[i] ^ target[i]
    if (da !== db) return da - db
  }
  return 0
}

/** Number of leading bits `a` and `b` share (id length * 8 when equal). */
export function commonPrefixBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ^ b[i]
    if (x !== 0) return i * 8 + Math.clz32(x) - 24
  }
  return a.length * 8
}

/**
 * A random id sharing exactly `bucket` leading bits with `localId`: the first `bucket` bits
 * copied, the next one flipped, the rest random. Refreshing a bucket looks such an id up.
 */
export function randomIdInBucket(localId: Uint8Array, bucket: number, random: RandomSource): Uint8Array {
  const id = new Uint8Array(localId.length)
  random.fill(id)
  const fullBytes = bucket >> 3
  id.set(localId.subarray(0, fullBytes))
  if (fullBytes < id.length) {
    const bit = 0x80 >> (bucket & 7)
    const keepMask = (0xff00 >> (bucket & 7)) & 0xff // the bits before the flipped one
    const local = localId[fullBytes]
    id[fullBytes] = (local & keepMask) | (~local & bit) | (id[fullBytes] & ~(keepMask | bit) & 0xff)
  }
  return id
}
