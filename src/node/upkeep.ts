// Peer upkeep: a node with fewer than targetPeers sessions dials more, and a node left with
// none keeps trying every address it knows until it has peers again. Candidates, best first:
// one DHT contact for each of the farthest buckets no session covers (SPREAD_BUCKETS_SHARE),
// the address book (peers a full or pruning node redirected it to, former peers), the DHT's
// contacts near its own id, then the bootstrap addresses.
//
// The spread is what keeps the mesh one piece: sessions only to the contacts nearest its own
// id join a node to those sharing its leading bits, so without the bootstrap nodes (which
// every newcomer dials) the mesh falls apart along the first bit of the ids. A session in
// each far bucket (Kademlia's table shape, kept as sessions) links the halves, the quarters
// and so on. Sessions with a bootstrap node do not cover a bucket: they are the ones that go. A failed address waits out a
// backoff that doubles up to a minute, so a full node's refusal is never the final answer and
// a node whose only bootstrap address is down joins once it comes back.

import type { ConnectionManager } from '../peers/connection-manager.js'
import { ADDRESS_RETRY_BASE_MS, ADDRESS_RETRY_MAX_MS } from '../peers/address-book.js'
import type { PeerSession } from '../peers/session.js'
import type { Clock, TimerHandle } from '../util/clock.js'
import { toHex } from '../util/hex.js'
import { commonPrefixBits } from '../util/xor-distance.js'
import type { PeerInfo } from '../wire/messages.js'

/** Dials started in one round at most; a round dials what is missing up to this. */
export const MAX_DIALS_PER_ROUND = 8
/**
 * Rounds start() dials while no session has opened, each through the redirects the last one
 * brought: a flash crowd fills the bootstrap nodes and the peers they offer alike, and the
 * newcomers those peers took, offered in turn, have room. 4 rounds: at most 32 dials.
 */
export const MAX_JOIN_ROUNDS = 4
/**
 * Of targetPeers, up to this share (rounded up) go to the farthest buckets, one each: buckets
 * 0..3 at the default 8, which hold 15/16 of the id space; the rest go nearest its own id.
 */
export const SPREAD_BUCKETS_SHARE = 0.5
/** The next round after one that made progress, so the sessions it opened can settle first. */
const FOLLOW_UP_DELAY_MS = 100
/** Contacts of a bucket looked at for its spread dial (the first not connected and not in backoff is dialled). */
const SPREAD_CHOICES = 4

export interface UpkeepStats {
  /** No session is open (and the node has addresses to try, or had peers before). */
  readonly isIsolated: boolean
  /** Fewer sessions than targetPeers, and more are being sought. */
  readonly isBelowTarget: boolean
  readonly targetPeers: number
  /** Rounds of dials run, dials started and how many of them failed. */
  readonly rounds: number
  readonly dials: number
  readonly dialFailures: number
  /**
   * Dials to a peer that got in through one of its later addresses after an earlier one
   * failed (a WebSocket address after a WebRTC one that could not connect, say).
   */
  readonly dialFallbacks: number
  /** Times the node had no peers left and got some again. */
  readonly rejoins: number
  /** Milliseconds until the next round, when one is scheduled. */
  readonly nextRoundInMs: number | undefined
}

export interface UpkeepHooks {
  /** Contacts the DHT knows, nearest this node's id first (empty before the DHT runs). */
  dhtPeers(count: number): PeerInfo[]
  /** Contacts the DHT knows in one bucket (ids sharing exactly `bucket` leading bits with this node's), best first (empty before the DHT runs). */
  dhtBucketPeers(bucket: number, count: number): PeerInfo[]
  /** The node has no peers left (or none after start's join). */
  onIsolated(): void
  /** The node had none and has some again, after `rounds` rounds over `isolatedForMs`. */
  onRejoined(detail: { peers: number; isolatedForMs: number; rounds: number }): void
}

interface AddressRetry {
  failures: number
  retryAtMs: number
}

