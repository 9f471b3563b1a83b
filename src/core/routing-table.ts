// RoutingTable on the WebAssembly backend: a handle into the shared instance
// (assembly/routing.ts). Ids go in through the scratch input region, zero-padded to whole
// 64-bit words; handles and ids come back through the output region.

import type { RoutingAddResult, RoutingTable, RoutingTableOptions } from './contracts.js'
import type { WasmInstance } from './wasm-instance.js'
import {
  checkBatch, checkBucket, checkId, checkPeer, checkRoutingTime, closestCount, resolveRoutingTableOptions, routingFreed, selfId,
} from './routing-table-options.js'

interface RoutingExports {
  routing_create(idBytes: number, k: number): number
  routing_free(table: number): void
  routing_clear(table: number): void
  routing_size(table: number): number
  routing_byte_length(table: number): number
  routing_add(table: number, peer: number, nowMs: number): number
  routing_add_batch(table: number, count: number, nowMs: number): number
  routing_remove(table: number): number
  routing_get(table: number): number
  routing_bucket_of(table: number): number
  routing_bucket_size(table: number, bucket: number): number
  routing_bucket_peers(table: number, bucket: number): number
  routing_bucket_ids(table: number, bucket: number): number
  routing_touch(table: number, bucket: number, nowMs: number): void
  routing_stale(table: number, nowMs: number, olderThanMs: number): number
  routing_closest(table: number, n: number): number
  routing_results(table: number, n: number): number
}

// Results of routing_add (assembly/routing.ts).
const ADDED = 0
const UPDATED = 1
const FULL = 2
// Handles the output region holds (assembly/routing.ts OUTPUT_HANDLES).
const OUTPUT_HANDLES = 16384

export class WasmRoutingTable implements RoutingTable {
  readonly localId: Uint8Array
  readonly idBytes: number
  readonly k: number
  readonly bucketCount: number
  private readonly wordBytes: number
  private readonly wasm: RoutingExports
  private readonly instance: WasmInstance
  private handle: number

  constructor(instance: WasmInstance, options: RoutingTableOptions) {
    const { localId, k } = resolveRoutingTableOptions(options)
    this.localId = localId
    this.idBytes = localId.length
    this.k = k
    this.bucketCount = localId.length * 8
    this.wordBytes = Math.ceil(localId.length / 8) * 8
    this.instance = instance
    this.wasm = instance.exports as unknown as RoutingExports
    this.writeId(localId)
    const handle = this.wasm.routing_create(this.idBytes, k)
    this.handle = handle
    instance.refresh()
    const wasm = this.wasm
    instance.track(this, () => wasm.routing_free(handle))
  }

  get size(): number {
    return this.wasm.routing_size(this.live())
  }

  get byteLength(): number {
    return this.wasm.routing_byte_length(this.live())
  }

  add(id: Uint8Array, peer: number, nowMs?: number): RoutingAddResult {
    const table = this.live()
    this.writeId(checkId('id', id, this.idBytes))
    checkPeer(peer)
    const result = this.wasm.routing_add(table, peer, nowMs === undefined ? -1 : checkRoutingTime('nowMs', nowMs))
    if (result === ADDED) {
      this.instance.refresh()
      return 'added'
    }
    if (result === UPDATED) return 'updated'
    if (result === FULL) {
      const u32 = this.instance.u32
      const at = this.instance.outputOffset >>> 2
      return { full: true, bucket: u32[at]!, leastRecent: u32[at + 1]! }
    }
    throw selfId()
  }

