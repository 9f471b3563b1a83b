// The Kademlia DHT of one node: contacts in the core RoutingTable, iterative FIND_NODE and
// FIND_VALUE lookups (k = 20, alpha = 3), STORE to the k closest, immutable and signed
// mutable records with TTL, quotas and republish. Sits on the peers layer's PeerNetwork; all
// time and randomness come from it, so the simulator can run thousands of these.

import type { Core } from '../core/contracts.js'
import { loadCoreSync } from '../core/load-core.js'
import { bytesEqual, verifySignature } from '../peers/identity.js'
import type { PeerNetwork, PeerSession } from '../peers/session.js'
import { PRIORITY_DHT } from '../peers/session.js'
import type { Clock, TimerHandle } from '../util/clock.js'
import { describeValue } from '../util/validate.js'
import { MAX_ADDRESSES_PER_PEER } from '../wire/limits.js'
import type { DecodedMessage, DhtRecord, FindNodeMessage, FindValueMessage, MutableRecord, PeerInfo, StoreMessage } from '../wire/messages.js'
import { StoreRejectReason } from '../wire/messages.js'
import { Contacts } from './contacts.js'
import { DhtError } from './errors.js'
import { randomIdInBucket, toHex } from './ids.js'
import { abortReason, iterativeLookup } from './lookup.js'
import type { LookupPeer, LookupReply, LookupResult } from './lookup.js'
import { resolveDhtOptions } from './options.js'
import type { DhtOptions, ResolvedDhtOptions } from './options.js'
import { LOCAL_STORER, RecordStore } from './record-store.js'
import {
  buildImmutableRecord, buildMutableRecord, checkRecord, immutableKeyOf, MAX_MUTABLE_VALUE_BYTES, mutableKeyOf, mutableValueOf, recordCostBytes,
  rejectReasonName, signMutableRecord,
} from './records.js'
import type { RecordClock, VerifyFn } from './records.js'
import { isSessionLoss, Rpc } from './rpc.js'
import { checkId, checkTtl, checkUserKey, checkValue } from './arguments.js'

export interface PutOptions {
  /**
   * A mutable record (the default: signed by this node, stored under the key derived from this
   * node's public key and `key` — see records.ts — newer seq wins; value at most 16 KiB − 32) or
   * an immutable one (key must be SHA-256(value); value at most 16 KiB).
   */
  mutable?: boolean
  /** Lifetime on the storing nodes. Default: the Dht's recordTtlMs. */
  ttlMs?: number
  /** Re-store every republishMs while this Dht runs (until unpublish). Default true. */
  republish?: boolean
  /** Aborts the lookup (the stores already sent still land). */
  signal?: AbortSignal
  /**
   * Remote nodes that must have stored the record, 0 to 20: with fewer, the put rejects with
   * DHT_STORE_FAILED (the record is kept here, and republished unless `republish` is false).
   * The way for putImmutable(), which resolves with the key alone, to know. Default 0.
   */
  minStoredAt?: number
}

export interface PutResult {
  /** The 32-byte DHT key the record is stored under (for a mutable record, derived from this node's public key and the user key). */
  readonly key: Uint8Array
  /**
   * Remote nodes that answered that they stored the record (an ok store reply); this node's
   * own copy is not counted. 0 when every node asked refused it or could not be reached: the
   * record then lives only here (see storedLocally) until a republish gets it out.
   */
  readonly storedAt: number
  /** This node keeps a copy in its own store too (it is among the k closest to the key). */
  readonly storedLocally: boolean
  /** Refusals by reason ('quota-exceeded', 'stale-seq', ..., 'unreachable'). */
  readonly refused: Readonly<Record<string, number>>
  /** The sequence number of a mutable record. */
  readonly seq?: bigint
  /** Hops of the lookup that found the k closest. */
  readonly hops: number
}

export interface GetOptions {
  /** Look the key up as a mutable record (default) or as an immutable key (32 bytes, SHA-256 of the value). */
  mutable?: boolean
  /**
   * The owner (32-byte Ed25519 public key) of the mutable record: its DHT key is derived from
   * it and the user key, and only records it signed are accepted. Default: this node's own
   * identity. Ignored for an immutable key.
   */
  owner?: Uint8Array
  signal?: AbortSignal
}

