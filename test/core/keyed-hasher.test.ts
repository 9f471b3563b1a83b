import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { loadCore } from '../../src/core/load-core.js'
import { wasmInstance } from '../../src/core/wasm-instance.js'
import { CoreError } from '../../src/core/errors.js'
import { siphash24 } from '../../src/core/twin/keyed-hasher.js'

const KEY = Uint8Array.from({ length: 16 }, (_, i) => i)
const range = (length: number, from = 0) => Uint8Array.from({ length }, (_, i) => from + i)

// The published SipHash-2-4 vectors (key 00..0f, message 00..n-1), and three of our
// (kind ‖ id ‖ value) inputs, computed with an independent implementation of the paper's
// algorithm (Python) that reproduces those published vectors.
const PUBLISHED: [number, bigint][] = [[0, 0x726fdb47dd0e0e31n], [1, 0x74f839c593dc67fdn], [15, 0xa129ca6149be45e5n]]
const ID_VECTORS: [number, Uint8Array, bigint, bigint][] = [
  [0, range(32), 0n, 0x38a9f61dcc2874ben],
  [3, new Uint8Array(32).fill(0xff), 0x0123456789abcdefn, 0x09684ecfb161372en],
  [255, range(32, 100), 0xffff_ffff_ffff_ffffn, 0x0e6e9ee9707d57bfn],
]
const hex = (text: string) => Uint8Array.from(text.match(/../g)!, (byte) => parseInt(byte, 16))
// The twin adds 64-bit words as 32-bit halves and carries into the high half when the low sum
// wraps (lo < the first low half). Carrying on lo <= instead differs only when the other addend's
// low half is 0, one chance in 2^32 an addition, so random inputs never reach it. This key and
// these first words are solved to give exactly that in the first round: the key zeroes v1's low
// half before v0 += v1 and again before v2 += v1; the message word 1e0a101700112233 zeroes v3's
// low half before v2 += v3, and 081410175a7be543 before v0 += v3 (the keyOf inputs below start
// with the same two words: kind, then id). Expected values from the same independent Python
// implementation.
const ZERO_LOW_KEY = hex('19687370040506076d6f646e0c0d0e0f')
const ZERO_LOW_WORDS: [Uint8Array, bigint][] = [[hex('1e0a101700112233'), 0xb5eefb6c7c7c9b75n], [hex('081410175a7be543'), 0x582106af583e6c34n]]
const ZERO_LOW_IDS: [number, Uint8Array, bigint, bigint][] = [
  [0x1e, hex('0a1017001122330708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'), 0n, 0xea2454f15b80a343n],
  [0x08, hex('1410175a7be543f8f7f6f5f4f3f2f1f0efeeedecebeae9e8e7e6e5e4e3e2e1e0'), 0x0123456789abcdefn, 0x8079e3fa8d091208n],
]

describe('SipHash-2-4 keyed hasher', () => {
  it('the twin and the WebAssembly export reproduce the published vectors', async () => {
    const instance = await wasmInstance()
    const hashBytes = (instance.exports as unknown as { keyed_hash_bytes(k0: bigint, k1: bigint, length: number): bigint }).keyed_hash_bytes
    const view = new DataView(KEY.buffer)
    for (const [length, expected] of PUBLISHED) {
      expect(siphash24(KEY, range(length))).toBe(expected)
      instance.u8.set(range(length), instance.inputOffset)
      expect(BigInt.asUintN(64, hashBytes(view.getBigUint64(0, true), view.getBigUint64(8, true), length))).toBe(expected)
    }
  })

  it('the twin and the WebAssembly export carry between 32-bit halves only when the low half wraps', async () => {
    const instance = await wasmInstance()
    const hashBytes = (instance.exports as unknown as { keyed_hash_bytes(k0: bigint, k1: bigint, length: number): bigint }).keyed_hash_bytes
    const view = new DataView(ZERO_LOW_KEY.buffer)
    for (const [word, expected] of ZERO_LOW_WORDS) {
      expect(siphash24(ZERO_LOW_KEY, word)).toBe(expected)
      instance.u8.set(word, instance.inputOffset)
      expect(BigInt.asUintN(64, hashBytes(view.getBigUint64(0, true), view.getBigUint64(8, true), word.length))).toBe(expected)
    }
  })

  for (const backend of ['wasm', 'js'] as const) {
    it(`${backend}: keyOf hashes kind ‖ id ‖ value (big-endian) as specified`, async () => {
      const hasher = (await loadCore({ backend })).createKeyedHasher(KEY)
      for (const [kind, id, value, expected] of ID_VECTORS) expect(hasher.keyOf(kind, id, value)).toBe(expected)
    })

    it(`${backend}: keyOf is right where a 64-bit addition has a low half of zero`, async () => {
      const hasher = (await loadCore({ backend })).createKeyedHasher(ZERO_LOW_KEY)
      for (const [kind, id, value, expected] of ZERO_LOW_IDS) expect(hasher.keyOf(kind, id, value)).toBe(expected)
    })

    it(`${backend}: refuses a bad key and bad arguments with typed errors`, async () => {
      const core = await loadCore({ backend })
      for (const key of [new Uint8Array(15), new Uint8Array(17), 'key', null]) {
        expect(() => core.createKeyedHasher(key as Uint8Array)).toThrow(expect.objectContaining({ code: 'CORE_INVALID_OPTION' }))
      }
      const hasher = core.createKeyedHasher(KEY)
      const id = new Uint8Array(32)
      for (const [kind, badId, value] of [[256, id, 0n], [-1, id, 0n], [1.5, id, 0n], [0, new Uint8Array(31), 0n], [0, id, -1n], [0, id, 2n ** 64n], [0, id, 1]] as const) {
        let error: unknown
        try {
          hasher.keyOf(kind as number, badId as Uint8Array, value as bigint)
        } catch (caught) {
          error = caught
        }
        expect(error).toBeInstanceOf(CoreError)
        expect((error as CoreError).code).toBe('CORE_INVALID_ARGUMENT')
      }
    })
  }

  it('wasm and twin agree on random keys and inputs; different keys give different keys', async () => {
    const wasm = await loadCore({ backend: 'wasm' })
    const twin = await loadCore({ backend: 'js' })
    const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length })
    fc.assert(fc.property(bytes(16), fc.integer({ min: 0, max: 255 }), bytes(32), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (key, kind, id, value) => {
      expect(wasm.createKeyedHasher(key).keyOf(kind, id, value)).toBe(twin.createKeyedHasher(key).keyOf(kind, id, value))
    }), { numRuns: 500 })
    const other = Uint8Array.from(KEY, (byte) => byte ^ 1)
    expect(wasm.createKeyedHasher(other).keyOf(0, range(32), 0n)).not.toBe(ID_VECTORS[0]![3])
  })
})
