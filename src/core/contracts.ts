// What the four core structures are, independent of backend. The WebAssembly facades
// (src/core/*.ts) and the pure-TypeScript twins (src/core/twin/*.ts) both implement these
// interfaces with identical semantics; differential tests hold them to it.
//
// Conventions shared by all four:
// - Time comes from the caller as `nowMs` (finite, >= 0); a time earlier than one already
//   seen is treated as that later time, so a structure's clock never runs backwards.
// - Bad arguments throw CoreError with a code; using a structure after free() throws
//   CoreError('CORE_FREED').
// - Peer handles and queue slots are unsigned 32-bit integers chosen by the caller.

export type Backend = 'wasm' | 'js'

// ---------------------------------------------------------------------------------------
// DedupSet

export interface DedupSetOptions {
  /** Most keys held at once, 1 to 16,777,215. When full, the oldest key is forgotten. */
  capacity: number
  /** A key is forgotten once `ttlMs` has passed since it was added; 1 to 2**31 - 1. */
  ttlMs: number
}

/**
 * A set of unsigned 64-bit keys (message ids) with expiry and FIFO eviction, used to
 * drop duplicate messages. Expiry is exact: a key added at time t is present while
 * now - t < ttlMs. Times are truncated to whole milliseconds.
 */
export interface DedupSet {
  readonly capacity: number
  readonly ttlMs: number
  /** Live keys as of the latest time the set was given. */
  readonly size: number
  /** Adds `key`; true when it was not present (the message is new). */
  add(key: bigint, nowMs: number): boolean
  has(key: bigint, nowMs: number): boolean
  /**
   * Adds every key in order, as repeated add() would. Returns how many were new; when
   * `out` is given, out[i] is 1 where keys[i] was new and 0 where it was a duplicate.
   */
  addBatch(keys: BigUint64Array, nowMs: number, out?: Uint8Array): number
  /** Drops the keys that have expired by `nowMs`. */
  expire(nowMs: number): void
  clear(): void
  /** Bytes of memory the set holds (tables included). */
  readonly byteLength: number
  free(): void
}

// ---------------------------------------------------------------------------------------
// RoutingTable

export interface RoutingTableOptions {
  /** The local node id; its length (1 to 32 bytes) fixes the length of every id. */
  localId: Uint8Array
  /** Contacts per bucket, 1 to 256. Default 20. */
  k?: number
}

/** What add() did. `full` carries the bucket's least-recently-seen contact to ping. */
export type RoutingAddResult =
  | 'added'
  | 'updated'
  | { readonly full: true; readonly bucket: number; readonly leastRecent: number }

/**
 * A Kademlia routing table: one bucket per common-prefix length with the local id, each
 * holding up to k contacts ordered from least to most recently seen. A contact is an id and
 * a peer handle. Ids must have the local id's length; the local id itself is refused.
 */
export interface RoutingTable {
  readonly localId: Uint8Array
  readonly idBytes: number
  readonly k: number
  /** Number of buckets: idBytes * 8. Bucket i holds ids sharing exactly i leading bits with localId. */
  readonly bucketCount: number
  readonly size: number
  /**
   * Adds or refreshes a contact. An existing id moves to the most-recent end and takes the
   * new peer handle ('updated'). A full bucket is left unchanged and reported with its
   * least-recently-seen contact, so the caller can ping it before evicting it. When `nowMs`
   * is given the bucket counts as touched at that time.
   */
  add(id: Uint8Array, peer: number, nowMs?: number): RoutingAddResult
  /**
   * add() for many contacts: `ids` holds them back to back (idBytes each), `peers[i]` is the
   * handle of the i-th. Returns how many were added. When `out` is given, out[i] is what
   * happened to the i-th: 0 added, 1 updated, 2 refused as its bucket was full (use add()
   * where the least-recent contact is wanted), 3 skipped as the local id (a batch from the
   * network may well hold it, so it is not an error here).
   */
  addBatch(ids: Uint8Array, peers: Uint32Array, nowMs?: number, out?: Uint8Array): number
  /** Removes a contact; returns its peer handle, or -1 when absent. */
  remove(id: Uint8Array): number
  has(id: Uint8Array): boolean
  /** The peer handle of `id`, or -1 when absent. */
  get(id: Uint8Array): number
  /** The bucket index of `id`: the number of leading bits it shares with localId (bucketCount for localId itself). */
  bucketOf(id: Uint8Array): number
  /**
   * Up to n peer handles, nearest to `target` by XOR distance first (exact order). When
   * `out` is given the handles are written into it and a subarray of it is returned.
   */
  closest(target: Uint8Array, n: number, out?: Uint32Array): Uint32Array
  /** The peer handles in bucket `index`, least recently seen first. */
  bucketPeers(index: number): Uint32Array
  /** The ids in bucket `index`, least recently seen first (copies). */
  bucketIds(index: number): Uint8Array[]
  /** Marks bucket `index` as touched (a lookup for an id in its range happened). */
  touch(index: number, nowMs: number): void
  /** Indexes of the non-empty buckets not touched since nowMs - olderThanMs, ascending. */
  staleBuckets(nowMs: number, olderThanMs: number): number[]
  /** Removes every contact and forgets when buckets were touched. */
  clear(): void
  /** Bytes of memory the table holds. */
  readonly byteLength: number
  free(): void
}

