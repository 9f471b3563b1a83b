// RateLimiter: a token bucket per peer handle, 16 bytes a peer. A bucket stores its deficit
// (tokens spent and not yet refilled) rather than its tokens, so zeroed memory is a table of
// full buckets: creation needs no initialising pass and forget() is a single store.
// The table holds buckets up to the highest handle taken from, doubling as handles grow and
// never past PEERS: a handle beyond it has a full bucket by definition. Callers hand out
// handles from 0 up, so a limiter sized for 4,096 origins that has heard from 20 holds 32
// buckets, not 4,096.
//
// At time now a bucket holds tokens = burst - deficit, where
//   deficit = max(0, deficit - (now - last) * ratePerSec / 1000)
// (evaluated in exactly this order, here and in the TypeScript twin, so both backends give
// bit-identical answers). A take of `cost` succeeds when tokens >= cost and then stores
// deficit + cost and last = now; a refused take stores nothing. The limiter has one clock:
// a time earlier than the latest seen counts as the latest, so `now - last` is never negative.

import { allocSlot, allocZeroed, releaseSlot, SLOT_BYTES } from './slots'
import { inputRegion, outputRegion } from './scratch'

// Header layout (offsets in the 128-byte slot).
const PEERS = 0 //     u32 handles 0 to PEERS - 1 are valid
const BUCKETS = 4 //   usize -> Bucket buckets[PEERS]
const RATE = 8 //      f64 tokens added per second
const BURST = 16 //    f64 bucket size
const LAST_NOW = 24 // f64 latest time seen
const CAPACITY = 32 // u32 buckets allocated, at most PEERS
const INITIAL_CAPACITY: u32 = 16 // LIMITER_INITIAL_CAPACITY in src/core/rate-limiter-options.ts

// Bucket layout (16 bytes); all zero means full.
const BUCKET_DEFICIT = 0 // f64 tokens missing from a full bucket as of `last`
const BUCKET_LAST = 8 //    f64 time of the last successful take
const BUCKET_SHIFT: usize = 4

export function limiter_create(peers: u32, ratePerSec: f64, burst: f64): usize {
  const limiter = allocSlot()
  const capacity = peers < INITIAL_CAPACITY ? peers : INITIAL_CAPACITY
  store<u32>(limiter + PEERS, peers)
  store<u32>(limiter + CAPACITY, capacity)
  store<usize>(limiter + BUCKETS, allocZeroed(<usize>capacity << BUCKET_SHIFT))
  store<f64>(limiter + RATE, ratePerSec)
  store<f64>(limiter + BURST, burst)
  return limiter
}

export function limiter_free(limiter: usize): void {
  heap.free(load<usize>(limiter + BUCKETS))
  releaseSlot(limiter)
}

/** Bytes the limiter holds: its header slot and its buckets. */
export function limiter_byte_length(limiter: usize): u32 {
  return <u32>SLOT_BYTES + (load<u32>(limiter + CAPACITY) << <u32>BUCKET_SHIFT)
}

/** Grows the table (zeroed: full buckets) to hold `peer`, doubling; `peer` is below PEERS. */
function grow(limiter: usize, peer: u32): void {
  const capacity = load<u32>(limiter + CAPACITY)
  const peers = load<u32>(limiter + PEERS)
  let grown = capacity << 1
  while (grown <= peer) grown <<= 1
  if (grown > peers) grown = peers
  const buckets = heap.realloc(load<usize>(limiter + BUCKETS), <usize>grown << BUCKET_SHIFT)
  memory.fill(buckets + (<usize>capacity << BUCKET_SHIFT), 0, <usize>(grown - capacity) << BUCKET_SHIFT)
  store<usize>(limiter + BUCKETS, buckets)
  store<u32>(limiter + CAPACITY, grown)
}