  addBatch(ids: Uint8Array, peers: Uint32Array, nowMs?: number, out?: Uint8Array): number {
    const table = this.live()
    const count = checkBatch(ids, peers, out, this.idBytes)
    const now = nowMs === undefined ? -1 : checkRoutingTime('nowMs', nowMs)
    const { inputOffset, outputOffset, scratchBytes } = this.instance
    const chunk = Math.floor(scratchBytes / (this.wordBytes + 4))
    let added = 0
    for (let start = 0; start < count; start += chunk) {
      const n = Math.min(chunk, count - start)
      const u8 = this.instance.u8
      if (this.wordBytes === this.idBytes) {
        u8.set(ids.subarray(start * this.idBytes, (start + n) * this.idBytes), inputOffset)
      } else {
        u8.fill(0, inputOffset, inputOffset + n * this.wordBytes)
        for (let i = 0; i < n; i++) {
          u8.set(ids.subarray((start + i) * this.idBytes, (start + i + 1) * this.idBytes), inputOffset + i * this.wordBytes)
        }
      }
      this.instance.u32.set(peers.subarray(start, start + n), (inputOffset + n * this.wordBytes) >>> 2)
      added += this.wasm.routing_add_batch(table, n, now)
      this.instance.refresh()
      if (out !== undefined) out.set(this.instance.u8.subarray(outputOffset, outputOffset + n), start)
    }
    return added
  }

  remove(id: Uint8Array): number {
    const table = this.live()
    this.writeId(checkId('id', id, this.idBytes))
    return this.wasm.routing_remove(table)
  }

  has(id: Uint8Array): boolean {
    return this.get(id) !== -1
  }

  get(id: Uint8Array): number {
    const table = this.live()
    this.writeId(checkId('id', id, this.idBytes))
    return this.wasm.routing_get(table)
  }

  bucketOf(id: Uint8Array): number {
    const table = this.live()
    this.writeId(checkId('id', id, this.idBytes))
    return this.wasm.routing_bucket_of(table)
  }

  closest(target: Uint8Array, n: number, out?: Uint32Array): Uint32Array {
    const table = this.live()
    this.writeId(checkId('target', target, this.idBytes))
    const count = this.wasm.routing_closest(table, closestCount(n, this.wasm.routing_size(table), out))
    this.instance.refresh()
    const from = (count <= OUTPUT_HANDLES ? this.instance.outputOffset : this.wasm.routing_results(table, count)) >>> 2
    const u32 = this.instance.u32
    const result = out ?? new Uint32Array(count)
    // A plain loop beats subarray + set for the usual n of about 20.
    for (let i = 0; i < count; i++) result[i] = u32[from + i]!
    return count === result.length ? result : result.subarray(0, count)
  }

  bucketPeers(index: number): Uint32Array {
    const table = this.live()
    const count = this.wasm.routing_bucket_peers(table, checkBucket(index, this.bucketCount))
    const from = this.instance.outputOffset >>> 2
    return this.instance.u32.slice(from, from + count)
  }

  bucketIds(index: number): Uint8Array[] {
    const table = this.live()
    const count = this.wasm.routing_bucket_ids(table, checkBucket(index, this.bucketCount))
    const u8 = this.instance.u8
    const ids: Uint8Array[] = []
    for (let i = 0, at = this.instance.outputOffset; i < count; i++, at += this.wordBytes) {
      ids.push(u8.slice(at, at + this.idBytes))
    }
    return ids
  }

  touch(index: number, nowMs: number): void {
    const table = this.live()
    this.wasm.routing_touch(table, checkBucket(index, this.bucketCount), checkRoutingTime('nowMs', nowMs))
  }

  staleBuckets(nowMs: number, olderThanMs: number): number[] {
    const table = this.live()
    const count = this.wasm.routing_stale(table, checkRoutingTime('nowMs', nowMs), checkRoutingTime('olderThanMs', olderThanMs))
    const from = this.instance.outputOffset >>> 2
    return Array.from(this.instance.u32.subarray(from, from + count))
  }

  clear(): void {
    this.wasm.routing_clear(this.live())
  }

  free(): void {
    if (this.handle === 0) return
    this.instance.untrack(this)
    this.wasm.routing_free(this.handle)
    this.handle = 0
  }

  private writeId(id: Uint8Array): void {
    const u8 = this.instance.u8
    const at = this.instance.inputOffset
    u8.set(id, at)
    if (this.wordBytes !== this.idBytes) u8.fill(0, at + this.idBytes, at + this.wordBytes)
  }

  private live(): number {
    if (this.handle === 0) throw routingFreed()
    return this.handle
  }
}
