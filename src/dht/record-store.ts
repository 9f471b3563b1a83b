// The records one node holds for others: bounded by a byte quota for the whole store and by a
// share per storing peer, so no single peer can fill a node. An immutable record expires ttlMs
// after it was (re)stored; a mutable one at signedAtMs + ttlMs, the time its owner signed,
// however late it arrives here. Pure bookkeeping with time passed in: the Dht owns the sweep timer and
// checks signatures before a record gets here.

import { bytesEqual } from '../peers/identity.js'
import type { DhtRecord } from '../wire/messages.js'
import { StoreRejectReason } from '../wire/messages.js'
import { mutableExpiresAtMs, recordCostBytes } from './records.js'
import { toHex } from './ids.js'

/** The storer name of records this node put itself: charged to the quota, exempt from the per-peer share. */
export const LOCAL_STORER = 'local'

export interface RecordStoreOptions {
  /** Bytes all records together may take. */
  quotaBytes: number
  /** Bytes the records stored by one peer may take. */
  perPeerShareBytes: number
  /** Longest lifetime granted, whatever ttl a record asks for. */
  maxTtlMs: number
}

export interface StoredRecord {
  readonly record: DhtRecord
  readonly storedBy: string
  readonly costBytes: number
  readonly storedAtMs: number
  readonly expiresAtMs: number
}

/** What put() did; a refusal carries the wire reason and which limit it hit. */
export type StoreOutcome =
  | { readonly ok: true; readonly change: 'added' | 'replaced' | 'refreshed' }
  | { readonly ok: false; readonly reason: number; readonly detail: 'quota' | 'peer-share' | 'stale-seq' | 'owner-mismatch' | 'kind-mismatch' | 'expired' }

export class RecordStore {
  private readonly records = new Map<string, StoredRecord>()
  private readonly bytesByStorer = new Map<string, number>()
  private totalBytes = 0

  constructor(private readonly options: RecordStoreOptions) {}

  get size(): number {
    return this.records.size
  }

  /** Bytes charged by every record held. */
  get bytes(): number {
    return this.totalBytes
  }

  /** Storers (peer keys, LOCAL_STORER) with bytes charged. */
  get storerCount(): number {
    return this.bytesByStorer.size
  }

  /** Bytes charged to `storer` (a peer key, or LOCAL_STORER). */
  bytesOf(storer: string): number {
    return this.bytesByStorer.get(storer) ?? 0
  }

  /**
   * Stores a record whose key and signature were checked already. An immutable record
   * already held is refreshed; a mutable one replaces the held one only with a higher seq
   * (an equal seq with the same value refreshes when it lives longer: its owner re-signed it),
   * and only from the same owner. Since a mutable key is derived from its owner's public key
   * (checkRecord refuses any other), two owners never meet under one key; the owner check is
   * kept as defense in depth. A mutable record past its signed lifetime is refused.
   */
  put(record: DhtRecord, storedBy: string, nowMs: number): StoreOutcome {
    const keyHex = toHex(record.key)
    let expiresAtMs = this.expiryOf(record, nowMs)
    if (expiresAtMs <= nowMs) return { ok: false, reason: StoreRejectReason.EXPIRED, detail: 'expired' }
    const held = this.liveEntry(keyHex, nowMs)
    let change: 'added' | 'replaced' | 'refreshed' = 'added'
    if (held !== undefined) {
      const old = held.record
      if (old.kind !== record.kind) return { ok: false, reason: StoreRejectReason.KEY_MISMATCH, detail: 'kind-mismatch' }
      if (old.kind === 'mutable' && record.kind === 'mutable') {
        if (!bytesEqual(old.publicKey, record.publicKey)) return { ok: false, reason: StoreRejectReason.KEY_MISMATCH, detail: 'owner-mismatch' }
        if (record.seq < old.seq || (record.seq === old.seq && !bytesEqual(record.value, old.value))) {
          return { ok: false, reason: StoreRejectReason.STALE_SEQ, detail: 'stale-seq' }
        }
        change = record.seq === old.seq ? 'refreshed' : 'replaced'
        // The same record signed earlier (a copy replayed, an older republish) cuts no life short.
        if (change === 'refreshed' && held.expiresAtMs > expiresAtMs) {
          record = old
          expiresAtMs = held.expiresAtMs
        }
      } else {
        change = 'refreshed'
      }
    }
    const cost = recordCostBytes(record)
    // What the held record frees if this one takes its place.
    const freed = held?.costBytes ?? 0
    const freedFromStorer = held !== undefined && held.storedBy === storedBy ? held.costBytes : 0
    if (this.totalBytes - freed + cost > this.options.quotaBytes) {
      return { ok: false, reason: StoreRejectReason.QUOTA_EXCEEDED, detail: 'quota' }
    }
    if (storedBy !== LOCAL_STORER && this.bytesOf(storedBy) - freedFromStorer + cost > this.options.perPeerShareBytes) {
      return { ok: false, reason: StoreRejectReason.QUOTA_EXCEEDED, detail: 'peer-share' }
    }
    if (held !== undefined) this.drop(keyHex, held)
    this.records.set(keyHex, { record, storedBy, costBytes: cost, storedAtMs: nowMs, expiresAtMs })
    this.charge(storedBy, cost)
    return { ok: true, change }
  }

  /**
   * When `record` would expire here: a mutable one at its signed time plus its ttl, an
   * immutable one ttl after now; either way no later than maxTtlMs past that start.
   */
  expiryOf(record: DhtRecord, nowMs: number): number {
    const ttlMs = Math.min(record.ttlMs, this.options.maxTtlMs)
    return record.kind === 'mutable' ? Math.min(mutableExpiresAtMs(record), record.signedAtMs + ttlMs) : nowMs + ttlMs
  }

  /** The live record under `key`, or undefined (an expired one is dropped on the way). */
  get(key: Uint8Array, nowMs: number): StoredRecord | undefined {
    return this.liveEntry(toHex(key), nowMs)
  }

  delete(key: Uint8Array): boolean {
    const keyHex = toHex(key)
    const held = this.records.get(keyHex)
    if (held === undefined) return false
    this.drop(keyHex, held)
    return true
  }

  /** Drops every expired record; returns how many. */
  sweep(nowMs: number): number {
    let removed = 0
    for (const [keyHex, held] of this.records) {
      if (held.expiresAtMs <= nowMs) {
        this.drop(keyHex, held)
        removed++
      }
    }
    return removed
  }

  /** The earliest expiry among held records, or undefined when empty. */
  nextExpiryMs(): number | undefined {
    let next: number | undefined
    for (const held of this.records.values()) if (next === undefined || held.expiresAtMs < next) next = held.expiresAtMs
    return next
  }

  values(): IterableIterator<StoredRecord> {
    return this.records.values()
  }

  clear(): void {
    this.records.clear()
    this.bytesByStorer.clear()
    this.totalBytes = 0
  }

  private liveEntry(keyHex: string, nowMs: number): StoredRecord | undefined {
    const held = this.records.get(keyHex)
    if (held === undefined) return undefined
    if (held.expiresAtMs <= nowMs) {
      this.drop(keyHex, held)
      return undefined
    }
    return held
  }

  private drop(keyHex: string, held: StoredRecord): void {
    this.records.delete(keyHex)
    this.charge(held.storedBy, -held.costBytes)
  }

  private charge(storer: string, bytes: number): void {
    this.totalBytes += bytes
    const next = this.bytesOf(storer) + bytes
    if (next <= 0) this.bytesByStorer.delete(storer)
    else this.bytesByStorer.set(storer, next)
  }
}
