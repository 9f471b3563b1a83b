// RoutingTable: a Kademlia table of contacts (id, peer handle) in one bucket per common-prefix
// length with the local id, each bucket holding at most k contacts from least to most
// recently seen.
//
// Ids of idBytes bytes (1 to 32) are held as W = ceil(idBytes / 8) u64 words whose values are
// the big-endian reading of the id, zero-padded on the right, so XOR distances compare as
// plain unsigned words. The bucket of an id is the count of leading zero bits of its XOR with
// the local id.
//
// A bucket's storage (k ids of W words, then k u32 peers) is allocated on its first contact:
// with random ids only the first ~log2(n) buckets ever fill, so a 256-bucket table of 32-byte
// ids stays small.
//
// closest() needs no full sort. For a target in bucket b, a contact in bucket i < b differs
// from the target first at bit i, one in any bucket i > b first at bit b, and one in bucket b
// after bit b. So the distance bands are: bucket b, then every bucket above b together, then
// buckets b-1 down to 0 one at a time; only a band is ever sorted, and only until n are found.
//
// Ids cross the boundary through the scratch input region as W * 8 bytes (zero-padded by the
// caller); results come back through the output region.

import { allocSlot, allocZeroed, releaseSlot } from './slots'
import { inputRegion, outputRegion } from './scratch'

// Header layout (offsets in the 128-byte slot).
const ID_BYTES = 0 //        u32
const WORDS = 4 //           u32 W
const K = 8 //               u32 contacts per bucket
const BUCKET_COUNT = 12 //   u32 idBytes * 8
const SIZE = 16 //           u32 contacts in the table
const BUCKETS = 20 //        usize -> bucket records[BUCKET_COUNT]
const LOCAL = 24 //          usize -> u64 local id words[W]
const CANDIDATES = 28 //     usize -> closest() candidates (see below), grown on demand
const CANDIDATE_CAP = 32 //  u32 candidates the buffer holds
const ALLOCATED = 40 //      u32 buckets with storage
const LAST_NOW = 48 //       f64 latest time seen: the table's clock never runs backwards
const RESULTS = 56 //        usize -> u32 results of closest() too many for the output region
const RESULT_CAP = 60 //     u32

const OUTPUT_HANDLES: u32 = 16384

// Bucket record: u32 count, usize storage (0 until the first contact), f64 last touched.
const RECORD_BYTES: usize = 16
const R_COUNT = 0
const R_STORAGE = 4
const R_TOUCHED = 8

// Results of routing_add.
const ADDED = 0
const UPDATED = 1
const FULL = 2
const SELF = 3

// Bands at most this long are sorted by insertion; longer ones by heapsort.
const INSERTION_SORT_MAX: u32 = 24

// @ts-ignore: decorator
@inline function words(table: usize): u32 {
  return load<u32>(table + WORDS)
}

// @ts-ignore: decorator
@inline function record(table: usize, bucket: u32): usize {
  return load<usize>(table + BUCKETS) + <usize>bucket * RECORD_BYTES
}

// A bucket's storage: a one-byte tag per contact (a hash of the id's first word; k rounded
// up to 8 bytes), the first words of its ids, the remaining W - 1 words of each id, the peers.
// A lookup compares eight tags per step (SWAR) and reads an id only when its tag matches,
// so the usual lookup, for an id not in a full bucket, reads 24 bytes instead of 20 ids.

// @ts-ignore: decorator
@inline function tagBytes(table: usize): usize {
  return (<usize>load<u32>(table + K) + 7) & ~7
}

// @ts-ignore: decorator
@inline function tagOf(first: u64): u8 {
  return <u8>((first * 0x9e3779b97f4a7c15) >> 56)
}

// @ts-ignore: decorator
@inline function firstsOf(table: usize, storage: usize): usize {
  return storage + tagBytes(table)
}

// @ts-ignore: decorator
@inline function restOf(table: usize, storage: usize): usize {
  return firstsOf(table, storage) + (<usize>load<u32>(table + K) << 3)
}

// @ts-ignore: decorator
@inline function peersOf(table: usize, storage: usize): usize {
  return firstsOf(table, storage) + (<usize>load<u32>(table + K) * <usize>words(table) << 3)
}

