// RateLimiter on the WebAssembly backend: a handle into the shared instance (assembly/limiter.ts).
// tryTake is one crossing with numbers only; tryTakeBatch sends u32 handles through the input
// scratch region and reads u8 results from the output region, 16,384 handles per crossing.

import type { RateLimiter, RateLimiterOptions } from './contracts.js'
import type { WasmInstance } from './wasm-instance.js'
import {
  badHandle, checkBatch, checkCost, checkNow, checkPeer, firstBadHandle, freed, isCost, isTime,
  resolveRateLimiterOptions, takeError,
} from './rate-limiter-options.js'

interface LimiterExports {
  limiter_create(peers: number, ratePerSec: number, burst: number): number
  limiter_free(limiter: number): void
  limiter_try_take(limiter: number, peer: number, nowMs: number, cost: number): number
  limiter_tokens(limiter: number, peer: number, nowMs: number): number
  limiter_forget(limiter: number, peer: number): void
  limiter_try_take_batch(limiter: number, count: number, nowMs: number, cost: number): number
  limiter_byte_length(limiter: number): number
}

export class WasmRateLimiter implements RateLimiter {
  readonly ratePerSec: number
  readonly burst: number
  readonly peers: number
  private readonly wasm: LimiterExports
  private readonly instance: WasmInstance
  // Held directly, so a call does not look it up on the exports object.
  private readonly takeExport: LimiterExports['limiter_try_take']
  private handle: number

  constructor(instance: WasmInstance, options: RateLimiterOptions) {
    const { ratePerSec, burst, peers } = resolveRateLimiterOptions(options)
    this.ratePerSec = ratePerSec
    this.burst = burst
    this.peers = peers
    this.instance = instance
    const wasm = instance.exports as unknown as LimiterExports
    this.wasm = wasm
    this.takeExport = wasm.limiter_try_take
    const handle = wasm.limiter_create(peers, ratePerSec, burst)
    this.handle = handle
    instance.refresh()
    instance.track(this, () => wasm.limiter_free(handle))
  }

  tryTake(peer: number, nowMs: number, cost = 1): boolean {
    const limiter = this.handle
    if (limiter === 0) throw freed()
    if ((peer >>> 0) !== peer || peer >= this.peers || !isTime(nowMs) || !isCost(cost)) {
      throw takeError(peer, nowMs, cost, this.peers)
    }
    return this.takeExport(limiter, peer, nowMs, cost) !== 0
  }

  tryTakeBatch(peers: Uint32Array, nowMs: number, out?: Uint8Array, cost = 1): number {
    const limiter = this.live()
    checkBatch(peers, out)
    checkNow(nowMs)
    checkCost(cost)
    const instance = this.instance
    const chunk = instance.scratchBytes >>> 2
    if (peers.length > chunk) {
      // Several crossings: check every handle first, so a bad one takes nothing (the
      // single-crossing path gets the same guarantee from the check inside WebAssembly).
      const bad = firstBadHandle(peers, this.peers)
      if (bad >= 0) throw badHandle(peers, bad, this.peers)
    }
    const inputWord = instance.inputOffset >>> 2
    let taken = 0
    let start = 0
    // At least one crossing, so an empty batch still advances the clock.
    do {
      const count = Math.min(chunk, peers.length - start)
      instance.u32.set(peers.subarray(start, start + count), inputWord)
      const result = this.wasm.limiter_try_take_batch(limiter, count, nowMs, cost)
      if (result < 0) throw badHandle(peers, start - result - 1, this.peers)
      taken += result
      if (out !== undefined) out.set(instance.u8.subarray(instance.outputOffset, instance.outputOffset + count), start)
      start += count
    } while (start < peers.length)
    return taken
  }

  tokens(peer: number, nowMs: number): number {
    const limiter = this.live()
    checkPeer(peer, this.peers)
    checkNow(nowMs)
    return this.wasm.limiter_tokens(limiter, peer, nowMs)
  }

  forget(peer: number): void {
    const limiter = this.live()
    checkPeer(peer, this.peers)
    this.wasm.limiter_forget(limiter, peer)
  }

  /** Header and buckets up to the highest handle taken from, grown by doubling; 0 once freed. */
  get byteLength(): number {
    return this.handle === 0 ? 0 : this.wasm.limiter_byte_length(this.handle)
  }

  free(): void {
    if (this.handle === 0) return
    this.instance.untrack(this)
    this.wasm.limiter_free(this.handle)
    this.handle = 0
  }

  private live(): number {
    if (this.handle === 0) throw freed()
    return this.handle
  }
}
