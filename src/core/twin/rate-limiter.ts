// RateLimiter in pure TypeScript: the twin of assembly/limiter.ts (same deficit buckets,
// same refill formula in the same evaluation order, same single clock; see that file).

import type { RateLimiter, RateLimiterOptions } from '../contracts.js'
import {
  badHandle, checkBatch, checkCost, checkNow, checkPeer, firstBadHandle, freed, isCost, isTime, rateLimiterByteLength,
  resolveRateLimiterOptions, takeError,
} from '../rate-limiter-options.js'

export class TwinRateLimiter implements RateLimiter {
  readonly ratePerSec: number
  readonly burst: number
  readonly peers: number
  readonly byteLength: number
  // Per peer p: deficit at 2p, time of the last successful take at 2p + 1; zeros mean full.
  private buckets: Float64Array
  private lastNow = 0
  private isFreed = false

  constructor(options: RateLimiterOptions) {
    const { ratePerSec, burst, peers } = resolveRateLimiterOptions(options)
    this.ratePerSec = ratePerSec
    this.burst = burst
    this.peers = peers
    this.byteLength = rateLimiterByteLength(peers)
    this.buckets = new Float64Array(peers * 2)
  }

  tryTake(peer: number, nowMs: number, cost = 1): boolean {
    this.live()
    if ((peer >>> 0) !== peer || peer >= this.peers || !isTime(nowMs) || !isCost(cost)) {
      throw takeError(peer, nowMs, cost, this.peers)
    }
    return this.take(peer, this.advance(nowMs), cost)
  }

  tryTakeBatch(peers: Uint32Array, nowMs: number, out?: Uint8Array, cost = 1): number {
    this.live()
    checkBatch(peers, out)
    checkNow(nowMs)
    checkCost(cost)
    const bad = firstBadHandle(peers, this.peers)
    if (bad >= 0) throw badHandle(peers, bad, this.peers)
    const now = this.advance(nowMs)
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
    return this.burst - this.refilled(peer, this.advance(nowMs))
  }

  forget(peer: number): void {
    this.live()
    checkPeer(peer, this.peers)
    this.buckets[2 * peer] = 0
    this.buckets[2 * peer + 1] = 0
  }

  free(): void {
    if (this.isFreed) return
    this.isFreed = true
    this.buckets = new Float64Array(0)
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