/** Writes contact `at` of the bucket: the id's words at `id` and its peer. */
function writeContact(table: usize, storage: usize, at: u32, id: usize, peer: u32): void {
  const restBytes = (<usize>words(table) - 1) << 3
  store<u8>(storage + <usize>at, tagOf(load<u64>(id)))
  store<u64>(firstsOf(table, storage) + (<usize>at << 3), load<u64>(id))
  memory.copy(restOf(table, storage) + <usize>at * restBytes, id + 8, restBytes)
  store<u32>(peersOf(table, storage) + (<usize>at << 2), peer)
}

/** Removes contact `at` of a bucket holding `count`, shifting the more recent ones down. */
function removeContact(table: usize, storage: usize, count: u32, at: u32): void {
  const tail = <usize>(count - 1 - at)
  if (tail == 0) return
  const restBytes = (<usize>words(table) - 1) << 3
  memory.copy(storage + <usize>at, storage + <usize>at + 1, tail)
  const firsts = firstsOf(table, storage) + (<usize>at << 3)
  memory.copy(firsts, firsts + 8, tail << 3)
  const rest = restOf(table, storage) + <usize>at * restBytes
  memory.copy(rest, rest + restBytes, tail * restBytes)
  const peers = peersOf(table, storage) + (<usize>at << 2)
  memory.copy(peers, peers + 4, tail << 2)
}

function storageBytes(table: usize): usize {
  return tagBytes(table) + <usize>load<u32>(table + K) * ((<usize>words(table) << 3) + 4)
}

/** Reads the id in the input region into words at `to`. */
function readId(table: usize, to: usize): void {
  const w = words(table)
  const from = inputRegion()
  for (let i: u32 = 0; i < w; i++) store<u64>(to + (<usize>i << 3), bswap<u64>(load<u64>(from + (<usize>i << 3))))
}

// The id being worked on, read from the input region once per call.
const current = memory.data(32, 8)

function loadCurrent(table: usize): usize {
  const at = current
  readId(table, at)
  return at
}

/** Leading bits `id` shares with the local id; BUCKET_COUNT when equal. */
function prefixLength(table: usize, id: usize): u32 {
  const w = words(table)
  const local = load<usize>(table + LOCAL)
  for (let i: u32 = 0; i < w; i++) {
    const x = load<u64>(id + (<usize>i << 3)) ^ load<u64>(local + (<usize>i << 3))
    if (x != 0) return i * 64 + <u32>clz<u64>(x)
  }
  return load<u32>(table + BUCKET_COUNT)
}

/** Whether the W - 1 words at `rest` equal the words of `id` after its first. */
function equalRest(rest: usize, id: usize, w: u32): bool {
  for (let i: u32 = 1; i < w; i++) {
    if (load<u64>(rest + (<usize>(i - 1) << 3)) != load<u64>(id + (<usize>i << 3))) return false
  }
  return true
}

/** Position of `id` in the bucket, or -1. */
function find(table: usize, rec: usize, id: usize): i32 {
  const storage = load<usize>(rec + R_STORAGE)
  if (storage == 0) return -1
  const count = load<u32>(rec + R_COUNT)
  const w = words(table)
  const restBytes = (<usize>w - 1) << 3
  const first = load<u64>(id)
  const firsts = firstsOf(table, storage)
  const pattern = <u64>tagOf(first) * 0x0101010101010101
  for (let group: u32 = 0; group < count; group += 8) {
    // Bytes equal to the tag become zero; the classic test flags every zero byte (and
    // sometimes a byte above one, which the full comparison below rejects).
    const x = load<u64>(storage + <usize>group) ^ pattern
    let zeros = (x - 0x0101010101010101) & ~x & 0x8080808080808080
    while (zeros != 0) {
      const i = group + (<u32>ctz<u64>(zeros) >> 3)
      if (i >= count) break
      if (load<u64>(firsts + (<usize>i << 3)) == first && equalRest(restOf(table, storage) + <usize>i * restBytes, id, w)) return <i32>i
      zeros &= zeros - 1
    }
  }
  return -1
}

function clampNow(table: usize, nowMs: f64): f64 {
  const last = load<f64>(table + LAST_NOW)
  if (nowMs > last) {
    store<f64>(table + LAST_NOW, nowMs)
    return nowMs
  }
  return last
}