/** The table holds `peer` after this: one compare on the hot path, the growth out of line. */
// @ts-ignore: decorator
@inline function reach(limiter: usize, peer: u32): void {
  if (peer >= load<u32>(limiter + CAPACITY)) grow(limiter, peer)
}

// @ts-ignore: decorator
@inline function advance(limiter: usize, nowMs: f64): f64 {
  const last = load<f64>(limiter + LAST_NOW)
  const now = nowMs < last ? last : nowMs
  store<f64>(limiter + LAST_NOW, now)
  return now
}

// @ts-ignore: decorator
@inline function bucketOf(limiter: usize, peer: u32): usize {
  return load<usize>(limiter + BUCKETS) + (<usize>peer << BUCKET_SHIFT)
}

/** The bucket's deficit after refilling up to `now`. */
// @ts-ignore: decorator
@inline function refilled(bucket: usize, now: f64, rate: f64): f64 {
  const deficit = load<f64>(bucket + BUCKET_DEFICIT) - (now - load<f64>(bucket + BUCKET_LAST)) * rate / 1000
  return deficit > 0 ? deficit : 0
}

// @ts-ignore: decorator
@inline function take(bucket: usize, now: f64, cost: f64, rate: f64, burst: f64): bool {
  const deficit = refilled(bucket, now, rate)
  if (burst - deficit < cost) return false
  store<f64>(bucket + BUCKET_DEFICIT, deficit + cost)
  store<f64>(bucket + BUCKET_LAST, now)
  return true
}

export function limiter_try_take(limiter: usize, peer: u32, nowMs: f64, cost: f64): bool {
  const now = advance(limiter, nowMs)
  reach(limiter, peer)
  return take(bucketOf(limiter, peer), now, cost, load<f64>(limiter + RATE), load<f64>(limiter + BURST))
}

export function limiter_tokens(limiter: usize, peer: u32, nowMs: f64): f64 {
  const now = advance(limiter, nowMs)
  // Beyond the table: never taken from since it was last reset, so full.
  if (peer >= load<u32>(limiter + CAPACITY)) return load<f64>(limiter + BURST)
  return load<f64>(limiter + BURST) - refilled(bucketOf(limiter, peer), now, load<f64>(limiter + RATE))
}

export function limiter_forget(limiter: usize, peer: u32): void {
  if (peer >= load<u32>(limiter + CAPACITY)) return
  const bucket = bucketOf(limiter, peer)
  store<f64>(bucket + BUCKET_DEFICIT, 0)
  store<f64>(bucket + BUCKET_LAST, 0)
}

/**
 * Takes `cost` for each of the `count` u32 handles in the input region, in order, writing 1
 * (taken) or 0 per handle to the output region; returns how many were taken. Every handle is
 * checked first: if one is out of range nothing is taken, the clock does not move, and the
 * result is -(index + 1) of the first bad handle.
 */
export function limiter_try_take_batch(limiter: usize, count: u32, nowMs: f64, cost: f64): i32 {
  const handles = inputRegion()
  const peers = load<u32>(limiter + PEERS)
  let highest: u32 = 0
  for (let i: u32 = 0; i < count; i++) {
    const peer = load<u32>(handles + (<usize>i << 2))
    if (peer >= peers) return -1 - <i32>i
    if (peer > highest) highest = peer
  }
  const now = advance(limiter, nowMs)
  if (count > 0) reach(limiter, highest)
  const rate = load<f64>(limiter + RATE)
  const burst = load<f64>(limiter + BURST)
  const buckets = load<usize>(limiter + BUCKETS)
  const flags = outputRegion()
  let taken: u32 = 0
  for (let i: u32 = 0; i < count; i++) {
    const bucket = buckets + (<usize>load<u32>(handles + (<usize>i << 2)) << BUCKET_SHIFT)
    const isTaken = take(bucket, now, cost, rate, burst)
    store<u8>(flags + i, <u8>isTaken)
    taken += <u32>isTaken
  }
  return <i32>taken
}
