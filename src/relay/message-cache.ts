// The relay's recent messages, kept to answer iwant: each forwarded publish as it was sent,
// under its dedup key, for a bounded time and within a count and a byte cap. A Map keeps
// insertion order, and entries are inserted with a non-decreasing time, so the oldest entry
// is always the first: eviction by age, count or bytes pops from the front, O(1) each.
//
// Each message is served at most once to each asker (gossipsub allows 3): otherwise one
// small iwant, repeated within the rate limit, would make this node send the same large
// messages again and again, an amplification anyone could aim at it.

import type { PublishMessage } from '../wire/messages.js'

interface Entry {
  readonly message: PublishMessage
  readonly at: number
  /** Who was served it already (at most one entry per neighbour). */
  readonly servedTo: unknown[]
}

export interface MessageCacheLimits {
  readonly ttlMs: number
  readonly maxMessages: number
  /** Payload bytes (data only: the envelope is bounded by the wire, under 1 KiB). */
  readonly maxBytes: number
}

export class MessageCache {
  private readonly entries = new Map<bigint, Entry>()
  private bytes = 0

  constructor(private readonly limits: MessageCacheLimits) {}

  get size(): number {
    return this.entries.size
  }

  get sizeBytes(): number {
    return this.bytes
  }

  /** Keeps `message` under `key` (a key already held keeps its first message). */
  add(key: bigint, message: PublishMessage, now: number): void {
    if (this.entries.has(key)) return
    // A payload over the byte cap alone would evict everything and still not fit.
    if (message.data.length > this.limits.maxBytes) return
    this.entries.set(key, { message, at: now, servedTo: [] })
    this.bytes += message.data.length
    this.evict(now)
  }

  /** The message under `key` if it is younger than the TTL. */
  get(key: bigint, now: number): PublishMessage | undefined {
    this.evict(now)
    return this.entries.get(key)?.message
  }

  /**
   * The message under `key` for `asker`, once: undefined when it is not held (or too old),
   * and 'served' when `asker` already had it from here.
   */
  serve(key: bigint, asker: unknown, now: number): PublishMessage | 'served' | undefined {
    this.evict(now)
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    if (entry.servedTo.includes(asker)) return 'served'
    entry.servedTo.push(asker)
    return entry.message
  }

  /** Drops expired entries, then the oldest until both caps hold. */
  evict(now: number): void {
    for (const [key, entry] of this.entries) {
      const isOver = now - entry.at >= this.limits.ttlMs || this.entries.size > this.limits.maxMessages || this.bytes > this.limits.maxBytes
      if (!isOver) return
      this.entries.delete(key)
      this.bytes -= entry.message.data.length
    }
  }

  clear(): void {
    this.entries.clear()
    this.bytes = 0
  }
}