export function routing_create(idBytes: u32, k: u32): usize {
  const table = allocSlot()
  const w = (idBytes + 7) >> 3
  const bucketCount = idBytes << 3
  store<u32>(table + ID_BYTES, idBytes)
  store<u32>(table + WORDS, w)
  store<u32>(table + K, k)
  store<u32>(table + BUCKET_COUNT, bucketCount)
  const buckets = allocZeroed(<usize>bucketCount * RECORD_BYTES)
  for (let b: u32 = 0; b < bucketCount; b++) store<f64>(buckets + <usize>b * RECORD_BYTES + R_TOUCHED, -Infinity)
  store<usize>(table + BUCKETS, buckets)
  const local = allocZeroed(<usize>w << 3)
  readId(table, local)
  store<usize>(table + LOCAL, local)
  store<f64>(table + LAST_NOW, 0)
  return table
}

function releaseBuckets(table: usize): void {
  const bucketCount = load<u32>(table + BUCKET_COUNT)
  for (let b: u32 = 0; b < bucketCount; b++) {
    const rec = record(table, b)
    const storage = load<usize>(rec + R_STORAGE)
    if (storage != 0) heap.free(storage)
    store<usize>(rec + R_STORAGE, 0)
    store<u32>(rec + R_COUNT, 0)
  }
  store<u32>(table + ALLOCATED, 0)
  store<u32>(table + SIZE, 0)
}

export function routing_free(table: usize): void {
  releaseBuckets(table)
  heap.free(load<usize>(table + BUCKETS))
  heap.free(load<usize>(table + LOCAL))
  const results = load<usize>(table + RESULTS)
  if (results != 0) heap.free(results)
  const candidates = load<usize>(table + CANDIDATES)
  if (candidates != 0) heap.free(candidates)
  releaseSlot(table)
}

export function routing_clear(table: usize): void {
  releaseBuckets(table)
  const bucketCount = load<u32>(table + BUCKET_COUNT)
  for (let b: u32 = 0; b < bucketCount; b++) store<f64>(record(table, b) + R_TOUCHED, -Infinity)
}

export function routing_size(table: usize): u32 {
  return load<u32>(table + SIZE)
}

export function routing_byte_length(table: usize): f64 {
  const w = <f64>words(table)
  const cap = <f64>load<u32>(table + CANDIDATE_CAP)
  return 128 + <f64>load<u32>(table + BUCKET_COUNT) * <f64>RECORD_BYTES + w * 8
    + <f64>load<u32>(table + ALLOCATED) * <f64>storageBytes(table) + cap * 16
    + <f64>load<u32>(table + RESULT_CAP) * 4
}

/**
 * Adds or refreshes the id in the input region. Returns ADDED, UPDATED, SELF, or FULL with
 * the bucket and its least-recently-seen peer in output u32[0] and u32[1]. A negative
 * `nowMs` means "no time given": the bucket is not touched.
 */
export function routing_add(table: usize, peer: u32, nowMs: f64): u32 {
  const result = addId(table, loadCurrent(table), peer, nowMs)
  if (result == FULL) {
    store<u32>(outputRegion(), fullBucket)
    store<u32>(outputRegion() + 4, fullLeastRecent)
  }
  return result
}

/**
 * routing_add for `count` ids back to back in the input region (W * 8 bytes each), their
 * peers following as u32s; each result goes to the output region as a byte. Returns how
 * many were added. The local id is skipped (SELF), not refused.
 */
export function routing_add_batch(table: usize, count: u32, nowMs: f64): u32 {
  const w = words(table)
  const stride = <usize>w << 3
  const input = inputRegion()
  const peers = input + <usize>count * stride
  const out = outputRegion()
  const id = current
  let added: u32 = 0
  for (let i: u32 = 0; i < count; i++) {
    const from = input + <usize>i * stride
    for (let j: u32 = 0; j < w; j++) store<u64>(id + (<usize>j << 3), bswap<u64>(load<u64>(from + (<usize>j << 3))))
    const result = addId(table, id, load<u32>(peers + (<usize>i << 2)), nowMs)
    store<u8>(out + <usize>i, <u8>result)
    if (result == ADDED) added++
  }
  return added
}

// Where a FULL result found its bucket and least-recently-seen peer.
let fullBucket: u32 = 0
let fullLeastRecent: u32 = 0

