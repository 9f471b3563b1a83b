// Inbound connections that have not finished their handshake yet: they cost a timer, a
// buffer and, once a hello comes, a signature, before the peer has proven anything. They are
// bounded apart from sessions (so idle connections cannot lock honest peers out):
//   - in time: a connection that sends no hello within `helloTimeoutMs` is closed, and one
//     whose auth does not follow its hello within another `helloTimeoutMs` too, long before
//     the handshake's own timeout (an honest one needs a round trip or two);
//   - per source (address-source.ts): at most `maxPerSource` from one host or IPv6 /64;
//   - overall: at most `maxPending`. A newcomer past it pushes one out: from the address
//     prefix (an IPv4 /16, an IPv6 /32; its source where the prefix is exempt) holding the
//     most slots, the oldest among equals; it is refused only when its own prefix would then
//     hold the most.
// An honest newcomer, alone from its prefix, is pushed out last: an attacker's connections
// from a few networks push out only each other, and among equals idle connections are old by
// the time they matter. The limit: an attacker with `maxPending` prefixes that opens more than
// `maxPending` connections between an honest connection's opening and its hello (one trip)
// can still push it out; the honest side then retries (connect's backoff).

import type { Connection } from '../transport/transport.js'
import type { Clock, TimerHandle } from '../util/clock.js'
import { isLoopbackSource, prefixOf, sourceOf } from './address-source.js'

export interface PendingHandshakeLimits {
  readonly maxPending: number
  readonly maxPerSource: number
  readonly helloTimeoutMs: number
}

interface Pending {
  readonly source: string
  /** Its address prefix, or its source where the prefix is exempt: what push-outs are ranked by. */
  readonly group: string
  hasSpoken: boolean
  timer: TimerHandle | undefined
}

export type AdmitDecision = { readonly ok: true } | { readonly ok: false; readonly why: string }

export class PendingHandshakes {
  /** In arrival order (a Map keeps insertion order), so the oldest silent one is found first. */
  readonly #pending = new Map<Connection, Pending>()
  readonly #perSource = new Map<string, number>()
  readonly #perGroup = new Map<string, number>()
  #evicted = 0
  #silentTimeouts = 0
  #refused = 0

  constructor(
    private readonly limits: PendingHandshakeLimits,
    private readonly clock: Clock,
    /** Closes a connection pushed out or timed out (the manager says goodbye). */
    private readonly drop: (connection: Connection, why: string) => void,
  ) {}

  get size(): number {
    return this.#pending.size
  }

  /** Silent connections closed to make room for a newcomer. */
  get evicted(): number {
    return this.#evicted
  }

  /** Connections closed for sending no hello, or no auth after it, within helloTimeoutMs. */
  get silentTimeouts(): number {
    return this.#silentTimeouts
  }

  /** Newcomers refused because their source, or every slot, was taken. */
  get refused(): number {
    return this.#refused
  }

  /** Takes `connection` in, or says why not; on ok, call spoke() at its hello and release() when its handshake ends. */
  admit(connection: Connection): AdmitDecision {
    const source = sourceOf(connection.remoteAddress)
    const fromSource = this.#perSource.get(source) ?? 0
    if (fromSource >= this.limits.maxPerSource && !isLoopbackSource(source)) {
      this.#refused++
      return { ok: false, why: `${fromSource} handshakes from ${source} are under way already` }
    }
    const group = prefixOf(connection.remoteAddress) ?? source
    const fromGroup = this.#perGroup.get(group) ?? 0
    if (this.#pending.size >= this.limits.maxPending) {
      const victim = this.#firstToGo(fromGroup + 1)
      if (victim === undefined) {
        this.#refused++
        return { ok: false, why: `${this.#pending.size} handshakes are under way already` }
      }
      this.#evicted++
      this.release(victim)
      this.drop(victim, 'pushed out by a newer connection')
    }
    const entry: Pending = { source, group, hasSpoken: false, timer: undefined }
    this.#pending.set(connection, entry)
    this.#arm(connection, entry, 'no hello')
    this.#perSource.set(source, (this.#perSource.get(source) ?? 0) + 1)
    this.#perGroup.set(group, (this.#perGroup.get(group) ?? 0) + 1)
    return { ok: true }
  }

  /** The connection's hello arrived: its auth must follow within helloTimeoutMs. */
  spoke(connection: Connection): void {
    const entry = this.#pending.get(connection)
    if (entry === undefined || entry.hasSpoken) return
    entry.hasSpoken = true
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer)
    this.#arm(connection, entry, 'no auth after the hello')
  }

  /** The handshake ended, one way or the other. Idempotent. */
  release(connection: Connection): void {
    const entry = this.#pending.get(connection)
    if (entry === undefined) return
    this.#pending.delete(connection)
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer)
    decrement(this.#perSource, entry.source)
    decrement(this.#perGroup, entry.group)
  }

  /** Every pending connection, for stop(); releases them all. */
  drain(): Connection[] {
    const connections = [...this.#pending.keys()]
    for (const connection of connections) this.release(connection)
    return connections
  }

  /** Entries of each map, for the bounded-state tests. */
  sizes(): { pending: number; sources: number; groups: number } {
    return { pending: this.#pending.size, sources: this.#perSource.size, groups: this.#perGroup.size }
  }

  #arm(connection: Connection, entry: Pending, missing: string): void {
    entry.timer = this.clock.setTimeout(() => {
      entry.timer = undefined
      this.#silentTimeouts++
      this.release(connection)
      this.drop(connection, `${missing} within ${this.limits.helloTimeoutMs} ms`)
    }, this.limits.helloTimeoutMs)
  }

  /**
   * Whom a newcomer from a prefix group that would then hold `newcomerGroupCount` pushes out:
   * one from the fullest group, the oldest among equals (Map order). Undefined when every pending connection's group holds
   * fewer: the newcomer's own group is the fullest.
   */
  #firstToGo(newcomerGroupCount: number): Connection | undefined {
    let chosen: Connection | undefined
    let chosenCount = newcomerGroupCount - 1
    for (const [connection, entry] of this.#pending) {
      const count = this.#perGroup.get(entry.group) ?? 0
      if (count > chosenCount) {
        chosen = connection
        chosenCount = count
      }
    }
    return chosen
  }
}

function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1
  if (left > 0) counts.set(key, left)
  else counts.delete(key)
}
