// Byte-level id helpers with k-bucket 5.1.0's semantics. k-bucket accepts ids of any length:
// when walking its tree a bit past the end of an id reads as 0, but its distance() counts every
// byte one id has and the other lacks as 0xff. Both rules are kept here, exactly.

export function arrayEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Bit `index` of `id`, most significant first; bits past the end read as 0. */
export function bitAt(id: Uint8Array, index: number): number {
  const byte = index >> 3
  return byte < id.length ? (id[byte]! >> (7 - (index & 7))) & 1 : 0
}

/**
 * How many leading bits `a` and `b` share once both are zero-padded to the same length:
 * the depth at which k-bucket's tree separates them. Infinity when they pad to the same bits
 * (k-bucket can never separate them).
 */
export function sharedPrefixBits(a: Uint8Array, b: Uint8Array): number {
  const length = Math.max(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = (i < a.length ? a[i]! : 0) ^ (i < b.length ? b[i]! : 0)
    if (x !== 0) return i * 8 + Math.clz32(x) - 24
  }
  return Infinity
}

/**
 * k-bucket's default distance, unchanged: the XOR of the common bytes read as one number, then
 * 0xff for each byte only the longer id has. Past 2**53 the number is rounded, so ids longer
 * than 6 bytes can tie; k-bucket keeps such ties in the order it gathered the contacts.
 */
export function kBucketDistance(firstId: Uint8Array, secondId: Uint8Array): number {
  let distance = 0
  let i = 0
  const min = Math.min(firstId.length, secondId.length)
  const max = Math.max(firstId.length, secondId.length)
  for (; i < min; ++i) distance = distance * 256 + (firstId[i]! ^ secondId[i]!)
  for (; i < max; ++i) distance = distance * 256 + 255
  return distance
}

/** Ids up to this many bytes have exact kBucketDistance values (8 * 6 = 48 bits < 2**53). */
export const EXACT_DISTANCE_MAX_BYTES = 6
