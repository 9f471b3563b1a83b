// A rate limit per origin (the node that signed a message), kept at every hop: the relay's
// publishes and the router's direct messages are charged to whoever signed them, once their
// signature has verified (so nobody can spend another origin's budget), and never to the
// neighbour that passed them on. Origins cost nothing to make, so the table is bounded: the
// least recently heard from is forgotten first and starts again with a full bucket when it
// comes back. An attacker cycling through more than `maxOrigins` fresh origins can so reset
// its own; the per-link relay budget (peer-session.ts) bounds what that buys it.

import type { Core, RateLimiter } from '../core/contracts.js'

/** Messages a second per origin at every hop: the analysis's 100 msg/s per peer, applied per origin. */
export const DEFAULT_ORIGIN_RATE_LIMIT = 100
/** Origins tracked at once: ~4,096 x (a bucket and a map entry, ~100 bytes) = ~400 KB when full. */
export const DEFAULT_MAX_RATE_LIMITED_ORIGINS = 4_096

export interface OriginRateLimitOptions {
  /** Messages a second per origin; the burst is the same. */
  readonly ratePerSec: number
  /** Origins tracked at once, the least recently heard from forgotten first. */
  readonly maxOrigins: number
}

export class OriginRateLimits<Key extends string | bigint> {
  readonly #limiter: RateLimiter
  readonly #maxOrigins: number
  /** Origin -> bucket handle, least recently used first (Map order). */
  readonly #handles = new Map<Key, number>()
  #nextHandle = 0
  #forgotten = 0

  constructor(core: Core, options: OriginRateLimitOptions) {
    this.#maxOrigins = options.maxOrigins
    this.#limiter = core.createRateLimiter({ ratePerSec: options.ratePerSec, burst: options.ratePerSec, peers: options.maxOrigins })
  }

  /** Origins tracked now. */
  get size(): number {
    return this.#handles.size
  }

  /** Origins forgotten to make room for others. */
  get forgotten(): number {
    return this.#forgotten
  }

  /** The WebAssembly (or twin) bytes the buckets take. */
  get byteLength(): number {
    return this.#limiter.byteLength
  }

  /** Charges one message to `origin`; false when it is over its rate (nothing is charged then). */
  tryTake(origin: Key, nowMs: number): boolean {
    let handle = this.#handles.get(origin)
    if (handle === undefined) {
      handle = this.#allocate()
    } else {
      this.#handles.delete(origin)
    }
    this.#handles.set(origin, handle)
    return this.#limiter.tryTake(handle, nowMs)
  }

  free(): void {
    this.#handles.clear()
    this.#limiter.free()
  }

  #allocate(): number {
    if (this.#nextHandle < this.#maxOrigins) return this.#nextHandle++
    const [oldest, handle] = this.#handles.entries().next().value as [Key, number]
    this.#handles.delete(oldest)
    this.#limiter.forget(handle)
    this.#forgotten++
    return handle
  }
}