export class PeerUpkeep {
  readonly #manager: ConnectionManager
  readonly #clock: Clock
  readonly #targetPeers: number
  readonly #spreadBuckets: number
  readonly #bootstrap: readonly string[]
  readonly #hooks: UpkeepHooks
  /** Backoff of bootstrap addresses (bounded by the bootstrap list); peers' live in the address book. */
  readonly #bootstrapRetry = new Map<string, AddressRetry>()
  readonly #dialingKeys = new Set<string>()
  #timer: TimerHandle | undefined
  #timerAtMs = 0
  #isRunning = false
  #isInRound = false
  #isRoundWanted = false
  #isIsolated = false
  #isolatedSinceMs = 0
  #roundsWhileIsolated = 0
  #rounds = 0
  #dials = 0
  #dialFailures = 0
  #dialFallbacks = 0
  #rejoins = 0
  readonly #unsubscribers: (() => void)[] = []

  constructor(manager: ConnectionManager, bootstrap: readonly string[], hooks: UpkeepHooks) {
    this.#manager = manager
    this.#clock = manager.clock
    this.#targetPeers = manager.targetPeers
    this.#spreadBuckets = Math.ceil(manager.targetPeers * SPREAD_BUCKETS_SHARE)
    this.#bootstrap = bootstrap
    this.#hooks = hooks
  }

  /** Starts watching: every lost session below targetPeers brings a round. */
  start(): void {
    if (this.#isRunning) return
    this.#isRunning = true
    this.#unsubscribers.push(
      this.#manager.on('peer:disconnect', () => this.#onDisconnect()),
      this.#manager.on('peer:connect', () => this.#onConnect()),
    )
    this.#check()
  }