export interface HopStats {
  readonly count: number
  readonly mean: number
  readonly max: number
  /** histogram[h] lookups ended h hops away (index 0: nobody answered). */
  readonly histogram: readonly number[]
}

export interface DhtStats {
  readonly isRunning: boolean
  readonly contacts: number
  readonly records: number
  readonly storedBytes: number
  readonly quotaBytes: number
  readonly published: number
  readonly lookups: number
  readonly hops: HopStats
  readonly requestsSent: number
  readonly requestTimeouts: number
  /** Requests re-sent on the session that replaced the closed one they waited on. */
  readonly requestsMoved: number
  /** Requests failed at once because their session closed and none replaced it. */
  readonly requestsLostToClose: number
  readonly connectFailures: number
  readonly pendingRequests: number
  readonly storesAccepted: number
  readonly storesRefused: Readonly<Record<string, number>>
  /** Records held for others that were evicted to make room for ones worth more (record-store.ts). */
  readonly recordsEvicted: number
  readonly evicted: number
  readonly probesKept: number
  readonly invalidRecordsSeen: number
  /** Mutable records peers returned during lookups past their signed lifetime, or signed too far ahead of this node's clock: ignored, nobody penalized. */
  readonly expiredRecordsSeen: number
  /** Newer mutable records pushed to peers that returned an older version during get(). */
  readonly readRepairs: number
}

type Mode = 'node' | 'value'
/** A record this node put: republished while `republish`, its own copy live until expiresAtMs. */
type Published = { record: DhtRecord; republish: boolean; expiresAtMs: number; costBytes: number }


export class Dht {
  readonly options: ResolvedDhtOptions
  readonly network: PeerNetwork
  private readonly clock: Clock
  private readonly core: Core
  private readonly verify: VerifyFn
  private readonly localId: Uint8Array
  private readonly store: RecordStore
  private readonly published = new Map<string, Published>()
  /** Cost of the records in `published` (recordCostBytes), at most options.maxPublishedBytes. */
  private publishedBytes = 0
  private contacts: Contacts | undefined
  private rpc: Rpc | undefined
  private readonly unsubscribers: (() => void)[] = []
  private readonly timers = new Map<string, TimerHandle>()
  private state: 'new' | 'running' | 'stopped' = 'new'
  private lookups = 0
  private readonly hopHistogram: number[] = []
  private storesAccepted = 0
  private readonly storesRefused: Record<string, number> = {}
  private invalidRecordsSeen = 0
  private expiredRecordsSeen = 0
  private readRepairs = 0

  constructor(options: DhtOptions) {
    this.options = resolveDhtOptions(options)
    this.network = options.network
    this.clock = options.network.clock
    this.core = options.core ?? loadCoreSync()
    this.verify = options.verify ?? verifySignature
    this.localId = options.network.identity.peerId
    this.store = new RecordStore({
      quotaBytes: this.options.quotaBytes,
      perPeerShareBytes: this.options.perPeerShareBytes,
      perPrefixShareBytes: this.options.perPrefixShareBytes,
      maxTtlMs: this.options.maxRecordTtlMs,
      // Republish waits 0.75-1.25 x republishMs (every()); half a period more leaves room for its lookup.
      maxIdleMs: Math.floor(this.options.republishMs * 1.5),
      localId: this.localId,
    })
  }

  get isRunning(): boolean {
    return this.state === 'running'
  }

  /** Starts answering requests, takes the open sessions as contacts and arms refresh, republish and sweep. */
  start(): void {
    if (this.state === 'running') return
    this.state = 'running'
    const contacts = new Contacts(this.core, this.localId, this.options.k, (contact) => this.probe(contact), () => this.clock.now())
    this.contacts = contacts
    this.rpc = new Rpc(this.network, this.options.requestTimeoutMs)
    for (const session of this.network.peers()) contacts.observeSession(session)
    this.unsubscribers.push(
      this.network.on('peer:connect', (session) => contacts.observeSession(session)),
      this.network.on('message', (session, message) => this.onMessage(session, message)),
    )
    // Checked four times a period, so no bucket stays stale much longer than refreshMs.
    this.every('refresh', Math.max(1, Math.floor(this.options.refreshMs / 4)), () => this.refreshStaleBuckets())
    this.every('republish', this.options.republishMs, () => this.republishAll())
    this.every('sweep', this.options.sweepMs, () => this.sweep())
  }

