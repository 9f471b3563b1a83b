// RoutingTable in pure TypeScript: the twin of assembly/routing.ts (same buckets, LRU order
// and distance bands; see that file for the design). Ids are held as big-endian u32 words,
// so XOR distances compare word by word as unsigned numbers.

import type { RoutingAddResult, RoutingTable, RoutingTableOptions } from '../contracts.js'
import {
  checkBatch, checkBucket, checkId, checkPeer, checkRoutingTime, closestCount, resolveRoutingTableOptions, routingByteLength,
  routingFreed, selfId,
} from '../routing-table-options.js'

const INSERTION_SORT_MAX = 24
// What addWords did; also the codes of addBatch's `out`.
const ADDED = 0
const UPDATED = 1
const FULL = 2
const SELF = 3

interface Bucket {
  count: number
  /** k ids of W words each, least recently seen first; null until the first contact. */
  ids: Uint32Array | null
  peers: Uint32Array | null
  touched: number
}

export class TwinRoutingTable implements RoutingTable {
  readonly localId: Uint8Array
  readonly idBytes: number
  readonly k: number
  readonly bucketCount: number
  private readonly words: number
  private readonly local: Uint32Array
  private readonly buckets: Bucket[]
  private readonly scratch: Uint32Array
  private count = 0
  private allocated = 0
  private lastNow = 0
  private candidates = new Uint32Array(0)
  private candidatePeers = new Uint32Array(0)
  private order: number[] = []
  private candidateCap = 0
  private resultCap = 0
  private freed = false

  constructor(options: RoutingTableOptions) {
    const { localId, k } = resolveRoutingTableOptions(options)
    this.localId = localId
    this.idBytes = localId.length
    this.k = k
    this.bucketCount = localId.length * 8
    this.words = Math.ceil(localId.length / 4)
    this.local = new Uint32Array(this.words)
    this.scratch = new Uint32Array(this.words)
    this.toWords(localId, this.local)
    this.buckets = Array.from({ length: this.bucketCount }, () => ({ count: 0, ids: null, peers: null, touched: -Infinity }))
  }

  get size(): number {
    this.live()
    return this.count
  }

  get byteLength(): number {
    this.live()
    return routingByteLength(this.idBytes, this.k, this.allocated, this.candidateCap, this.resultCap)
  }

  add(id: Uint8Array, peer: number, nowMs?: number): RoutingAddResult {
    this.live()
    const words = this.toWords(checkId('id', id, this.idBytes), this.scratch)
    checkPeer(peer)
    if (nowMs !== undefined) checkRoutingTime('nowMs', nowMs)
    const result = this.addWords(words, peer, nowMs)
    if (result === SELF) throw selfId()
    if (result === FULL) return { full: true, bucket: this.fullBucket, leastRecent: this.fullLeastRecent }
    return result === ADDED ? 'added' : 'updated'
  }

  addBatch(ids: Uint8Array, peers: Uint32Array, nowMs?: number, out?: Uint8Array): number {
    this.live()
    const count = checkBatch(ids, peers, out, this.idBytes)
    if (nowMs !== undefined) checkRoutingTime('nowMs', nowMs)
    let added = 0
    for (let i = 0; i < count; i++) {
      const words = this.toWords(ids.subarray(i * this.idBytes, (i + 1) * this.idBytes), this.scratch)
      const result = this.addWords(words, peers[i]!, nowMs)
      if (out !== undefined) out[i] = result
      if (result === ADDED) added++
    }
    return added
  }

  private fullBucket = 0
  private fullLeastRecent = 0