function addId(table: usize, id: usize, peer: u32, nowMs: f64): u32 {
  const bucket = prefixLength(table, id)
  if (bucket == load<u32>(table + BUCKET_COUNT)) return SELF
  const rec = record(table, bucket)
  if (nowMs >= 0) store<f64>(rec + R_TOUCHED, clampNow(table, nowMs))
  const k = load<u32>(table + K)
  const count = load<u32>(rec + R_COUNT)
  const found = find(table, rec, id)
  if (found >= 0) {
    // Move to the most-recent end, taking the new peer handle.
    const storage = load<usize>(rec + R_STORAGE)
    removeContact(table, storage, count, <u32>found)
    writeContact(table, storage, count - 1, id, peer)
    return UPDATED
  }
  if (count == k) {
    fullBucket = bucket
    fullLeastRecent = load<u32>(peersOf(table, load<usize>(rec + R_STORAGE)))
    return FULL
  }
  let storage = load<usize>(rec + R_STORAGE)
  if (storage == 0) {
    storage = heap.alloc(storageBytes(table))
    store<usize>(rec + R_STORAGE, storage)
    store<u32>(table + ALLOCATED, load<u32>(table + ALLOCATED) + 1)
  }
  writeContact(table, storage, count, id, peer)
  store<u32>(rec + R_COUNT, count + 1)
  store<u32>(table + SIZE, load<u32>(table + SIZE) + 1)
  return ADDED
}

/** Removes the id in the input region; its peer handle, or -1 when absent. */
export function routing_remove(table: usize): f64 {
  const id = loadCurrent(table)
  const bucket = prefixLength(table, id)
  if (bucket == load<u32>(table + BUCKET_COUNT)) return -1
  const rec = record(table, bucket)
  const found = find(table, rec, id)
  if (found < 0) return -1
  const at = <u32>found
  const storage = load<usize>(rec + R_STORAGE)
  const count = load<u32>(rec + R_COUNT)
  const peer = load<u32>(peersOf(table, storage) + (<usize>at << 2))
  removeContact(table, storage, count, at)
  store<u32>(rec + R_COUNT, count - 1)
  store<u32>(table + SIZE, load<u32>(table + SIZE) - 1)
  return <f64>peer
}

/** The peer handle of the id in the input region, or -1. */
export function routing_get(table: usize): f64 {
  const id = loadCurrent(table)
  const bucket = prefixLength(table, id)
  if (bucket == load<u32>(table + BUCKET_COUNT)) return -1
  const rec = record(table, bucket)
  const found = find(table, rec, id)
  if (found < 0) return -1
  return <f64>load<u32>(peersOf(table, load<usize>(rec + R_STORAGE)) + (<usize>found << 2))
}

export function routing_bucket_of(table: usize): u32 {
  return prefixLength(table, loadCurrent(table))
}

export function routing_bucket_size(table: usize, bucket: u32): u32 {
  return load<u32>(record(table, bucket) + R_COUNT)
}

/** Writes the bucket's peers (least recent first) to the output region; returns the count. */
export function routing_bucket_peers(table: usize, bucket: u32): u32 {
  const rec = record(table, bucket)
  const count = load<u32>(rec + R_COUNT)
  if (count > 0) memory.copy(outputRegion(), peersOf(table, load<usize>(rec + R_STORAGE)), <usize>count << 2)
  return count
}

/** Writes the bucket's ids (least recent first, W * 8 big-endian bytes each) to the output region. */
export function routing_bucket_ids(table: usize, bucket: u32): u32 {
  const rec = record(table, bucket)
  const count = load<u32>(rec + R_COUNT)
  if (count == 0) return 0
  const w = words(table)
  const storage = load<usize>(rec + R_STORAGE)
  const firsts = firstsOf(table, storage)
  let rest = restOf(table, storage)
  let out = outputRegion()
  for (let i: u32 = 0; i < count; i++) {
    store<u64>(out, bswap<u64>(load<u64>(firsts + (<usize>i << 3))))
    out += 8
    for (let j: u32 = 1; j < w; j++, rest += 8, out += 8) store<u64>(out, bswap<u64>(load<u64>(rest)))
  }
  return count
}

export function routing_touch(table: usize, bucket: u32, nowMs: f64): void {
  store<f64>(record(table, bucket) + R_TOUCHED, clampNow(table, nowMs))
}

