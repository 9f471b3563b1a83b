// Lowercase hex of bytes, for map keys and logs. Built in one buffer and decoded at once, so
// the result is one flat string: appending two digits at a time leaves V8 a rope of 32-byte
// cons cells (about 1 KB for a 32-byte id), and peer ids are kept as map keys for a
// session's life, several per peer.

const DIGITS = new TextEncoder().encode('0123456789abcdef')
const decoder = new TextDecoder()

export function toHex(bytes: Uint8Array): string {
  const out = new Uint8Array(bytes.length * 2)
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]
    out[2 * i] = DIGITS[byte >> 4]
    out[2 * i + 1] = DIGITS[byte & 15]
  }
  return decoder.decode(out)
}

/** The bytes of lowercase or uppercase hex; throws RangeError for an odd length or a non-hex digit. */
export function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new RangeError(`not hex: ${hex.slice(0, 80)}`)
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}