  /** Stops: settles every pending request and lookup with DHT_NOT_RUNNING, clears every timer and listener, drops held records. */
  stop(): void {
    if (this.state !== 'running') return
    this.state = 'stopped'
    for (const timer of this.timers.values()) this.clock.clearTimeout(timer)
    this.timers.clear()
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe()
    this.rpc?.close()
    this.contacts?.close()
    this.contacts = undefined
    this.store.clear()
  }

  /**
   * Joins the DHT: connects to `addresses` (failures are skipped; the open sessions count as
   * well), then looks up this node's own id, which fills the buckets near it and announces it
   * there. Rejects with DHT_NO_PEERS when nobody could be reached.
   */
  async bootstrap(addresses: readonly string[] = [], options: { signal?: AbortSignal } = {}): Promise<LookupResult> {
    this.running()
    await Promise.all(
      addresses.map((address) =>
        this.rpcOrThrow().dial(address).then(
          (session) => this.contacts?.observeSession(session),
          () => undefined, // an unreachable bootstrap address: the others may do
        ),
      ),
    )
    return this.lookup(this.localId, options)
  }

  /** An iterative FIND_NODE lookup: the k closest peers that answered, with hop counts. */
  lookup(target: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<LookupResult> {
    checkId('target', target)
    return this.runLookup(target, 'node', undefined, options.signal)
  }

  /** Ids of the k peers closest to `target` (a 32-byte id), found by an iterative lookup. */
  async closestPeers(target: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<Uint8Array[]> {
    const result = await this.lookup(target, options)
    return result.closest.map((peer) => peer.id)
  }

  /** The contacts of the local routing table nearest to `target`, without asking anyone. */
  localClosest(target: Uint8Array, n = this.options.k): Uint8Array[] {
    return this.running().closest(target, n).map((contact) => contact.id)
  }

  /** Up to `n` contacts of the local routing table nearest to `target` that others can dial, with their addresses. */
  knownPeers(target: Uint8Array, n: number): PeerInfo[] {
    const out: PeerInfo[] = []
    for (const contact of this.running().closest(target, n)) {
      if (contact.addresses.length > 0) out.push({ id: contact.id, addresses: contact.addresses })
    }
    return out
  }

  /**
   * Up to `n` contacts of bucket `bucket` (ids sharing exactly `bucket` leading bits with this
   * node's) that others can dial, most recently seen first, those with no failed request first.
   */
  bucketPeers(bucket: number, n: number): PeerInfo[] {
    const contacts = this.running().inBucket(bucket).reverse()
    contacts.sort((a, b) => a.failures - b.failures) // stable: most recently seen first within each count
    const out: PeerInfo[] = []
    for (const contact of contacts) {
      if (out.length >= n) break
      if (contact.addresses.length > 0) out.push({ id: contact.id, addresses: contact.addresses })
    }
    return out
  }

  /**
   * Stores `value` under `key` on the k closest nodes. Mutable (the default): the record goes
   * under this node's own key for `key` (SHA-256(tag ‖ public key ‖ SHA-256(key)), returned as
   * `key`), signed with a sequence number above any it finds there, so it replaces older
   * versions; readers elsewhere pass this node's public key as `owner`. Immutable: `key` must
   * be SHA-256(value) (see putImmutable). This node keeps what it put (to republish it) within
   * maxPublishedBytes; past that, put rejects with DHT_QUOTA_EXCEEDED.
   */
  async put(key: Uint8Array | string, value: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    const isMutable = options.mutable ?? true
    checkValue(value, isMutable ? MAX_MUTABLE_VALUE_BYTES : undefined)
    const ttlMs = options.ttlMs === undefined ? this.options.recordTtlMs : checkTtl(options.ttlMs)
    if (!isMutable) {
      const dhtKey = checkId('key', key)
      if (!bytesEqual(dhtKey, immutableKeyOf(value))) {
        throw new DhtError('DHT_INVALID_ARGUMENT', 'an immutable record\'s key must be the SHA-256 of its value; use putImmutable(value)')
      }
      const minStoredAt = checkMinStoredAt(options.minStoredAt)
      const record = buildImmutableRecord(value, ttlMs)
      const found = await this.runLookup(record.key, 'node', undefined, options.signal)
      return requireStores(await this.publish(record, found, options.republish ?? true), minStoredAt)
    }
    const userKey = checkUserKey(key)
    const minStoredAt = checkMinStoredAt(options.minStoredAt)
    const own = this.network.identity.publicKey
    const dhtKey = mutableKeyOf(own, userKey)
    let highest = -1n
    const mine = this.ownCopy(dhtKey)
    if (mine?.kind === 'mutable') highest = mine.seq
    const found = await this.runLookup(dhtKey, 'value', async (record) => {
      if (record.kind === 'mutable' && bytesEqual(record.publicKey, own) && record.seq > highest) highest = record.seq
      return false
    }, options.signal)
    const record = await buildMutableRecord(this.network.identity, userKey, value, highest + 1n, ttlMs, Math.floor(this.clock.now()))
    this.running()
    if (options.signal?.aborted === true) throw abortReason(options.signal)
    return requireStores(await this.publish(record, found, options.republish ?? true), minStoredAt)
  }

  /** Stores an immutable value; resolves with its key, SHA-256(value). */
  async putImmutable(value: Uint8Array, options: Omit<PutOptions, 'mutable'> = {}): Promise<Uint8Array> {
    checkValue(value)
    const result = await this.put(immutableKeyOf(value), value, { ...options, mutable: false })
    return result.key
  }

  /** Stops republishing the record put under `key` (it expires with its TTL). */
  unpublish(key: Uint8Array | string, options: { mutable?: boolean } = {}): boolean {
    const dhtKey = (options.mutable ?? true) ? mutableKeyOf(this.network.identity.publicKey, checkUserKey(key)) : checkId('key', key)
    return this.forgetPublished(toHex(dhtKey))
  }

  /**
   * The value under `key`, or undefined. Mutable (the default): the application value of the
   * valid record with the highest seq that `options.owner` (default: this node) put under `key`.
   */
  async get(key: Uint8Array | string, options: GetOptions = {}): Promise<Uint8Array | undefined> {
    const record = await this.getRecord(key, options)
    if (record === undefined) return undefined
    return record.kind === 'mutable' ? mutableValueOf(record) : record.value
  }

  /** get() for an immutable key (the SHA-256 of the value, as putImmutable returned it). */
  getImmutable(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.get(key, { mutable: false })
  }

  /**
   * The verified record under `key`, or undefined. A mutable record is returned as on the wire:
   * its value opens with the 32-byte user key hash (mutableValueOf strips it). For a mutable
   * key the lookup never stops at the first holder: it asks every one of the k closest that
   * answers, takes the highest seq among their live, validly signed records (this node's own
   * copy included), and pushes it to the holders that answered with an older one.
   */
  async getRecord(key: Uint8Array | string, options: GetOptions = {}): Promise<DhtRecord | undefined> {
    const isMutable = options.mutable ?? true
    const owner = options.owner === undefined ? this.network.identity.publicKey : checkId('owner', options.owner)
    const dhtKey = isMutable ? mutableKeyOf(owner, checkUserKey(key)) : checkId('key', key)
    const local = this.store.get(dhtKey, this.clock.now())?.record ?? this.ownCopy(dhtKey)
    if (!isMutable) {
      if (local?.kind === 'immutable') return local
      let found: DhtRecord | undefined
      await this.runLookup(dhtKey, 'value', async (record) => {
        if (record.kind !== 'immutable') return false
        found = record
        return true
      }, options.signal).catch(unlessAlone)
      return found
    }
    let best: MutableRecord | undefined
    const consider = (record: DhtRecord) => {
      // The key binds the owner already (checkRecord); the owner check stays as defense.
      if (record.kind !== 'mutable' || !bytesEqual(record.publicKey, owner) || !bytesEqual(record.key, dhtKey)) return
      if (best === undefined || record.seq > best.seq) best = record
    }
    if (local !== undefined) consider(local)
    const seqOf = new Map<string, { peer: LookupPeer; record: MutableRecord }>()
    await this.runLookup(dhtKey, 'value', async (record, from) => {
      consider(record)
      if (record.kind === 'mutable') seqOf.set(from.key, { peer: from, record })
      return false
    }, options.signal).catch(unlessAlone)
    if (best !== undefined) this.repairStale(best, seqOf.values())
    return best
  }

  /**
   * Read repair: peers that returned an older version of `best` (same owner, lower seq) are
   * sent the newer one, so a node that missed an update catches up without waiting for the
   * owner's republish. Fire and forget: failures are the next republish's business.
   */
  private repairStale(best: MutableRecord, answers: Iterable<{ peer: LookupPeer; record: MutableRecord }>): void {
    const rpc = this.rpc
    if (rpc === undefined || !this.isRunning) return
    for (const { peer, record } of answers) {
      if (record.seq >= best.seq || !bytesEqual(record.publicKey, best.publicKey)) continue
      this.readRepairs++
      rpc.request<StoreMessage>(peer, { type: 'store', record: best }).catch(ignoreBackgroundFailure)
    }
  }

  stats(): DhtStats {
    const histogram = Array.from(this.hopHistogram, (n) => n ?? 0)
    let total = 0
    let count = 0
    for (let hop = 0; hop < histogram.length; hop++) {
      total += hop * histogram[hop]
      count += histogram[hop]
    }
    const rpc = this.rpc?.counters
    const contactCounters = this.contacts?.counters
    return {
      isRunning: this.isRunning,
      contacts: this.contacts?.size ?? 0,
      records: this.store.size,
      storedBytes: this.store.bytes,
      quotaBytes: this.options.quotaBytes,
      published: this.published.size,
      lookups: this.lookups,
      hops: { count, mean: count === 0 ? 0 : total / count, max: histogram.length === 0 ? 0 : histogram.length - 1, histogram },
      requestsSent: rpc?.requestsSent ?? 0,
      requestTimeouts: rpc?.requestTimeouts ?? 0,
      requestsMoved: rpc?.requestsMoved ?? 0,
      requestsLostToClose: rpc?.requestsLostToClose ?? 0,
      connectFailures: rpc?.connectFailures ?? 0,
      pendingRequests: this.rpc?.pendingCount ?? 0,
      storesAccepted: this.storesAccepted,
      storesRefused: { ...this.storesRefused },
      recordsEvicted: this.store.evicted,
      evicted: contactCounters?.evicted ?? 0,
      probesKept: contactCounters?.probesKept ?? 0,
      invalidRecordsSeen: this.invalidRecordsSeen,
      expiredRecordsSeen: this.expiredRecordsSeen,
      readRepairs: this.readRepairs,
    }
  }

  /** Internal, for tests and the simulator (src/node/sizes.ts): entries of each long-lived structure. */
  sizes(): Record<string, number> {
    return {
      published: this.published.size,
      records: this.store.size,
      storers: this.store.storerCount,
      timers: this.timers.size,
      hopHistogram: this.hopHistogram.length,
      storesRefusedReasons: Object.keys(this.storesRefused).length,
      ...(this.contacts?.sizes() ?? {}),
      ...(this.rpc?.sizes() ?? {}),
    }
  }

  // ---------------------------------------------------------------------------------------
  // Lookups and stores

  private async runLookup(
    target: Uint8Array,
    mode: Mode,
    onRecord?: (record: DhtRecord, from: LookupPeer) => Promise<boolean>,
    signal?: AbortSignal,
  ): Promise<LookupResult> {
    const contacts = this.running()
    const table = contacts.table
    table.touch(Math.min(table.bucketOf(target), table.bucketCount - 1), this.clock.now())
    let seeds: { id: Uint8Array; addresses: readonly string[] }[] = contacts.closest(target, this.options.k)
    if (seeds.length === 0) seeds = this.network.peers().map((s) => ({ id: s.peerId, addresses: s.listenAddresses }))
    if (seeds.length === 0) throw new DhtError('DHT_NO_PEERS', 'the routing table is empty and no peer is connected: bootstrap first')
    const result = await iterativeLookup({
      target,
      localId: this.localId,
      k: this.options.k,
      alpha: this.options.alpha,
      seeds,
      query: (peer) => this.query(peer, target, mode),
      onRecord: onRecord === undefined ? undefined : async (record, from) => {
        const reason = await checkRecord(record, this.verify, target, this.recordClock())
        if (reason === StoreRejectReason.EXPIRED || reason === StoreRejectReason.FUTURE_TIMESTAMP) {
          // Its holder's clock may differ from ours: ignored, not held against it.
          this.expiredRecordsSeen++
          return false
        }
        if (reason !== StoreRejectReason.NONE) {
          this.invalidRecordsSeen++
          this.network.peer(from.id)?.penalize('bad-signature')
          return false
        }
        return onRecord(record, from)
      },
      shouldAbort: () => (this.isRunning ? undefined : new DhtError('DHT_NOT_RUNNING', 'the DHT was stopped during a lookup')),
      signal,
    })
    this.lookups++
    this.hopHistogram.length = Math.max(this.hopHistogram.length, result.hops + 1)
    this.hopHistogram[result.hops] = (this.hopHistogram[result.hops] ?? 0) + 1
    return result
  }

  private async query(peer: LookupPeer, target: Uint8Array, mode: Mode): Promise<LookupReply> {
    const rpc = this.rpcOrThrow()
    try {
      if (mode === 'node') {
        const { session, reply } = await rpc.request<FindNodeMessage>(peer, { type: 'findNode', target })
        this.sawResponder(session, peer)
        return reply
      }
      const { session, reply } = await rpc.request<FindValueMessage>(peer, { type: 'findValue', key: target })
      this.sawResponder(session, peer)
      return reply
    } catch (error) {
      // A session closed under the request says nothing about the peer (a duplicate connection replaced it).
      if (!isSessionLoss(error)) this.contacts?.markFailed(peer.id)
      throw error
    }
  }

  private sawResponder(session: PeerSession, peer: LookupPeer): void {
    this.contacts?.observeSession(session, session.listenAddresses.length > 0 ? session.listenAddresses : peer.addresses)
  }

  /** Stores `record` on the k closest a lookup found (and here, when this node is one of them). */
  private async publish(record: DhtRecord, found: LookupResult, republish: boolean): Promise<PutResult> {
    const rpc = this.rpcOrThrow()
    // Checked before any store goes out: a record this node could not keep is not spread either.
    const keyHex = toHex(record.key)
    const costBytes = recordCostBytes(record)
    const heldBytes = this.published.get(keyHex)?.costBytes ?? 0
    if (this.publishedBytes - heldBytes + costBytes > this.options.maxPublishedBytes) {
      throw new DhtError(
        'DHT_QUOTA_EXCEEDED',
        `this node keeps ${this.publishedBytes} bytes of records it put; ${costBytes} more would pass maxPublishedBytes (${this.options.maxPublishedBytes}): unpublish() some, or put with republish: false and a shorter ttlMs`,
      )
    }
    const refused: Record<string, number> = {}
    const results = await Promise.all(
      found.closest.map((peer) =>
        rpc.request<StoreMessage>(peer, { type: 'store', record }).then(
          ({ reply }) => (reply.ok ? StoreRejectReason.NONE : reply.reason),
          () => -1,
        ),
      ),
    )
    let storedAt = 0
    for (const reason of results) {
      if (reason === StoreRejectReason.NONE) storedAt++
      else {
        const name = reason < 0 ? 'unreachable' : rejectReasonName(reason)
        refused[name] = (refused[name] ?? 0) + 1
      }
    }
    const isAmongClosest = isAmongKClosest(record.key, this.localId, found.closest, this.options.k)
    const storedLocally = isAmongClosest && this.store.put(record, LOCAL_STORER, this.clock.now(), { isResponsible: true }).ok
    if (storedAt === 0 && !storedLocally) {
      const reasons = Object.entries(refused).map(([name, n]) => `${n} ${name}`).join(', ')
      throw new DhtError('DHT_STORE_FAILED', `no node stored the record (${found.closest.length} asked${reasons === '' ? '' : `: ${reasons}`})`)
    }
    // Kept for republish (and as this node's own copy for get()) only once someone holds it.
    this.forgetPublished(keyHex)
    this.published.set(keyHex, { record, republish, expiresAtMs: this.store.expiryOf(record, this.clock.now()), costBytes })
    this.publishedBytes += costBytes
    return { key: record.key, storedAt, storedLocally, refused, seq: record.kind === 'mutable' ? record.seq : undefined, hops: found.hops }
  }

  // ---------------------------------------------------------------------------------------
  // Answering peers

  private onMessage(session: PeerSession, message: DecodedMessage): void {
    if (!this.isRunning) return
    switch (message.type) {
      case 'findNode':
        this.contacts?.observeSession(session)
        session.send({ type: 'nodes', requestId: message.requestId, peers: this.peerInfos(message.target, session.peerId) }, PRIORITY_DHT)
        return
      case 'findValue': {
        this.contacts?.observeSession(session)
        const record = this.store.get(message.key, this.clock.now())?.record
        if (record !== undefined) this.store.noteRead(message.key, this.clock.now())
        const peers = this.peerInfos(message.key, session.peerId)
        session.send(record === undefined ? { type: 'value', requestId: message.requestId, peers } : { type: 'value', requestId: message.requestId, record, peers }, PRIORITY_DHT)
        return
      }
      case 'store':
        this.contacts?.observeSession(session)
        void this.handleStore(session, message)
        return
      case 'nodes':
      case 'value':
      case 'storeResult':
        this.rpc?.handleReply(session, message)
        return
      default:
        // ping/pong belong to the peers layer (session keepalive); other layers' messages are not ours.
        return
    }
  }

  private async handleStore(session: PeerSession, message: StoreMessage): Promise<void> {
    let reason = await checkRecord(message.record, this.verify, undefined, this.recordClock())
    if (!this.isRunning) return
    if (reason === StoreRejectReason.BAD_SIGNATURE) session.penalize('bad-signature')
    if (reason === StoreRejectReason.NONE) {
      const outcome = this.store.put(message.record, session.peerKey, this.clock.now(), {
        prefix: session.prefix,
        isResponsible: this.isResponsibleFor(message.record.key),
      })
      reason = outcome.ok ? StoreRejectReason.NONE : outcome.reason
    }
    if (reason === StoreRejectReason.NONE) this.storesAccepted++
    else {
      const name = rejectReasonName(reason)
      this.storesRefused[name] = (this.storesRefused[name] ?? 0) + 1
    }
    session.send({ type: 'storeResult', requestId: message.requestId, ok: reason === StoreRejectReason.NONE, reason }, PRIORITY_DHT)
  }

  /** True when fewer than k of this node's contacts are nearer to `key` than it is: one of the k closest it knows. */
  private isResponsibleFor(key: Uint8Array): boolean {
    return isAmongKClosest(key, this.localId, this.contacts?.closest(key, this.options.k) ?? [], this.options.k)
  }

  /** The contacts nearest `target` that others can dial, as a reply names them. */
  private peerInfos(target: Uint8Array, requester: Uint8Array): PeerInfo[] {
    const contacts = this.contacts
    if (contacts === undefined) return []
    const out: PeerInfo[] = []
    for (const contact of contacts.closest(target, this.options.k + 1)) {
      if (contact.addresses.length === 0 || bytesEqual(contact.id, requester)) continue
      out.push({ id: contact.id, addresses: contact.addresses.slice(0, MAX_ADDRESSES_PER_PEER) })
      if (out.length === this.options.k) break
    }
    return out
  }

  // ---------------------------------------------------------------------------------------
  // Maintenance

  /** Liveness probe of a contact before it is evicted: a FIND_NODE for its own id, answered by its DHT. */
  private probe(contact: { id: Uint8Array; addresses: readonly string[] }): Promise<boolean> {
    const rpc = this.rpc
    if (rpc === undefined || !this.isRunning) return Promise.resolve(false)
    return rpc.request<FindNodeMessage>(contact, { type: 'findNode', target: contact.id }).then(
      () => true,
      () => false,
    )
  }

  /** The record this node put under `key`, while it lives. */
  private ownCopy(key: Uint8Array): DhtRecord | undefined {
    const own = this.published.get(toHex(key))
    return own !== undefined && own.expiresAtMs > this.clock.now() ? own.record : undefined
  }

  private sweep(): void {
    const now = this.clock.now()
    this.store.sweep(now)
    for (const [keyHex, own] of this.published) if (!own.republish && own.expiresAtMs <= now) this.forgetPublished(keyHex)
  }

  private forgetPublished(keyHex: string): boolean {
    const own = this.published.get(keyHex)
    if (own === undefined) return false
    this.published.delete(keyHex)
    this.publishedBytes -= own.costBytes
    return true
  }

  private refreshStaleBuckets(): void {
    const contacts = this.contacts
    if (contacts === undefined) return
    for (const bucket of contacts.table.staleBuckets(this.clock.now(), this.options.refreshMs)) {
      this.runLookup(randomIdInBucket(this.localId, bucket, this.network.random), 'node').catch(ignoreBackgroundFailure)
    }
  }

  /**
   * Re-stores every record this node put with republish on. A mutable one is signed afresh
   * first (same seq and value, signed now), since its lifetime counts from its signed time.
   */
  private republishAll(): void {
    for (const { record, republish } of [...this.published.values()]) {
      if (!republish) continue
      const fresh = record.kind === 'mutable'
        ? signMutableRecord(this.network.identity, record.key, record.value, record.seq, record.ttlMs, Math.floor(this.clock.now()))
        : Promise.resolve(record)
      fresh
        .then(async (current) => this.publish(current, await this.runLookup(current.key, 'node'), true))
        .catch(ignoreBackgroundFailure)
    }
  }

  private recordClock(): RecordClock {
    return { nowMs: this.clock.now(), maxClockSkewMs: this.options.maxClockSkewMs }
  }

  /** Runs `task` every `periodMs` until stop(). */
  /**
   * Runs `task` about every `periodMs`: each wait is drawn from 0.75-1.25 x the period, so nodes
   * started together (a restart, a simulation) do not refresh and republish in lockstep.
   */
  private every(name: string, periodMs: number, task: () => void): void {
    const arm = () => {
      const waitMs = Math.max(1, Math.round(periodMs * (0.75 + 0.5 * this.network.random.nextFloat())))
      this.timers.set(
        name,
        this.clock.setTimeout(() => {
          if (!this.isRunning) return
          arm()
          task()
        }, waitMs),
      )
    }
    arm()
  }

  private running(): Contacts {
    if (this.state !== 'running' || this.contacts === undefined) {
      throw new DhtError('DHT_NOT_RUNNING', this.state === 'new' ? 'the DHT is not started: call start() first' : 'the DHT is stopped')
    }
    return this.contacts
  }

  private rpcOrThrow(): Rpc {
    this.running()
    return this.rpc as Rpc
  }
}

/** A background refresh or republish failed (no peers, stopped, nobody stored): the next round retries. */
function ignoreBackgroundFailure(error: unknown): void {
  if (!(error instanceof DhtError)) throw error
}

/** A get on a node with no peer at all answers from what it holds itself. */
function unlessAlone(error: unknown): undefined {
  if (error instanceof DhtError && error.code === 'DHT_NO_PEERS') return undefined
  throw error
}

/** True when `local` would be among the k closest to `key`, given the closest others known (nearest first). */
function isAmongKClosest(key: Uint8Array, local: Uint8Array, closest: readonly { id: Uint8Array }[], k: number): boolean {
  const farthest = closest[closest.length - 1]
  return closest.length < k || farthest === undefined || compareToLocal(key, local, farthest.id)
}

/** True when `local` is nearer to `key` than `other`. */
function compareToLocal(key: Uint8Array, local: Uint8Array, other: Uint8Array): boolean {
  for (let i = 0; i < key.length; i++) {
    const a = local[i] ^ key[i]
    const b = other[i] ^ key[i]
    if (a !== b) return a < b
  }
  return false
}

function checkMinStoredAt(value: unknown): number {
  if (value === undefined) return 0
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 20) {
    throw new DhtError('DHT_INVALID_ARGUMENT', `minStoredAt must be an integer from 0 to 20, got ${describeValue(value)}`)
  }
  return value
}

/** The put's result, or DHT_STORE_FAILED when fewer remote nodes than asked stored it. */
function requireStores(result: PutResult, minStoredAt: number): PutResult {
  if (result.storedAt >= minStoredAt) return result
  const refused = Object.entries(result.refused).map(([reason, count]) => `${reason} ${count}`).join(', ')
  throw new DhtError('DHT_STORE_FAILED', `stored at ${result.storedAt} remote nodes, fewer than minStoredAt ${minStoredAt}${refused === '' ? '' : ` (refused: ${refused})`}; this node ${result.storedLocally ? 'keeps a copy' : 'keeps none'}`)
}
