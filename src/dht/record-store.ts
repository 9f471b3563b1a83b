// The records one node holds for others: bounded by a byte quota for the whole store, by a
// share per storing peer and by a share per storer address prefix, so neither one peer nor
// identities made in bulk on one network can fill a node. A full store evicts by value rather
// than refusing: records this node is responsible for outrank the rest, and a newcomer pushes
// out only records of a storer prefix more crowded than its own, the never-read and
// never-refreshed ones farthest from this node's id first (S/Kademlia's and BEP 44's point:
// identities are cheap, networks are not). An immutable record expires ttlMs after it was
// (re)stored; a mutable one at signedAtMs + ttlMs, the time its owner signed, however late it
// arrives here; either one sooner when nobody re-stores it within maxIdleMs. Pure bookkeeping
// with time passed in: the Dht owns the sweep timer and checks signatures before a record gets here.

import { bytesEqual } from '../peers/identity.js'
import type { DhtRecord } from '../wire/messages.js'
import { StoreRejectReason } from '../wire/messages.js'
import { mutableExpiresAtMs, recordCostBytes } from './records.js'
import { toHex } from './ids.js'
import { compareDistance } from '../util/xor-distance.js'

/** The storer name of records this node put itself: charged to the quota, exempt from the per-peer share. */
export const LOCAL_STORER = 'local'

export interface RecordStoreOptions {
  /** Bytes all records together may take. */
  quotaBytes: number
  /** Bytes the records stored by one peer may take. */
  perPeerShareBytes: number
  /** Longest lifetime granted, whatever ttl a record asks for. */
  maxTtlMs: number
  /** Bytes the records stored by all peers of one address prefix may take. Default: no limit. */
  perPrefixShareBytes?: number
  /** A record nobody re-stores for this long goes, whatever its ttl. Default: no limit. */
  maxIdleMs?: number
  /** This node's id: of records otherwise equal, those farthest from it are evicted first. */
  localId?: Uint8Array
}

/** Where a store came from and what it is to this node; absent fields: an exempt prefix, not responsible. */
export interface StorePlacement {
  /** The storer's address prefix (prefixOf); undefined when exempt: the storer is a group of its own. */
  readonly prefix?: string
  /** This node is among the k closest contacts it knows to the key. */
  readonly isResponsible?: boolean
}

export interface StoredRecord {
  readonly record: DhtRecord
  readonly storedBy: string
  readonly costBytes: number
  readonly storedAtMs: number
  readonly expiresAtMs: number
  /** The storer's prefix group: its prefix, or the storer itself when its prefix is exempt. */
  readonly group: string
  readonly isResponsible: boolean
  /** Times the record was stored again (by anyone) while held; kept across refreshes. */
  readonly refreshes: number
  /** When a peer last read it (FIND_VALUE), or undefined. */
  readonly lastReadAtMs: number | undefined
}

/** What put() did; a refusal carries the wire reason and which limit it hit. */
export type StoreOutcome =
  | { readonly ok: true; readonly change: 'added' | 'replaced' | 'refreshed' }
  | { readonly ok: false; readonly reason: number; readonly detail: 'quota' | 'peer-share' | 'stale-seq' | 'owner-mismatch' | 'kind-mismatch' | 'expired' | 'prefix-share' }

export class RecordStore {
  private readonly records = new Map<string, StoredRecord>()
  private readonly bytesByStorer = new Map<string, number>()
  private readonly bytesByGroup = new Map<string, number>()
  private totalBytes = 0
  private evictedCount = 0

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

  /** Bytes charged to a prefix group (a prefix, or a storer whose prefix is exempt). */
  bytesOfGroup(group: string): number {
    return this.bytesByGroup.get(group) ?? 0
  }

  /** Records evicted to make room for others since the store was made. */
  get evicted(): number {
    return this.evictedCount
  }