// ---------------------------------------------------------------------------------------
// PriorityQueue

export interface PriorityQueueOptions {
  /** Most items queued at once, 1 to 16,777,215. Default 10,000. */
  capacity?: number
  /** Priority levels, 1 to 32; 0 is served first. Default 4. */
  levels?: number
  /** An item that has waited this long is served ahead of newer higher-priority items. Default 1,000. */
  agingMs?: number
}

/**
 * A bounded multi-level FIFO of slot numbers (payloads stay in a TypeScript array indexed by
 * slot). pop() serves, among the items that have waited at least agingMs, the one that has
 * waited longest; when none has, the oldest item of the highest priority.
 *
 * Starvation bound: an item pushed at t is served by the (K + 1)-th pop at or after
 * t + agingMs, where K counts the items still queued then that are older than it (or as old
 * at a higher priority). While the rest of the traffic is served within agingMs, K is 0: the
 * item leaves on the first pop at or after t + agingMs, however much high-priority load arrives.
 */
export interface PriorityQueue {
  readonly capacity: number
  readonly levels: number
  readonly agingMs: number
  readonly size: number
  /** Queues `slot` at `priority`; false when the queue is full (nothing is queued). */
  push(slot: number, priority: number, nowMs: number): boolean
  /** The next slot, or -1 when empty. */
  pop(nowMs: number): number
  /** Pops up to out.length slots into `out` in pop order; returns how many. */
  popBatch(nowMs: number, out: Uint32Array): number
  /** Items queued at `priority`. */
  sizeAt(priority: number): number
  clear(): void
  readonly byteLength: number
  free(): void
}

// ---------------------------------------------------------------------------------------
// RateLimiter

export interface RateLimiterOptions {
  /** Tokens added per second to each peer's bucket; > 0 and <= 1e9. */
  ratePerSec: number
  /** Bucket size: tokens a fresh or idle peer can spend at once; >= 1 and <= 1e9. */
  burst: number
  /** Peer handles 0 to peers - 1 are accepted; 1 to 16,777,216. Default 1,024. */
  peers?: number
}

/** A token bucket per peer handle. A peer never seen, or forgotten, starts with a full bucket. */
export interface RateLimiter {
  readonly ratePerSec: number
  readonly burst: number
  readonly peers: number
  /**
   * Takes `cost` tokens (finite, >= 0, fractions allowed) from `peer`'s bucket; false (and
   * nothing taken) when too few. A cost above `burst` can never succeed.
   */
  tryTake(peer: number, nowMs: number, cost?: number): boolean
  /** tryTake for each peer in order with the same cost; returns how many succeeded. */
  tryTakeBatch(peers: Uint32Array, nowMs: number, out?: Uint8Array, cost?: number): number
  /** Tokens `peer` has at `nowMs` (after refill), without taking any. */
  tokens(peer: number, nowMs: number): number
  /** Resets `peer` to a full bucket. */
  forget(peer: number): void
  /**
   * Bytes held now: a 128-byte header and 16 bytes a bucket, for buckets up to the highest
   * peer taken from (16 at first, doubling, never more than `peers`); 0 once freed. Hand out
   * peer handles from 0 up and a limiter sized for many holds only what it uses.
   */
  readonly byteLength: number
  free(): void
}

// ---------------------------------------------------------------------------------------

/** One backend's factory of the four structures. */
// ---------------------------------------------------------------------------------------
// KeyedHasher

/**
 * 64-bit keys for dedup sets under a node's secret: SipHash-2-4 of (kind ‖ 32-byte id ‖ value
 * as u64 big-endian). A PRF, so whoever does not know the secret cannot make two inputs
 * collide in the node's sets (hash flooding); the keys never leave the node.
 */
export interface KeyedHasher {
  /** `kind` 0-255 keeps different uses apart; `id` is 32 bytes; `value` a u64. */
  keyOf(kind: number, id: Uint8Array, value: bigint): bigint
}

export interface Core {
  readonly backend: Backend
  createDedupSet(options: DedupSetOptions): DedupSet
  createRoutingTable(options: RoutingTableOptions): RoutingTable
  createPriorityQueue(options?: PriorityQueueOptions): PriorityQueue
  createRateLimiter(options: RateLimiterOptions): RateLimiter
  /** A hasher under a 16-byte secret `key` (CORE_INVALID_OPTION otherwise). */
  createKeyedHasher(key: Uint8Array): KeyedHasher
}
