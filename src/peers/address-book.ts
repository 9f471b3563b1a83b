// Peers this node has heard of and may dial when it needs more sessions: those a full or
// pruning node redirected it to, and those it had sessions with. Bounded in entries (so in
// bytes: an entry holds at most 8 addresses of 256 bytes), the least recently learned
// forgotten first; an address that failed waits out a backoff before it is offered again, and
// one that failed MAX_ADDRESS_FAILURES times in a row is forgotten.

import type { PeerInfo } from '../wire/messages.js'
import { toHex } from '../util/hex.js'

/** Entries kept; the least recently learned is forgotten first. */
export const MAX_ADDRESS_BOOK_ENTRIES = 512
/** The wait after a failed dial doubles from this up to ADDRESS_RETRY_MAX_MS. */
export const ADDRESS_RETRY_BASE_MS = 1_000
export const ADDRESS_RETRY_MAX_MS = 60_000
/** A peer whose dials failed this many times in a row is forgotten (it has most likely left). */
export const MAX_ADDRESS_FAILURES = 8

interface Entry {
  readonly info: PeerInfo
  failures: number
  retryAtMs: number
}

export class AddressBook {
  readonly #entries = new Map<string, Entry>()

  get size(): number {
    return this.#entries.size
  }

  has(peerKey: string): boolean {
    return this.#entries.has(peerKey)
  }

  /** Learns (or refreshes, as the most recent) where `info.id` can be reached; peers without addresses are ignored. */
  add(info: PeerInfo): void {
    if (info.addresses.length === 0) return
    const key = toHex(info.id)
    const known = this.#entries.get(key)
    this.#entries.delete(key)
    this.#entries.set(key, { info: { id: info.id, addresses: [...info.addresses] }, failures: known?.failures ?? 0, retryAtMs: known?.retryAtMs ?? 0 })
    if (this.#entries.size > MAX_ADDRESS_BOOK_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!)
  }

  /** A dial to it failed: offered again only after a backoff that doubles with each failure. */
  markFailed(peerKey: string, nowMs: number): void {
    const entry = this.#entries.get(peerKey)
    if (entry === undefined) return
    entry.failures++
    if (entry.failures >= MAX_ADDRESS_FAILURES) {
      this.#entries.delete(peerKey)
      return
    }
    entry.retryAtMs = nowMs + Math.min(ADDRESS_RETRY_MAX_MS, ADDRESS_RETRY_BASE_MS * 2 ** (entry.failures - 1))
  }

  /** A dial to it succeeded: its backoff is over. */
  markConnected(peerKey: string): void {
    const entry = this.#entries.get(peerKey)
    if (entry === undefined) return
    entry.failures = 0
    entry.retryAtMs = 0
  }

  /** False while a failed dial's backoff holds `peerKey` back; true otherwise (unknown peers too). */
  isDialable(peerKey: string, nowMs: number): boolean {
    return (this.#entries.get(peerKey)?.retryAtMs ?? 0) <= nowMs
  }

  /** Up to `count` peers out of backoff and not `isExcluded`, most recently learned first. */
  dialable(nowMs: number, count: number, isExcluded: (peerKey: string) => boolean): PeerInfo[] {
    const out: PeerInfo[] = []
    if (count <= 0) return out
    const keys = [...this.#entries.keys()]
    for (let i = keys.length - 1; i >= 0 && out.length < count; i--) {
      const entry = this.#entries.get(keys[i])!
      if (entry.retryAtMs <= nowMs && !isExcluded(keys[i])) out.push(entry.info)
    }
    return out
  }

  /** Up to `count` entries, most recently learned first, in backoff or not. */
  recent(count: number): PeerInfo[] {
    const out: PeerInfo[] = []
    const entries = [...this.#entries.values()]
    for (let i = entries.length - 1; i >= 0 && out.length < count; i--) out.push(entries[i].info)
    return out
  }

  /** The earliest time an entry now in backoff is offered again; undefined when none waits. */
  nextRetryAtMs(nowMs: number): number | undefined {
    let next: number | undefined
    for (const entry of this.#entries.values()) {
      if (entry.retryAtMs > nowMs && (next === undefined || entry.retryAtMs < next)) next = entry.retryAtMs
    }
    return next
  }

  clear(): void {
    this.#entries.clear()
  }
}