  stop(): void {
    this.#isRunning = false
    for (const unsubscribe of this.#unsubscribers.splice(0)) unsubscribe()
    this.#clearTimer()
  }

  stats(): UpkeepStats {
    const peers = this.#manager.peers().length
    return {
      isIsolated: this.#isIsolated,
      isBelowTarget: peers < this.#targetPeers && this.#hasAnythingToTry(),
      targetPeers: this.#targetPeers,
      rounds: this.#rounds,
      dials: this.#dials,
      dialFailures: this.#dialFailures,
      dialFallbacks: this.#dialFallbacks,
      rejoins: this.#rejoins,
      nextRoundInMs: this.#timer === undefined ? undefined : Math.max(0, this.#timerAtMs - this.#clock.now()),
    }
  }

  /** Internal, for tests and the simulator (src/node/sizes.ts). */
  sizes(): Record<string, number> {
    return { bootstrapRetry: this.#bootstrapRetry.size, dialingKeys: this.#dialingKeys.size, upkeepTimers: this.#timer === undefined ? 0 : 1 }
  }

  /**
   * One round: dials up to what is missing to targetPeers (at most MAX_DIALS_PER_ROUND) from
   * the best candidates, and resolves once those dials have settled. start() runs one before
   * the DHT joins, so a node refused by full bootstrap peers joins through their redirects.
   * With `bootstrap: false` it dials only peers it knows (start() tries stored peers so).
   */
  async round(options: { readonly bootstrap?: boolean } = {}): Promise<number> {
    if (this.#isInRound) return 0
    const missing = this.#targetPeers - this.#manager.peers().length
    if (missing <= 0) return 0
    const candidates = this.#candidates(Math.min(missing, MAX_DIALS_PER_ROUND), options.bootstrap ?? true)
    if (candidates.length === 0) return 0
    this.#isInRound = true
    this.#rounds++
    if (this.#isIsolated) this.#roundsWhileIsolated++
    try {
      await Promise.all(candidates.map((candidate) => this.#dial(candidate)))
    } finally {
      this.#isInRound = false
    }
    return candidates.length
  }

  /**
   * start() dials a bootstrap address: no round dials it meanwhile, and when it fails it waits
   * out a backoff before the upkeep dials it again. Resolves or rejects as `dial` does.
   */
  async trackBootstrapDial<T>(address: string, dial: Promise<T>): Promise<T> {
    this.#dialingKeys.add(address)
    try {
      return await dial
    } catch (error) {
      this.#backOffBootstrap(address, this.#clock.now())
      throw error
    } finally {
      this.#dialingKeys.delete(address)
    }
  }

  #backOffBootstrap(address: string, now: number): void {
    const retry = this.#bootstrapRetry.get(address) ?? { failures: 0, retryAtMs: 0 }
    retry.failures++
    retry.retryAtMs = now + Math.min(ADDRESS_RETRY_MAX_MS, ADDRESS_RETRY_BASE_MS * 2 ** (retry.failures - 1))
    this.#bootstrapRetry.set(address, retry)
  }

  #onDisconnect(): void {
    // Still at the target: nothing to check (a later disconnect that takes it below asks again).
    if (!this.#isRunning || this.#manager.peers().length >= this.#targetPeers) return
    // Deferred: a replaced session closes just before its successor opens.
    this.#schedule(0)
  }

  #onConnect(): void {
    if (this.#isRunning && this.#isIsolated) this.#noticeRejoin()
  }

  #noticeRejoin(): void {
    this.#isIsolated = false
    this.#rejoins++
    this.#hooks.onRejoined({ peers: this.#manager.peers().length, isolatedForMs: this.#clock.now() - this.#isolatedSinceMs, rounds: this.#roundsWhileIsolated })
  }

  /** Decides what comes next: nothing (enough peers), a round now, or one when a backoff ends. */
  #check(): void {
    if (!this.#isRunning) return
    const peers = this.#manager.peers().length
    if (peers > 0 && this.#isIsolated) this.#noticeRejoin()
    if (peers >= this.#targetPeers) return
    if (peers === 0 && !this.#isIsolated && this.#hasAnythingToTry()) {
      this.#isIsolated = true
      this.#isolatedSinceMs = this.#clock.now()
      this.#roundsWhileIsolated = 0
      this.#hooks.onIsolated()
    }
    if (this.#isInRound) {
      this.#isRoundWanted = true
      return
    }
    const now = this.#clock.now()
    if (this.#hasDialableNow(now)) {
      void this.#runRound()
      return
    }
    const next = this.#nextRetryAtMs(now)
    if (next !== undefined) this.#schedule(next - now)
  }

  async #runRound(): Promise<void> {
    const before = this.#manager.peers().length
    const dialled = await this.round()
    if (!this.#isRunning) return
    const gained = this.#manager.peers().length > before
    if (gained || this.#isRoundWanted) {
      this.#isRoundWanted = false
      this.#schedule(FOLLOW_UP_DELAY_MS)
      return
    }
    // Nothing gained: the next round waits for a backoff to end (never a spin on microtasks).
    const now = this.#clock.now()
    const next = this.#nextRetryAtMs(now)
    if (next !== undefined) this.#schedule(next - now)
    else if (dialled > 0) this.#schedule(FOLLOW_UP_DELAY_MS)
  }

  #schedule(delayMs: number): void {
    if (!this.#isRunning) return
    const at = this.#clock.now() + Math.max(0, delayMs)
    if (this.#timer !== undefined && this.#timerAtMs <= at) return
    this.#clearTimer()
    this.#timerAtMs = at
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined
      this.#check()
    }, Math.max(1, delayMs))
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }

  // ---------------------------------------------------------------------------------------
  // Candidates

  readonly #isConnectedOrDialing = (peerKey: string): boolean => this.#dialingKeys.has(peerKey) || this.#manager.hasSession(peerKey)

  #candidates(count: number, withBootstrap = true): Candidate[] {
    const now = this.#clock.now()
    const book = this.#manager.addressBook
    const spread = this.#spreadPeers(count, now)
    const isTaken = new Set(spread.map((info) => toHex(info.id)))
    const isSkipped = (peerKey: string) => isTaken.has(peerKey) || this.#isConnectedOrDialing(peerKey)
    const rest = count - spread.length
    let peers = book.dialable(now, rest, isSkipped)
    if (peers.length < rest && this.#learnDhtPeers(rest * 2) > 0) peers = this.#preferOlder(peers, book.dialable(now, rest, isSkipped), rest)
    const out: Candidate[] = [...spread, ...peers].map((info) => ({ kind: 'peer', info }))
    for (const address of withBootstrap ? this.#bootstrap : []) {
      if (out.length >= count) break
      if (this.#isBootstrapDialable(address, now)) out.push({ kind: 'bootstrap', address })
    }
    return out
  }

  /**
   * One DHT contact for each of the farthest #spreadBuckets buckets that no kept session
   * covers (transient and bootstrap sessions aside), farthest first, at most `count`; each joins the address
   * book, so a failed one waits out its backoff there.
   */
  #spreadPeers(count: number, now: number): PeerInfo[] {
    const localId = this.#manager.identity.peerId
    const covered = new Set<number>()
    for (const session of this.#manager.keptPeers()) {
      if (!this.#isBootstrapSession(session)) covered.add(commonPrefixBits(localId, session.peerId))
    }
    const book = this.#manager.addressBook
    const out: PeerInfo[] = []
    for (let bucket = 0; bucket < this.#spreadBuckets && out.length < count; bucket++) {
      if (covered.has(bucket)) continue
      const info = this.#hooks.dhtBucketPeers(bucket, SPREAD_CHOICES).find((contact) => {
        const key = toHex(contact.id)
        return !this.#isConnectedOrDialing(key) && book.isDialable(key, now)
      })
      if (info === undefined) continue
      if (!book.has(toHex(info.id))) book.add(info)
      out.push(info)
    }
    return out
  }

  #isBootstrapSession(session: PeerSession): boolean {
    return this.#bootstrap.includes(session.remoteAddress) || session.listenAddresses.some((address) => this.#bootstrap.includes(address))
  }

  /** DHT contacts join the address book, so a failed one waits out its backoff there; returns how many were new. */
  #learnDhtPeers(count: number): number {
    const book = this.#manager.addressBook
    let learned = 0
    for (const info of this.#hooks.dhtPeers(count)) {
      const key = toHex(info.id)
      if (this.#isConnectedOrDialing(key) || book.has(key)) continue
      book.add(info)
      learned++
    }
    return learned
  }

  /** `first` (what the book offered before), then entries of `then` not among them, up to `count`. */
  #preferOlder(first: PeerInfo[], then: PeerInfo[], count: number): PeerInfo[] {
    const chosen = new Set(first)
    const out = [...first]
    for (const info of then) {
      if (out.length >= count) break
      if (!chosen.has(info)) out.push(info)
    }
    return out
  }

  #isBootstrapDialable(address: string, now: number): boolean {
    if ((this.#bootstrapRetry.get(address)?.retryAtMs ?? 0) > now || this.#dialingKeys.has(address)) return false
    return !this.#manager.peers().some((session: PeerSession) => session.listenAddresses.includes(address))
  }

  #hasDialableNow(now: number): boolean {
    this.#learnDhtPeers(MAX_DIALS_PER_ROUND)
    if (this.#manager.addressBook.dialable(now, 1, this.#isConnectedOrDialing).length > 0) return true
    return this.#bootstrap.some((address) => this.#isBootstrapDialable(address, now))
  }

  #hasAnythingToTry(): boolean {
    return this.#bootstrap.length > 0 || this.#manager.addressBook.size > 0
  }

  #nextRetryAtMs(now: number): number | undefined {
    let next = this.#manager.addressBook.nextRetryAtMs(now)
    for (const retry of this.#bootstrapRetry.values()) {
      if (retry.retryAtMs > now && (next === undefined || retry.retryAtMs < next)) next = retry.retryAtMs
    }
    return next
  }

  async #dial(candidate: Candidate): Promise<void> {
    const key = candidate.kind === 'peer' ? toHex(candidate.info.id) : candidate.address
    this.#dialingKeys.add(key)
    this.#dials++
    try {
      if (candidate.kind === 'bootstrap') {
        await this.#manager.connect(candidate.address, { maxRetries: 0 })
        this.#bootstrapRetry.delete(candidate.address)
        return
      }
      const addresses = this.#manager.dialOrder(candidate.info.addresses)
      let lastError: unknown = new Error('no address of this peer is one our transport dials')
      for (const [i, address] of addresses.entries()) {
        try {
          await this.#manager.connect(address, { expectedPeerId: candidate.info.id, maxRetries: 0 })
          if (i > 0) this.#dialFallbacks++
          return
        } catch (error) {
          lastError = error
          if (!this.#isRunning) break
        }
      }
      throw lastError
    } catch {
      // Counted and backed off; what a refusal offered instead is in the address book already.
      this.#dialFailures++
      const now = this.#clock.now()
      if (candidate.kind === 'peer') this.#manager.addressBook.markFailed(key, now)
      else this.#backOffBootstrap(key, now)
    } finally {
      this.#dialingKeys.delete(key)
    }
  }
}

type Candidate = { readonly kind: 'peer'; readonly info: PeerInfo } | { readonly kind: 'bootstrap'; readonly address: string }