/** Writes the non-empty buckets touched at or before nowMs - olderThanMs to the output region. */
export function routing_stale(table: usize, nowMs: f64, olderThanMs: f64): u32 {
  const limit = clampNow(table, nowMs) - olderThanMs
  const bucketCount = load<u32>(table + BUCKET_COUNT)
  const out = outputRegion()
  let found: u32 = 0
  for (let b: u32 = 0; b < bucketCount; b++) {
    const rec = record(table, b)
    if (load<u32>(rec + R_COUNT) != 0 && load<f64>(rec + R_TOUCHED) <= limit) {
      store<u32>(out + (<usize>found << 2), b)
      found++
    }
  }
  return found
}

// ---------------------------------------------------------------------------------------
// closest
//
// A candidate is 16 bytes: the first word of its XOR distance to the target (the sort key),
// the address of its id's remaining words (to break ties) and its peer.

const CANDIDATE_BYTES: usize = 16

function ensureCandidates(table: usize, needed: u32): usize {
  const cap = load<u32>(table + CANDIDATE_CAP)
  if (needed <= cap) return load<usize>(table + CANDIDATES)
  let next = cap == 0 ? <u32>64 : cap
  while (next < needed) next <<= 1
  const old = load<usize>(table + CANDIDATES)
  if (old != 0) heap.free(old)
  const candidates = heap.alloc(<usize>next * CANDIDATE_BYTES)
  store<usize>(table + CANDIDATES, candidates)
  store<u32>(table + CANDIDATE_CAP, next)
  return candidates
}

/** Appends the bucket's contacts as candidates for `target`; returns the new count. */
function collect(table: usize, bucket: u32, target: usize, base: usize, count: u32): u32 {
  const rec = record(table, bucket)
  const n = load<u32>(rec + R_COUNT)
  if (n == 0) return count
  const restBytes = (<usize>words(table) - 1) << 3
  const storage = load<usize>(rec + R_STORAGE)
  const firsts = firstsOf(table, storage)
  const peers = peersOf(table, storage)
  const first = load<u64>(target)
  let rest = restOf(table, storage)
  let c = base + <usize>count * CANDIDATE_BYTES
  for (let i: u32 = 0; i < n; i++, rest += restBytes, c += CANDIDATE_BYTES) {
    store<u64>(c, load<u64>(firsts + (<usize>i << 3)) ^ first)
    store<u32>(c, <u32>rest, 8)
    store<u32>(c, load<u32>(peers + (<usize>i << 2)), 12)
  }
  return count + n
}

/** Whether candidate a is nearer the target than candidate b. */
// @ts-ignore: decorator
@inline function nearer(a: usize, b: usize, target: usize, w: u32): bool {
  const x = load<u64>(a)
  const y = load<u64>(b)
  if (x != y) return x < y
  return nearerAfterFirstWord(<usize>load<u32>(a, 8), <usize>load<u32>(b, 8), target, w)
}

/** Compares the ids whose remaining words are at `a` and `b` by distance to target. */
function nearerAfterFirstWord(a: usize, b: usize, target: usize, w: u32): bool {
  for (let j: u32 = 1; j < w; j++) {
    const t = load<u64>(target + (<usize>j << 3))
    const x = load<u64>(a + (<usize>(j - 1) << 3)) ^ t
    const y = load<u64>(b + (<usize>(j - 1) << 3)) ^ t
    if (x != y) return x < y
  }
  return false
}

// @ts-ignore: decorator
@inline function swapCandidates(a: usize, b: usize): void {
  const key = load<u64>(a)
  const rest = load<u64>(a, 8)
  store<u64>(a, load<u64>(b))
  store<u64>(a, load<u64>(b, 8), 8)
  store<u64>(b, key)
  store<u64>(b, rest, 8)
}

function siftDown(base: usize, target: usize, w: u32, start: u32, end: u32): void {
  let root = start
  while (true) {
    let child = root * 2 + 1
    if (child >= end) return
    let childAt = base + <usize>child * CANDIDATE_BYTES
    if (child + 1 < end && nearer(childAt + CANDIDATE_BYTES, childAt, target, w)) {
      child++
      childAt += CANDIDATE_BYTES
    }
    const rootAt = base + <usize>root * CANDIDATE_BYTES
    if (!nearer(childAt, rootAt, target, w)) return
    swapCandidates(rootAt, childAt)
    root = child
  }
}