  /** ADDED, UPDATED, FULL (with fullBucket and fullLeastRecent set) or SELF. */
  private addWords(words: Uint32Array, peer: number, nowMs: number | undefined): number {
    const index = this.prefixLength(words)
    if (index === this.bucketCount) return SELF
    const bucket = this.buckets[index]!
    if (nowMs !== undefined) bucket.touched = this.clampNow(nowMs)
    const at = this.find(bucket, words)
    const w = this.words
    if (at >= 0) {
      const ids = bucket.ids!
      const peers = bucket.peers!
      ids.copyWithin(at * w, (at + 1) * w, bucket.count * w)
      peers.copyWithin(at, at + 1, bucket.count)
      ids.set(words, (bucket.count - 1) * w)
      peers[bucket.count - 1] = peer
      return UPDATED
    }
    if (bucket.count === this.k) {
      this.fullBucket = index
      this.fullLeastRecent = bucket.peers![0]!
      return FULL
    }
    if (bucket.ids === null) {
      bucket.ids = new Uint32Array(this.k * w)
      bucket.peers = new Uint32Array(this.k)
      this.allocated++
    }
    bucket.ids.set(words, bucket.count * w)
    bucket.peers![bucket.count] = peer
    bucket.count++
    this.count++
    return ADDED
  }

  remove(id: Uint8Array): number {
    this.live()
    const words = this.toWords(checkId('id', id, this.idBytes), this.scratch)
    const index = this.prefixLength(words)
    if (index === this.bucketCount) return -1
    const bucket = this.buckets[index]!
    const at = this.find(bucket, words)
    if (at < 0) return -1
    const peer = bucket.peers![at]!
    bucket.ids!.copyWithin(at * this.words, (at + 1) * this.words, bucket.count * this.words)
    bucket.peers!.copyWithin(at, at + 1, bucket.count)
    bucket.count--
    this.count--
    return peer
  }

  has(id: Uint8Array): boolean {
    return this.get(id) !== -1
  }

  get(id: Uint8Array): number {
    this.live()
    const words = this.toWords(checkId('id', id, this.idBytes), this.scratch)
    const index = this.prefixLength(words)
    if (index === this.bucketCount) return -1
    const bucket = this.buckets[index]!
    const at = this.find(bucket, words)
    return at < 0 ? -1 : bucket.peers![at]!
  }

  bucketOf(id: Uint8Array): number {
    this.live()
    return this.prefixLength(this.toWords(checkId('id', id, this.idBytes), this.scratch))
  }

  closest(target: Uint8Array, n: number, out?: Uint32Array): Uint32Array {
    this.live()
    const words = this.toWords(checkId('target', target, this.idBytes), this.scratch)
    const wanted = closestCount(n, this.count, out)
    const result = out ?? new Uint32Array(wanted)
    if (wanted > 16384) this.resultCap = Math.max(this.resultCap, wanted)
    if (wanted === 0) return result.subarray(0, 0)
    const home = this.prefixLength(words)
    let written = 0
    if (home < this.bucketCount) {
      this.ensureCandidates(this.k)
      let count = this.collect(home, words, 0)
      written += this.emitBand(count, result, written, wanted - written)
      if (written < wanted) {
        let deeper = 0
        for (let b = home + 1; b < this.bucketCount; b++) deeper += this.buckets[b]!.count
        if (deeper > 0) {
          this.ensureCandidates(deeper)
          count = 0
          for (let b = home + 1; b < this.bucketCount; b++) count = this.collect(b, words, count)
          written += this.emitBand(count, result, written, wanted - written)
        }
      }
    }
    for (let b = Math.min(home, this.bucketCount) - 1; written < wanted && b >= 0; b--) {
      if (this.buckets[b]!.count === 0) continue
      this.ensureCandidates(this.k)
      written += this.emitBand(this.collect(b, words, 0), result, written, wanted - written)
    }
    return result.subarray(0, written)
  }

  bucketPeers(index: number): Uint32Array {
    this.live()
    const bucket = this.buckets[checkBucket(index, this.bucketCount)]!
    return bucket.peers === null ? new Uint32Array(0) : bucket.peers.slice(0, bucket.count)
  }

  bucketIds(index: number): Uint8Array[] {
    this.live()
    const bucket = this.buckets[checkBucket(index, this.bucketCount)]!
    const ids: Uint8Array[] = []
    for (let i = 0; i < bucket.count; i++) ids.push(this.toBytes(bucket.ids!, i * this.words))
    return ids
  }

  touch(index: number, nowMs: number): void {
    this.live()
    const bucket = this.buckets[checkBucket(index, this.bucketCount)]!
    bucket.touched = this.clampNow(checkRoutingTime('nowMs', nowMs))
  }

