// Id arithmetic of the DHT: XOR distance comparison, hex keys for maps, and random ids inside
// a bucket's range (for bucket refresh). Ids are 32-byte Uint8Arrays throughout.

import type { RandomSource } from '../util/random.js'

export { toHex } from '../util/hex.js'
export { commonPrefixBits, compareDistance } from '../util/xor-distance.js'

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
