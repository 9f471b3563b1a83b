// RateLimiter in pure TypeScript: the twin of assembly/limiter.ts (same deficit buckets,
// same refill formula in the same evaluation order, same single clock; see that file).

import type { RateLimiter, RateLimiterOptions } from '../contracts.js'
import {
  badHandle, checkBatch, checkCost, checkNow, checkPeer, freed, isCost, isTime, LIMITER_INITIAL_CAPACITY, rateLimiterByteLength,
  resolveRateLimiterOptions, takeError,
} from '../rate-limiter-options.js'

export class TwinRateLimiter implements RateLimiter {
  readonly ratePerSec: number
  readonly burst: number
  readonly peers: number
  // Per peer p: deficit at 2p, time of the last successful take at 2p + 1; zeros mean full.
  // Grown by doubling, as the WebAssembly table is, to the highest peer taken from: a peer
  // beyond it has a full bucket.
  private buckets: Float64Array
  private lastNow = 0
  private isFreed = false

  constructor(options: RateLimiterOptions) {
    const { ratePerSec, burst, peers } = resolveRateLimiterOptions(options)
    this.ratePerSec = ratePerSec
    this.burst = burst
    this.peers = peers
    this.buckets = new Float64Array(Math.min(peers, LIMITER_INITIAL_CAPACITY) * 2)
  }

  tryTake(peer: number, nowMs: number, cost = 1): boolean {
    this.live()
    if ((peer >>> 0) !== peer || peer >= this.peers || !isTime(nowMs) || !isCost(cost)) {
      throw takeError(peer, nowMs, cost, this.peers)
    }
    const now = this.advance(nowMs)
    this.reach(peer)
    return this.take(peer, now, cost)
  }

  tryTakeBatch(peers: Uint32Array, nowMs: number, out?: Uint8Array, cost = 1): number {
    this.live()
    checkBatch(peers, out)
    checkNow(nowMs)
    checkCost(cost)
    // One pass checks every handle (a bad one takes nothing) and finds the highest.
    let highest = -1
    for (let i = 0; i < peers.length; i++) {
      const peer = peers[i]
      if (peer >= this.peers) throw badHandle(peers, i, this.peers)
      if (peer > highest) highest = peer
    }
    const now = this.advance(nowMs)
    if (highest >= 0) this.reach(highest)
    let taken = 0
    for (let i = 0; i < peers.length; i++) {
      const isTaken = this.take(peers[i], now, cost)
      if (out !== undefined) out[i] = isTaken ? 1 : 0
      if (isTaken) taken++
    }
    return taken
  }

  tokens(peer: number, nowMs: number): number {
    this.live()
    checkPeer(peer, this.peers)
    checkNow(nowMs)
    const now = this.advance(nowMs)
    if (2 * peer >= this.buckets.length) return this.burst
    return this.burst - this.refilled(peer, now)
  }

  forget(peer: number): void {
    this.live()
    checkPeer(peer, this.peers)
    if (2 * peer >= this.buckets.length) return
    this.buckets[2 * peer] = 0
    this.buckets[2 * peer + 1] = 0
  }

  free(): void {
    if (this.isFreed) return
    this.isFreed = true
    this.buckets = new Float64Array(0)
  }

  /** Header and buckets, counted as the WebAssembly limiter counts them; 0 once freed. */
  get byteLength(): number {
    return this.isFreed ? 0 : rateLimiterByteLength(this.buckets.length / 2)
  }

  private reach(peer: number): void {
    if (2 * peer < this.buckets.length) return
    const capacity = this.buckets.length / 2
    let grown = capacity * 2
    while (grown <= peer) grown *= 2
    const buckets = new Float64Array(Math.min(grown, this.peers) * 2)
    buckets.set(this.buckets)
    this.buckets = buckets
  }

  private live(): void {
    if (this.isFreed) throw freed()
  }

  private advance(nowMs: number): number {
    const now = nowMs < this.lastNow ? this.lastNow : nowMs
    this.lastNow = now
    return now
  }

  private refilled(peer: number, now: number): number {
    const deficit = this.buckets[2 * peer] - (now - this.buckets[2 * peer + 1]) * this.ratePerSec / 1000
    return deficit > 0 ? deficit : 0
  }

  private take(peer: number, now: number, cost: number): boolean {
    const deficit = this.refilled(peer, now)
    if (this.burst - deficit < cost) return false
    this.buckets[2 * peer] = deficit + cost
    this.buckets[2 * peer + 1] = now
    return true
  }
}
