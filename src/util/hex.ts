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
