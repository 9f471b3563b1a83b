// KeyedHasher on the WebAssembly backend: kind and id go into the input scratch region, the
// key halves and the value cross as i64 arguments, the 64-bit key comes back as one.

import type { KeyedHasher } from './contracts.js'
import type { WasmInstance } from './wasm-instance.js'
import { isKeyOfInput, keyHalves, keyOfError } from './keyed-hasher-options.js'

interface KeyedHashExports {
  keyed_hash_id(k0: bigint, k1: bigint, value: bigint): bigint
}

export class WasmKeyedHasher implements KeyedHasher {
  private readonly k0: bigint
  private readonly k1: bigint
  private readonly hashId: KeyedHashExports['keyed_hash_id']

  constructor(private readonly instance: WasmInstance, key: Uint8Array) {
    ;[this.k0, this.k1] = keyHalves(key)
    this.hashId = (instance.exports as unknown as KeyedHashExports).keyed_hash_id
  }

  keyOf(kind: number, id: Uint8Array, value: bigint): bigint {
    if (!isKeyOfInput(kind, id, value)) throw keyOfError(kind, id, value)
    const u8 = this.instance.u8
    const at = this.instance.inputOffset
    u8[at] = kind
    u8.set(id, at + 1)
    // i64 results arrive signed.
    return BigInt.asUintN(64, this.hashId(this.k0, this.k1, value))
  }
}
