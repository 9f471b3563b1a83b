// DedupSet on the WebAssembly backend: a handle into the shared instance (assembly/dedup.ts).
// Batches cross the boundary through the scratch regions, 8,192 keys per call.

import type { DedupSet, DedupSetOptions } from './contracts.js'
import type { WasmInstance } from './wasm-instance.js'
import { checkKey, checkKeys, checkNow, freed, resolveDedupSetOptions } from './dedup-set-options.js'

interface DedupExports {
  dedup_create(capacity: number, ttlMs: number): number
  dedup_free(set: number): void
  dedup_size(set: number): number
  dedup_byte_length(set: number): number
  dedup_clear(set: number): void
  dedup_add(set: number, key: bigint, nowMs: number): number
  dedup_has(set: number, key: bigint, nowMs: number): number
  dedup_expire(set: number, nowMs: number): void
  dedup_add_batch(set: number, count: number, nowMs: number): number
}

export class WasmDedupSet implements DedupSet {
  readonly capacity: number
  readonly ttlMs: number
  private readonly wasm: DedupExports
  private readonly instance: WasmInstance
  private handle: number

  constructor(instance: WasmInstance, options: DedupSetOptions) {
    const { capacity, ttlMs } = resolveDedupSetOptions(options)
    this.capacity = capacity
    this.ttlMs = ttlMs
    this.instance = instance
    this.wasm = instance.exports as unknown as DedupExports
    const handle = this.wasm.dedup_create(capacity, ttlMs)
    this.handle = handle
    instance.refresh()
    const wasm = this.wasm
    instance.track(this, () => wasm.dedup_free(handle))
  }

  /** Bytes held now: the tables grow with the keys held, up to capacity (0 once freed). */
  get byteLength(): number {
    return this.handle === 0 ? 0 : this.wasm.dedup_byte_length(this.handle)
  }

  get size(): number {
    return this.wasm.dedup_size(this.live())
  }

  add(key: bigint, nowMs: number): boolean {
    const set = this.live()
    checkKey(key)
    checkNow(nowMs)
    return this.wasm.dedup_add(set, key, nowMs) !== 0
  }

  has(key: bigint, nowMs: number): boolean {
    const set = this.live()
    checkKey(key)
    checkNow(nowMs)
    return this.wasm.dedup_has(set, key, nowMs) !== 0
  }

  addBatch(keys: BigUint64Array, nowMs: number, out?: Uint8Array): number {
    const set = this.live()
    checkKeys(keys, out)
    checkNow(nowMs)
    const instance = this.instance
    const chunk = instance.scratchBytes >>> 3
    const inputWord = instance.inputOffset >>> 3
    let added = 0
    if (keys.length === 0) this.wasm.dedup_expire(set, nowMs)
    for (let start = 0; start < keys.length; start += chunk) {
      const count = Math.min(chunk, keys.length - start)
      instance.u64.set(keys.subarray(start, start + count), inputWord)
      added += this.wasm.dedup_add_batch(set, count, nowMs)
      if (out !== undefined) out.set(instance.u8.subarray(instance.outputOffset, instance.outputOffset + count), start)
    }
    return added
  }

  expire(nowMs: number): void {
    const set = this.live()
    checkNow(nowMs)
    this.wasm.dedup_expire(set, nowMs)
  }

  clear(): void {
    this.wasm.dedup_clear(this.live())
  }

  free(): void {
    if (this.handle === 0) return
    this.instance.untrack(this)
    this.wasm.dedup_free(this.handle)
    this.handle = 0
  }

  private live(): number {
    if (this.handle === 0) throw freed()
    return this.handle
  }
}