/** Sorts the n candidates at base, nearest first (a band short enough for insertion sort). */
function sortBand(base: usize, n: u32, target: usize, w: u32): void {
  for (let i: u32 = 1; i < n; i++) {
    const at = base + <usize>i * CANDIDATE_BYTES
    const key = load<u64>(at)
    const rest = load<u64>(at, 8)
    let j = at
    while (j > base) {
      const prev = j - CANDIDATE_BYTES
      const prevKey = load<u64>(prev)
      if (prevKey < key || (prevKey == key && !nearerAfterFirstWord(<usize><u32>rest, <usize>load<u32>(prev, 8), target, w))) break
      store<u64>(j, prevKey)
      store<u64>(j, load<u64>(prev, 8), 8)
      j = prev
    }
    store<u64>(j, key)
    store<u64>(j, rest, 8)
  }
}

/**
 * Writes the nearest `room` peers of the band of `count` candidates to out, nearest first;
 * returns how many. Long bands go through a min-heap from which only `room` are taken, so
 * asking for one more than the target's bucket holds does not sort every deeper bucket.
 */
function emitBand(base: usize, count: u32, target: usize, w: u32, out: usize, room: u32): u32 {
  if (count == 0 || room == 0) return 0
  const n = min(count, room)
  if (count <= INSERTION_SORT_MAX) {
    sortBand(base, count, target, w)
    for (let i: u32 = 0; i < n; i++) store<u32>(out + (<usize>i << 2), load<u32>(base + <usize>i * CANDIDATE_BYTES, 12))
    return n
  }
  for (let start = <i32>(count / 2) - 1; start >= 0; start--) siftDown(base, target, w, <u32>start, count)
  let end = count
  for (let i: u32 = 0; i < n; i++) {
    store<u32>(out + (<usize>i << 2), load<u32>(base, 12))
    end--
    swapCandidates(base, base + <usize>end * CANDIDATE_BYTES)
    siftDown(base, target, w, 0, end)
  }
  return n
}

/** Where routing_closest wrote its results: the output region, or for more than it holds a table buffer. */
export function routing_results(table: usize, n: u32): usize {
  if (n <= OUTPUT_HANDLES) return outputRegion()
  if (load<u32>(table + RESULT_CAP) < n) {
    const old = load<usize>(table + RESULTS)
    if (old != 0) heap.free(old)
    store<usize>(table + RESULTS, heap.alloc(<usize>n << 2))
    store<u32>(table + RESULT_CAP, n)
  }
  return load<usize>(table + RESULTS)
}

/** Writes up to n peers nearest the target in the input region, nearest first, to routing_results(n). */
export function routing_closest(table: usize, n: u32): u32 {
  const size = load<u32>(table + SIZE)
  if (n > size) n = size
  if (n == 0) return 0
  const target = loadCurrent(table)
  const bucketCount = load<u32>(table + BUCKET_COUNT)
  const home = prefixLength(table, target)
  const out = routing_results(table, n)

  const w = words(table)
  const k = load<u32>(table + K)
  let written: u32 = 0

  // Band 1 and 2: the target's own bucket, then every deeper bucket together.
  if (home < bucketCount) {
    let base = ensureCandidates(table, k)
    let count = collect(table, home, target, base, 0)
    written += emitBand(base, count, target, w, out, n)
    if (written < n) {
      let deeper: u32 = 0
      for (let b = home + 1; b < bucketCount; b++) deeper += load<u32>(record(table, b) + R_COUNT)
      if (deeper > 0) {
        base = ensureCandidates(table, deeper)
        count = 0
        for (let b = home + 1; b < bucketCount; b++) count = collect(table, b, target, base, count)
        written += emitBand(base, count, target, w, out + (<usize>written << 2), n - written)
      }
    }
  }
  // Then the shallower buckets, nearest (deepest) first, each a band of its own.
  let b = <i32>min(home, bucketCount) - 1
  while (written < n && b >= 0) {
    if (load<u32>(record(table, <u32>b) + R_COUNT) != 0) {
      const base = ensureCandidates(table, k)
      const count = collect(table, <u32>b, target, base, 0)
      written += emitBand(base, count, target, w, out + (<usize>written << 2), n - written)
    }
    b--
  }
  return written
}
