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

  for (const backend of ['wasm', 'js'] as const) {
    it(`${backend}: keyOf hashes kind ‖ id ‖ value (big-endian) as specified`, async () => {
      const hasher = (await loadCore({ backend })).createKeyedHasher(KEY)
      for (const [kind, id, value, expected] of ID_VECTORS) expect(hasher.keyOf(kind, id, value)).toBe(expected)
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