  /**
   * Stores a record whose key and signature were checked already. An immutable record
   * already held is refreshed; a mutable one replaces the held one only with a higher seq
   * (an equal seq with the same value refreshes when it lives longer: its owner re-signed it),
   * and only from the same owner. Since a mutable key is derived from its owner's public key
   * (checkRecord refuses any other), two owners never meet under one key; the owner check is
   * kept as defense in depth. A mutable record past its signed lifetime is refused.
   *
   * Past the quota, records worth less make room (see evictionOrder); the put is refused only
   * when the bytes it needs cannot be freed from records worth less than it.
   */
  put(record: DhtRecord, storedBy: string, nowMs: number, placement: StorePlacement = {}): StoreOutcome {
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
        if (change === 'refreshed' && this.expiryOf(old, nowMs) > expiresAtMs) {
          record = old
          expiresAtMs = this.expiryOf(old, nowMs)
        }
      } else {
        change = 'refreshed'
      }
    }
    const cost = recordCostBytes(record)
    const group = storedBy === LOCAL_STORER ? LOCAL_STORER : (placement.prefix ?? storedBy)
    // What the held record frees if this one takes its place.
    const freed = held?.costBytes ?? 0
    const freedFromStorer = held !== undefined && held.storedBy === storedBy ? held.costBytes : 0
    const freedFromGroup = held !== undefined && held.group === group ? held.costBytes : 0
    if (storedBy !== LOCAL_STORER && this.bytesOf(storedBy) - freedFromStorer + cost > this.options.perPeerShareBytes) {
      return { ok: false, reason: StoreRejectReason.QUOTA_EXCEEDED, detail: 'peer-share' }
    }
    const prefixShare = this.options.perPrefixShareBytes
    if (placement.prefix !== undefined && prefixShare !== undefined && this.bytesOfGroup(group) - freedFromGroup + cost > prefixShare) {
      return { ok: false, reason: StoreRejectReason.QUOTA_EXCEEDED, detail: 'prefix-share' }
    }
    const isResponsible = placement.isResponsible ?? false
    const excess = this.totalBytes - freed + cost - this.options.quotaBytes
    const victims = excess > 0 ? this.victimsFor(excess, { group, isResponsible, cost, skipKeyHex: keyHex }, nowMs) : []
    if (victims === undefined) return { ok: false, reason: StoreRejectReason.QUOTA_EXCEEDED, detail: 'quota' }
    for (const [victimKeyHex, victim] of victims) {
      this.drop(victimKeyHex, victim)
      this.evictedCount++
    }
    if (held !== undefined) this.drop(keyHex, held)
    const maxIdleMs = this.options.maxIdleMs
    if (maxIdleMs !== undefined) expiresAtMs = Math.min(expiresAtMs, nowMs + maxIdleMs)
    this.records.set(keyHex, {
      record,
      storedBy,
      costBytes: cost,
      storedAtMs: nowMs,
      expiresAtMs,
      group,
      // Once responsible, kept so across refreshes: contacts come and go between them.
      isResponsible: isResponsible || (held?.isResponsible ?? false),
      refreshes: held === undefined ? 0 : held.refreshes + 1,
      lastReadAtMs: held?.lastReadAtMs,
    })
    this.charge(storedBy, group, cost)
    return { ok: true, change }
  }

  /** Notes that a peer read the record under `key` (it counts for the record when the store is full). */
  noteRead(key: Uint8Array, nowMs: number): void {
    const keyHex = toHex(key)
    const held = this.records.get(keyHex)
    if (held !== undefined) this.records.set(keyHex, { ...held, lastReadAtMs: nowMs })
  }

  /**
   * Records held for others, cheapest first: those this node is not responsible for, then of
   * the storer group holding the most bytes, then not read within maxIdleMs (ever, without it),
   * then never refreshed, then farthest from localId, then stored longest ago. The node's own
   * records are not in it.
   */
  evictionOrder(nowMs: number): [string, StoredRecord][] {
    const readWindowMs = this.options.maxIdleMs ?? Number.POSITIVE_INFINITY
    const wasRead = (held: StoredRecord) => (held.lastReadAtMs !== undefined && nowMs - held.lastReadAtMs <= readWindowMs ? 1 : 0)
    const localId = this.options.localId
    const entries = [...this.records].filter(([, held]) => held.storedBy !== LOCAL_STORER)
    return entries.sort(([, a], [, b]) =>
      Number(a.isResponsible) - Number(b.isResponsible) ||
      this.bytesOfGroup(b.group) - this.bytesOfGroup(a.group) ||
      wasRead(a) - wasRead(b) ||
      Math.min(a.refreshes, 1) - Math.min(b.refreshes, 1) ||
      (localId === undefined ? 0 : compareDistance(localId, b.record.key, a.record.key)) ||
      a.storedAtMs - b.storedAtMs,
    )
  }

  /**
   * The records to evict so `excess` bytes are freed for a newcomer, or undefined when that
   * cannot be done with records worth less than it. A record is worth less when the newcomer is
   * one this node is responsible for and it is not, or when both are alike that way and its
   * group holds more bytes than the newcomer's will: colocated storers only replace each other,
   * and a crowded prefix gives way to a sparse one.
   */
  private victimsFor(excess: number, newcomer: { group: string; isResponsible: boolean; cost: number; skipKeyHex: string }, nowMs: number): [string, StoredRecord][] | undefined {
    const newcomerGroupBytes = this.bytesOfGroup(newcomer.group) + newcomer.cost
    // The common refusal (a crowded storer's newcomer at a full store) without sorting anything.
    if (!newcomer.isResponsible && !this.hasGroupAbove(newcomerGroupBytes)) return undefined
    const victims: [string, StoredRecord][] = []
    let freed = 0
    for (const entry of this.evictionOrder(nowMs)) {
      const [keyHex, held] = entry
      if (keyHex === newcomer.skipKeyHex) continue
      const isWorthLess = held.isResponsible === newcomer.isResponsible
        ? this.bytesOfGroup(held.group) > newcomerGroupBytes
        : newcomer.isResponsible
      if (!isWorthLess) return undefined
      victims.push(entry)
      freed += held.costBytes
      if (freed >= excess) return victims
    }
    return undefined
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
    this.bytesByGroup.clear()
    this.totalBytes = 0
  }

  /** True when a storer group other than this node's own holds more than `bytes`. */
  private hasGroupAbove(bytes: number): boolean {
    for (const [group, held] of this.bytesByGroup) if (group !== LOCAL_STORER && held > bytes) return true
    return false
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
    this.charge(held.storedBy, held.group, -held.costBytes)
  }

  private charge(storer: string, group: string, bytes: number): void {
    this.totalBytes += bytes
    addTo(this.bytesByStorer, storer, bytes)
    addTo(this.bytesByGroup, group, bytes)
  }
}

function addTo(counts: Map<string, number>, name: string, bytes: number): void {
  const next = (counts.get(name) ?? 0) + bytes
  if (next <= 0) counts.delete(name)
  else counts.set(name, next)
}