  staleBuckets(nowMs: number, olderThanMs: number): number[] {
    this.live()
    checkRoutingTime('nowMs', nowMs)
    checkRoutingTime('olderThanMs', olderThanMs)
    const limit = this.clampNow(nowMs) - olderThanMs
    const stale: number[] = []
    this.buckets.forEach((bucket, index) => {
      if (bucket.count !== 0 && bucket.touched <= limit) stale.push(index)
    })
    return stale
  }

  clear(): void {
    this.live()
    for (const bucket of this.buckets) {
      bucket.count = 0
      bucket.ids = null
      bucket.peers = null
      bucket.touched = -Infinity
    }
    this.count = 0
    this.allocated = 0
  }

  free(): void {
    this.freed = true
  }

  private live(): void {
    if (this.freed) throw routingFreed()
  }

  private clampNow(nowMs: number): number {
    if (nowMs > this.lastNow) this.lastNow = nowMs
    return this.lastNow
  }

  /** Big-endian u32 words of `bytes`, zero-padded on the right. */
  private toWords(bytes: Uint8Array, into: Uint32Array): Uint32Array {
    into.fill(0)
    for (let i = 0; i < bytes.length; i++) into[i >> 2]! |= bytes[i]! << (24 - 8 * (i & 3))
    return into
  }

  private toBytes(words: Uint32Array, from: number): Uint8Array {
    const bytes = new Uint8Array(this.idBytes)
    for (let i = 0; i < this.idBytes; i++) bytes[i] = words[from + (i >> 2)]! >>> (24 - 8 * (i & 3))
    return bytes
  }

  private prefixLength(words: Uint32Array): number {
    for (let i = 0; i < this.words; i++) {
      const x = (words[i]! ^ this.local[i]!) >>> 0
      if (x !== 0) return i * 32 + Math.clz32(x)
    }
    return this.bucketCount
  }

  private find(bucket: Bucket, words: Uint32Array): number {
    const ids = bucket.ids
    if (ids === null) return -1
    const w = this.words
    const first = words[0]!
    outer: for (let i = 0, at = 0; i < bucket.count; i++, at += w) {
      if (ids[at] !== first) continue
      for (let j = 1; j < w; j++) if (ids[at + j] !== words[j]) continue outer
      return i
    }
    return -1
  }

  // The same growth rule as the wasm candidate buffer, so both report the same byteLength.
  private ensureCandidates(needed: number): void {
    if (needed <= this.candidateCap) return
    let next = this.candidateCap === 0 ? 64 : this.candidateCap
    while (next < needed) next *= 2
    this.candidateCap = next
    this.candidates = new Uint32Array(next * this.words)
    this.candidatePeers = new Uint32Array(next)
  }

  private collect(index: number, target: Uint32Array, count: number): number {
    const bucket = this.buckets[index]!
    const w = this.words
    for (let i = 0; i < bucket.count; i++, count++) {
      for (let j = 0; j < w; j++) this.candidates[count * w + j] = (bucket.ids![i * w + j]! ^ target[j]!) >>> 0
      this.candidatePeers[count] = bucket.peers![i]!
    }
    return count
  }

  private compare = (a: number, b: number): number => {
    const w = this.words
    for (let j = 0; j < w; j++) {
      const x = this.candidates[a * w + j]!
      const y = this.candidates[b * w + j]!
      if (x !== y) return x < y ? -1 : 1
    }
    return 0
  }

  private emitBand(count: number, out: Uint32Array, at: number, room: number): number {
    if (count === 0 || room === 0) return 0
    const order = this.order
    order.length = count
    for (let i = 0; i < count; i++) order[i] = i
    if (count <= INSERTION_SORT_MAX) {
      for (let i = 1; i < count; i++) {
        const item = order[i]!
        let j = i
        while (j > 0 && this.compare(item, order[j - 1]!) < 0) {
          order[j] = order[j - 1]!
          j--
        }
        order[j] = item
      }
    } else {
      order.sort(this.compare)
    }
    const n = Math.min(count, room)
    for (let i = 0; i < n; i++) out[at + i] = this.candidatePeers[order[i]!]!
    return n
  }
}
