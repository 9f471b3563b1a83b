// KeyedHasher in pure TypeScript: the twin of assembly/keyed-hash.ts, SipHash-2-4 on 64-bit
// words kept as pairs of 32-bit halves (no BigInt arithmetic on the hot path).

import type { KeyedHasher } from '../contracts.js'
import { isKeyOfInput, KEYED_HASH_ID_BYTES, keyOfError, keyHalves } from '../keyed-hasher-options.js'

/** SipHash-2-4 state: v0..v3 as (high, low) 32-bit halves. */
class SipState {
  h0 = 0; l0 = 0; h1 = 0; l1 = 0; h2 = 0; l2 = 0; h3 = 0; l3 = 0

  init(keyHigh0: number, keyLow0: number, keyHigh1: number, keyLow1: number): void {
    // The constants "somepseudorandomlygeneratedbytes", xored with the key halves.
    this.h0 = (keyHigh0 ^ 0x736f6d65) >>> 0; this.l0 = (keyLow0 ^ 0x70736575) >>> 0
    this.h1 = (keyHigh1 ^ 0x646f7261) >>> 0; this.l1 = (keyLow1 ^ 0x6e646f6d) >>> 0
    this.h2 = (keyHigh0 ^ 0x6c796765) >>> 0; this.l2 = (keyLow0 ^ 0x6e657261) >>> 0
    this.h3 = (keyHigh1 ^ 0x74656462) >>> 0; this.l3 = (keyLow1 ^ 0x79746573) >>> 0
  }

  round(): void {
    let h0 = this.h0, l0 = this.l0, h1 = this.h1, l1 = this.l1, h2 = this.h2, l2 = this.l2, h3 = this.h3, l3 = this.l3
    let lo: number, t: number
    // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
    lo = (l0 + l1) >>> 0; h0 = (h0 + h1 + (lo < l0 ? 1 : 0)) >>> 0; l0 = lo
    t = h1; h1 = ((h1 << 13) | (l1 >>> 19)) >>> 0; l1 = ((l1 << 13) | (t >>> 19)) >>> 0
    h1 = (h1 ^ h0) >>> 0; l1 = (l1 ^ l0) >>> 0
    t = h0; h0 = l0; l0 = t
    // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
    lo = (l2 + l3) >>> 0; h2 = (h2 + h3 + (lo < l2 ? 1 : 0)) >>> 0; l2 = lo
    t = h3; h3 = ((h3 << 16) | (l3 >>> 16)) >>> 0; l3 = ((l3 << 16) | (t >>> 16)) >>> 0
    h3 = (h3 ^ h2) >>> 0; l3 = (l3 ^ l2) >>> 0
    // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
    lo = (l0 + l3) >>> 0; h0 = (h0 + h3 + (lo < l0 ? 1 : 0)) >>> 0; l0 = lo
    t = h3; h3 = ((h3 << 21) | (l3 >>> 11)) >>> 0; l3 = ((l3 << 21) | (t >>> 11)) >>> 0
    h3 = (h3 ^ h0) >>> 0; l3 = (l3 ^ l0) >>> 0
    // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
    lo = (l2 + l1) >>> 0; h2 = (h2 + h1 + (lo < l2 ? 1 : 0)) >>> 0; l2 = lo
    t = h1; h1 = ((h1 << 17) | (l1 >>> 15)) >>> 0; l1 = ((l1 << 17) | (t >>> 15)) >>> 0
    h1 = (h1 ^ h2) >>> 0; l1 = (l1 ^ l2) >>> 0
    t = h2; h2 = l2; l2 = t
    this.h0 = h0; this.l0 = l0; this.h1 = h1; this.l1 = l1; this.h2 = h2; this.l2 = l2; this.h3 = h3; this.l3 = l3
  }

  /** Absorbs one 64-bit message word (high, low). */
  compress(high: number, low: number): void {
    this.h3 = (this.h3 ^ high) >>> 0; this.l3 = (this.l3 ^ low) >>> 0
    this.round()
    this.round()
    this.h0 = (this.h0 ^ high) >>> 0; this.l0 = (this.l0 ^ low) >>> 0
  }

  finish(): bigint {
    this.l2 = (this.l2 ^ 0xff) >>> 0
    for (let i = 0; i < 4; i++) this.round()
    const high = (this.h0 ^ this.h1 ^ this.h2 ^ this.h3) >>> 0
    const low = (this.l0 ^ this.l1 ^ this.l2 ^ this.l3) >>> 0
    return (BigInt(high) << 32n) | BigInt(low)
  }
}

function littleEndianWord(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0
}

function hashInto(state: SipState, keyWords: Uint32Array, bytes: Uint8Array, length: number): bigint {
  state.init(keyWords[1], keyWords[0], keyWords[3], keyWords[2])
  const end = length - (length & 7)
  for (let at = 0; at < end; at += 8) state.compress(littleEndianWord(bytes, at + 4), littleEndianWord(bytes, at))
  // The last word: the remaining bytes, little-endian, with the length's low byte on top.
  const tail = new Uint8Array(8)
  tail.set(bytes.subarray(end, length))
  tail[7] = length & 0xff
  state.compress(littleEndianWord(tail, 4), littleEndianWord(tail, 0))
  return state.finish()
}

/** The key as four 32-bit little-endian words: low and high of k0, then of k1. */
function keyWordsOf(key: Uint8Array): Uint32Array {
  keyHalves(key) // validates
  const words = new Uint32Array(4)
  for (let i = 0; i < 4; i++) words[i] = littleEndianWord(key, 4 * i)
  return words
}

/** SipHash-2-4 of `bytes` under a 16-byte `key`, as a u64 (the published test vectors' form). */
export function siphash24(key: Uint8Array, bytes: Uint8Array): bigint {
  return hashInto(new SipState(), keyWordsOf(key), bytes, bytes.length)
}

export class TwinKeyedHasher implements KeyedHasher {
  private readonly keyWords: Uint32Array
  private readonly state = new SipState()
  private readonly input = new Uint8Array(1 + KEYED_HASH_ID_BYTES + 8)
  private readonly view = new DataView(this.input.buffer)

  constructor(key: Uint8Array) {
    this.keyWords = keyWordsOf(key)
  }

  keyOf(kind: number, id: Uint8Array, value: bigint): bigint {
    if (!isKeyOfInput(kind, id, value)) throw keyOfError(kind, id, value)
    this.input[0] = kind
    this.input.set(id, 1)
    this.view.setBigUint64(1 + KEYED_HASH_ID_BYTES, value)
    return hashInto(this.state, this.keyWords, this.input, this.input.length)
  }
}
