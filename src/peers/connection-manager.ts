// The connection manager: the PeerNetwork over a real transport. It accepts and dials
// connections, authenticates each with the handshake, keeps at most maxPeers sessions (one
// per peer id), retries failed dials with backoff, and bans peers whose score falls too low.
// A full node redirects newcomers to some of its peers instead of only refusing them, and
// above its high watermark it prunes the least useful sessions (see #prune).

import type { Core, PriorityQueue, RateLimiter } from '../core/contracts.js'
import { loadCoreSync } from '../core/load-core.js'
import { LIMITER_MAX_RATE } from '../core/rate-limiter-options.js'
import { addressesOf, dialOrderOf } from '../transport/addresses.js'
import { TransportError } from '../transport/errors.js'
import type { Connection } from '../transport/transport.js'
import { BatchedTimers } from '../util/batched-timers.js'
import type { Clock, TimerHandle } from '../util/clock.js'
import type { RandomSource } from '../util/random.js'
import { checkBytes, checkInteger, describeValue } from '../util/validate.js'
import { MAX_MESSAGES_PER_FRAME } from '../wire/limits.js'
import { GoodbyeReason, type PeerInfo } from '../wire/messages.js'
import { AddressBook } from './address-book.js'
import { backoffDelayMs } from './backoff.js'
import { classifyDialFailure } from './dial-failure.js'
import { DuplicateConnection, handshakeOver, refuseConnection, type HandshakeRun, type Refusal } from './connection-handshake.js'
import { PeerError } from './errors.js'
import { bytesEqual, PEER_ID_BYTES, type Identity } from './identity.js'
import { prefixOf } from './address-source.js'
import { inboundToEvict } from './inbound-eviction.js'
import { PendingHandshakes } from './pending-handshakes.js'
import { pruneOrder, redirectSample, type RetentionAdvisor } from './prune-policy.js'
import { MAX_BANS, resolveOptions, type ConnectionManagerOptions, type ResolvedOptions } from './options.js'
import { ManagedSession, newTrafficCounters, toHex, type DropReason, type SessionHost, type TrafficCounters } from './peer-session.js'
import type { Misbehaviour, PeerNetwork, PeerNetworkEvents, PeerSession } from './session.js'

export interface ConnectOptions {
  /** The peer id the address should lead to; another key is refused (HANDSHAKE_ID_MISMATCH). */
  expectedPeerId?: Uint8Array
  /** Aborting rejects the connect with PeerError('PEER_ABORTED'), name 'AbortError'. */
  signal?: AbortSignal
  /** Re-dials after a failed dial for this connect, 0 to 16. Default: the manager's maxRetries. */
  maxRetries?: number
  /**
   * The session is for a request or two (a DHT lookup step): it closes after transientIdleMs
   * without messages and never counts towards targetPeers. A connect without it to the same
   * peer makes the session a kept one. Default false.
   */
  isTransient?: boolean
}

export type { RetentionAdvisor } from './prune-policy.js'

export interface PeerStats {
  readonly peerKey: string
  readonly direction: 'inbound' | 'outbound'
  readonly score: number
  readonly queueDepth: number
  readonly messagesIn: number
  readonly messagesOut: number
}

export interface ConnectionManagerStats {
  /** Open sessions. */
  readonly peers: number
  readonly inbound: number
  readonly outbound: number
  /** Handshakes under way, either direction. */
  readonly handshaking: number
  readonly messagesIn: number
  readonly messagesOut: number
  readonly bytesIn: number
  readonly bytesOut: number
  readonly framesIn: number
  readonly framesOut: number
  readonly dropped: Readonly<Record<DropReason, number>>
  readonly penalties: Readonly<Record<Misbehaviour, number>>
  readonly handshakeFailures: number
  /** Inbound connections turned away before their hello (pending-handshakes.ts). */
  readonly pendingHandshakes: {
    /** Closed without a hello to make room for a newer connection. */
    readonly evicted: number
    /** Closed for sending no hello within helloTimeoutMs. */
    readonly helloTimeouts: number
    /** Refused on arrival: their source's share, or every slot, was taken by connections that had spoken. */
    readonly refused: number
  }
  /** The same failures by error code (HANDSHAKE_ID_MISMATCH, HANDSHAKE_BAD_SIGNATURE, PEER_BANNED, ...). */
  readonly handshakeFailuresByCode: Readonly<Record<string, number>>
  readonly dialAttempts: number
  /** Dials that made way in glare (both sides dialled at once) and took the peer's own connection instead (TRANSPORT_GLARE). */
  readonly glareWaits: number
  readonly bans: number
  /** Sessions closed to get back under the low watermark. */
  readonly pruned: number
  /** Inbound sessions closed at maxPeers for a newcomer from a less crowded address prefix (inbound-eviction.ts). */
  readonly inboundEvictions: number
  /** Inbound newcomers refused because their address prefix held maxInboundPerPrefix inbound sessions already. */
  readonly prefixShareRefusals: number
  /** Redirects sent (to newcomers refused as full, and to pruned peers) and received. */
  readonly redirectsSent: number
  readonly redirectsReceived: number
  /** Peers in the address book: learned from redirects and from sessions that closed. */
  readonly knownPeers: number
  /** Outgoing messages queued, over all sessions. */
  readonly queueDepth: number
  /** Bytes the sessions' outgoing priority queue structures hold now, summed. */
  readonly queueBytes: number
  /** Payload bytes waiting to go out, summed over sessions: queued messages and the links' bufferedAmount. */
  readonly bufferedBytes: number
  /** Bytes of session frames held by handshakes under way (arrived while the remote auth was verified). */
  readonly handshakeBufferedBytes: number
  /** Sessions closed because the peer kept its link pushed back for slowPeerTimeoutMs (a slow consumer). */
  readonly slowPeersCut: number
  /** Times a peer's link stopped being read for a while because its frames passed the frame budget (WebSocket and memory links; a data channel cannot stop reading). */
  readonly readPauses: number
  readonly perPeer: readonly PeerStats[]
}

type State = 'new' | 'running' | 'stopped'
type Handlers = { [E in keyof PeerNetworkEvents]: Set<PeerNetworkEvents[E]> }

/** A connect() in its backoff wait, so stop() can cancel it. */
interface PendingConnect {
  timer: TimerHandle | undefined
  readonly controller: AbortController
}

export class ConnectionManager implements PeerNetwork {
  readonly identity: Identity
  readonly clock: Clock
  readonly random: RandomSource
  readonly #options: ResolvedOptions
  readonly #core: Core
  readonly #counters: TrafficCounters = newTrafficCounters()
  readonly #sessions = new Map<string, ManagedSession>()
  /** Inbound sessions in #sessions by address prefix (exempt ones, prefix undefined, not counted): what the per-prefix share is checked against on every hello. */
  readonly #inboundByPrefix = new Map<string, number>()
  readonly #bans = new Map<string, number>()
  readonly #handlers: Handlers = { 'peer:connect': new Set(), 'peer:disconnect': new Set(), message: new Set() }
  readonly #pendingConnects = new Set<PendingConnect>()
  readonly #handshakes = new Set<Connection>()
  readonly #pendingInbound: PendingHandshakes
  readonly #dialing = new Map<string, Promise<PeerSession>>()
  /** The session each dialled address led to, while it is open. */
  readonly #dialled = new Map<string, ManagedSession>()
  /** Connects whose connection the remote closed as a duplicate, waiting for the session that won. */
  readonly #sessionWaiters = new Map<string, Set<(session: ManagedSession) => void>>()
  readonly #freeHandles: number[] = []
  #nextHandle = 0
  #limiter: RateLimiter | undefined
  #relayLimiter: RateLimiter | undefined
  #frameLimiter: RateLimiter | undefined
  #state: State = 'new'
  #handshakeFailures = 0
  #handshakeBufferedBytes = 0
  /** Bounded by the handful of error codes a handshake can end with. */
  readonly #handshakeFailuresByCode = new Map<string, number>()
  #dialAttempts = 0
  #glareWaits = 0
  #pruned = 0
  #inboundEvictions = 0
  #prefixShareRefusals = 0
  /** Keys the choice of prefixes inbound eviction protects; drawn at the first eviction. */
  #prefixKey: number | undefined
  #redirectsSent = 0
  #redirectsReceived = 0
  /** Where to find more peers when this node needs them (MeshNode's upkeep dials from it). */
  readonly addressBook = new AddressBook()
  readonly #retentionAdvisors = new Set<RetentionAdvisor>()
  readonly #host: SessionHost

  constructor(options: ConnectionManagerOptions) {
    this.#options = resolveOptions(options)
    this.identity = this.#options.identity
    this.clock = this.#options.clock
    this.random = this.#options.random
    this.#core = this.#options.core ?? loadCoreSync()
    const manager = this
    const resolved = this.#options
    this.#pendingInbound = new PendingHandshakes(
      { maxPending: resolved.maxPendingHandshakes, maxPerSource: resolved.maxPendingHandshakesPerSource, helloTimeoutMs: resolved.helloTimeoutMs },
      this.clock,
      (connection, why) => refuseConnection(connection, GoodbyeReason.BUSY, why),
    )
    this.#host = {
      options: resolved,
      get limiter() {
        return manager.#limiter!
      },
      get relayLimiter() {
        return manager.#relayLimiter!
      },
      get frameLimiter() {
        return manager.#frameLimiter!
      },
      get frameBudgetPerSec() {
        return manager.#frameBudgetPerSec()
      },
      counters: this.#counters,
      flushTimers: new BatchedTimers(this.clock),
      createQueue: (): PriorityQueue => this.#core.createPriorityQueue({ capacity: resolved.queueCapacity, levels: 4, agingMs: resolved.queueAgingMs }),
      deliver: (session, message) => this.#emit('message', session, message),
      ban: (session) => this.#ban(session.peerKey),
      isOverTarget: () => this.#outboundSessions() > resolved.targetPeers,
      closed: (session, reason) => this.#onSessionClosed(session, reason),
      redirected: (_session, peers) => {
        this.#redirectsReceived++
        this.#learn(peers)
      },
    }
  }

  get isRunning(): boolean {
    return this.#state === 'running'
  }

  /**
   * Messages a second a peer's frames may claim: its own and relay budgets together, held to the
   * rate limiter's largest rate (each budget may be that rate; a billion a second limits nothing).
   */
  #frameBudgetPerSec(): number {
    return Math.min(this.#options.rateLimitPerPeer + this.#options.relayRateLimitPerPeer, LIMITER_MAX_RATE)
  }

  /** Listens on the transport. Throws PEER_INVALID_STATE when started before or stopped. */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new PeerError('PEER_INVALID_STATE', `start() may be called once, on a new manager; this one is ${this.#state}`)
    this.#state = 'running'
    const { rateLimitPerPeer, relayRateLimitPerPeer, maxPeers } = this.#options
    this.#limiter = this.#core.createRateLimiter({ ratePerSec: rateLimitPerPeer, burst: rateLimitPerPeer, peers: maxPeers })
    this.#relayLimiter = this.#core.createRateLimiter({ ratePerSec: relayRateLimitPerPeer, burst: relayRateLimitPerPeer, peers: maxPeers })
    // Both budgets together, and a burst that always takes one full frame.
    const frameBudget = this.#frameBudgetPerSec()
    this.#frameLimiter = this.#core.createRateLimiter({ ratePerSec: frameBudget, burst: Math.max(frameBudget, MAX_MESSAGES_PER_FRAME), peers: maxPeers })
    await this.#options.transport.listen((connection) => this.#onInbound(connection))
  }

  /** Says goodbye to every peer, cancels pending connects and handshakes, closes the transport. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return
    const wasRunning = this.#state === 'running'
    this.#state = 'stopped'
    for (const pending of this.#pendingConnects) {
      if (pending.timer !== undefined) this.clock.clearTimeout(pending.timer)
      pending.timer = undefined
      pending.controller.abort(new PeerError('PEER_STOPPED', 'the connection manager stopped'))
    }
    this.#pendingInbound.drain()
    for (const connection of this.#handshakes) refuseConnection(connection, GoodbyeReason.SHUTDOWN, 'shutting down')
    for (const session of [...this.#sessions.values()]) session.closeWith(GoodbyeReason.SHUTDOWN, 'shutting down')
    await this.#options.transport.close()
    if (wasRunning) {
      this.#limiter?.free()
      this.#relayLimiter?.free()
      this.#frameLimiter?.free()
    }
  }

  peers(): readonly PeerSession[] {
    return [...this.#sessions.values()]
  }

  /** Open sessions but those dialled for a request or two (transient, on either side): the ones that last. */
  keptPeers(): PeerSession[] {
    const out: PeerSession[] = []
    for (const session of this.#sessions.values()) if (!session.isTransient && !session.isRemoteTransient) out.push(session)
    return out
  }

  peer(peerId: Uint8Array): PeerSession | undefined {
    return peerId instanceof Uint8Array && peerId.length === PEER_ID_BYTES ? this.#sessions.get(toHex(peerId)) : undefined
  }

  /** True while a session with the peer of this lowercase hex id is open. */
  hasSession(peerKey: string): boolean {
    return this.#sessions.has(peerKey)
  }

  /** Of one peer's addresses, those the transport dials, in the order to try them (each later one a fallback). */
  dialOrder(addresses: readonly string[]): string[] {
    return dialOrderOf(this.#options.transport, addresses)
  }

  /** Dialled sessions kept however idle; MeshNode dials more while it has fewer sessions. */
  get targetPeers(): number {
    return this.#options.targetPeers
  }

  /** True while `peerId` is refused for misbehaving. */
  isBanned(peerId: Uint8Array): boolean {
    return this.#isBanned(toHex(peerId))
  }

  on<E extends keyof PeerNetworkEvents>(event: E, handler: PeerNetworkEvents[E]): () => void {
    const handlers = this.#handlers[event] as Set<PeerNetworkEvents[E]> | undefined
    if (handlers === undefined) throw new PeerError('PEER_INVALID_ARGUMENT', `unknown event ${describeValue(event)}`)
    if (typeof handler !== 'function') throw new PeerError('PEER_INVALID_ARGUMENT', 'an event handler must be a function')
    handlers.add(handler)
    return () => handlers.delete(handler)
  }

  /** Adds a say in which sessions pruning keeps; returns the function that removes it. */
  addRetentionAdvisor(advisor: RetentionAdvisor): () => void {
    if (typeof advisor !== 'function') throw new PeerError('PEER_INVALID_ARGUMENT', 'a retention advisor must be a function')
    this.#retentionAdvisors.add(advisor)
    return () => this.#retentionAdvisors.delete(advisor)
  }

  /**
   * Connects to `address` and authenticates the peer there. Resolves with its session, an
   * open one when there is one already. Failed dials are retried maxRetries times with
   * exponential backoff; refusals (wrong id, banned, full, version) are not.
   */
  connect(address: string, options: ConnectOptions = {}): Promise<PeerSession> {
    try {
      if (typeof address !== 'string' || address.length === 0) throw new PeerError('PEER_INVALID_ARGUMENT', `address must be a non-empty string, got ${describeValue(address)}`)
      if (typeof options !== 'object' || options === null) throw new PeerError('PEER_INVALID_ARGUMENT', 'connect options must be an object')
      const { expectedPeerId, signal } = options
      const isTransient = options.isTransient === true
      const maxRetries = options.maxRetries === undefined ? this.#options.maxRetries : checkInteger('maxRetries', options.maxRetries, 0, 16, (message) => new PeerError('PEER_INVALID_ARGUMENT', message))
      if (expectedPeerId !== undefined) checkBytes('expectedPeerId', expectedPeerId, PEER_ID_BYTES, (message) => new PeerError('PEER_INVALID_ARGUMENT', message))
      if (signal !== undefined && !(signal instanceof AbortSignal)) throw new PeerError('PEER_INVALID_ARGUMENT', 'signal must be an AbortSignal')
      if (this.#state !== 'running') throw new PeerError('PEER_INVALID_STATE', `connect() needs a started manager; this one is ${this.#state}`)
      if (signal?.aborted) throw new PeerError('PEER_ABORTED', 'the connect was aborted', { cause: signal.reason })
      if (expectedPeerId !== undefined) {
        if (bytesEqual(expectedPeerId, this.identity.peerId)) throw new PeerError('PEER_SELF', 'the expected peer id is this node’s own')
        const key = toHex(expectedPeerId)
        const open = this.#sessions.get(key)
        if (open !== undefined) return Promise.resolve(claimed(open, isTransient))
        if (this.#isBanned(key)) throw new PeerError('PEER_BANNED', `peer ${key.slice(0, 16)}… is banned for misbehaving`)
      }
      const dialled = this.#dialled.get(address)
      if (dialled?.isOpen && (expectedPeerId === undefined || bytesEqual(dialled.peerId, expectedPeerId))) return Promise.resolve(claimed(dialled, isTransient))
      if (addressesOf(this.#options.transport).includes(address)) throw new PeerError('PEER_SELF', `${address} is this node’s own address`)
      // Concurrent connects to one address share one dial, so a pair never races itself.
      const dialKey = `${address}\n${expectedPeerId === undefined ? '' : toHex(expectedPeerId)}\n${maxRetries}\n${isTransient}`
      const shared = signal === undefined ? this.#dialing.get(dialKey) : undefined
      if (shared !== undefined) return shared
      const dial = this.#connectWithRetries(address, expectedPeerId, signal, maxRetries, isTransient).then((session) => claimed(session, isTransient))
      if (signal === undefined) {
        this.#dialing.set(dialKey, dial)
        const forget = () => this.#dialing.delete(dialKey)
        dial.then(forget, forget)
      }
      return dial
    } catch (error) {
      return Promise.reject(error)
    }
  }

  stats(): ConnectionManagerStats {
    let inbound = 0
    let queueDepth = 0
    let queueBytes = 0
    let bufferedBytes = 0
    const perPeer: PeerStats[] = []
    for (const session of this.#sessions.values()) {
      if (session.direction === 'inbound') inbound++
      queueDepth += session.queueDepth
      queueBytes += session.queueBytes
      bufferedBytes += session.bufferedBytes
      perPeer.push({
        peerKey: session.peerKey,
        direction: session.direction,
        score: session.score(),
        queueDepth: session.queueDepth,
        messagesIn: session.messagesIn,
        messagesOut: session.messagesOut,
      })
    }
    const c = this.#counters
    return {
      peers: this.#sessions.size,
      inbound,
      outbound: this.#sessions.size - inbound,
      handshaking: this.#handshakes.size,
      messagesIn: c.messagesIn,
      messagesOut: c.messagesOut,
      bytesIn: c.bytesIn,
      bytesOut: c.bytesOut,
      framesIn: c.framesIn,
      framesOut: c.framesOut,
      dropped: { ...c.dropped },
      penalties: { ...c.penalties },
      handshakeFailures: this.#handshakeFailures,
      pendingHandshakes: { evicted: this.#pendingInbound.evicted, helloTimeouts: this.#pendingInbound.silentTimeouts, refused: this.#pendingInbound.refused },
      handshakeFailuresByCode: Object.fromEntries(this.#handshakeFailuresByCode),
      dialAttempts: this.#dialAttempts,
      glareWaits: this.#glareWaits,
      bans: this.#bans.size,
      pruned: this.#pruned,
      inboundEvictions: this.#inboundEvictions,
      prefixShareRefusals: this.#prefixShareRefusals,
      redirectsSent: this.#redirectsSent,
      redirectsReceived: this.#redirectsReceived,
      knownPeers: this.addressBook.size,
      queueDepth,
      queueBytes,
      bufferedBytes,
      handshakeBufferedBytes: this.#handshakeBufferedBytes,
      slowPeersCut: c.slowPeersCut,
      readPauses: c.readPauses,
      perPeer,
    }
  }

  /** Internal, for tests and the simulator (src/node/sizes.ts): entries of each long-lived map and set. */
  sizes(): Record<string, number> {
    let handlers = 0
    for (const set of Object.values(this.#handlers)) handlers += set.size
    return {
      sessions: this.#sessions.size,
      bans: this.#bans.size,
      handlers,
      pendingConnects: this.#pendingConnects.size,
      handshakes: this.#handshakes.size,
      pendingInbound: this.#pendingInbound.size,
      dialing: this.#dialing.size,
      dialled: this.#dialled.size,
      sessionWaiters: this.#sessionWaiters.size,
      freeHandles: this.#freeHandles.length,
      addressBook: this.addressBook.size,
      retentionAdvisors: this.#retentionAdvisors.size,
      handshakeFailureCodes: this.#handshakeFailuresByCode.size,
    }
  }

  // ---------------------------------------------------------------------------------------
  // Dialing

  async #connectWithRetries(address: string, expectedPeerId: Uint8Array | undefined, signal: AbortSignal | undefined, maxRetries: number, isTransient: boolean): Promise<ManagedSession> {
    const pending: PendingConnect = { timer: undefined, controller: new AbortController() }
    const onAbort = () => pending.controller.abort(new PeerError('PEER_ABORTED', 'the connect was aborted', { cause: signal?.reason }))
    signal?.addEventListener('abort', onAbort)
    this.#pendingConnects.add(pending)
    const attemptSignal = pending.controller.signal
    const { retryBaseMs, retryJitter } = this.#options
    try {
      for (let retry = 0; ; retry++) {
        if (retry > 0) await this.#wait(pending, backoffDelayMs(retry, retryBaseMs, retryJitter, this.random))
        try {
          const session = await this.#dialOnce(address, expectedPeerId, attemptSignal, isTransient)
          this.addressBook.markConnected(session.peerKey)
          return session
        } catch (error) {
          if (attemptSignal.aborted) throw attemptSignal.reason
          // A refusal is not the end of the road: the peers it offered go to the address book.
          if (error instanceof PeerError && error.redirect.length > 0) {
            this.#redirectsReceived++
            this.#learn(error.redirect)
          }
          if (classifyDialFailure(error) === 'final') throw error
          // A busy peer answered: its refusal, not "unreachable", is the last word.
          if (retry === maxRetries && error instanceof PeerError) throw error
          if (retry === maxRetries) {
            throw new PeerError('PEER_UNREACHABLE', `could not connect to ${address} in ${maxRetries + 1} attempts; the last failed with: ${(error as Error).message}`, { cause: error })
          }
        }
      }
    } finally {
      signal?.removeEventListener('abort', onAbort)
      if (pending.timer !== undefined) this.clock.clearTimeout(pending.timer)
      this.#pendingConnects.delete(pending)
    }
  }

  #wait(pending: PendingConnect, delayMs: number): Promise<void> {
    const signal = pending.controller.signal
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason)
        return
      }
      const onAbort = () => {
        if (pending.timer !== undefined) this.clock.clearTimeout(pending.timer)
        pending.timer = undefined
        reject(signal.reason)
      }
      signal.addEventListener('abort', onAbort, { once: true })
      pending.timer = this.clock.setTimeout(() => {
        pending.timer = undefined
        signal.removeEventListener('abort', onAbort)
        resolve()
      }, delayMs)
    })
  }

  async #dialOnce(address: string, expectedPeerId: Uint8Array | undefined, signal: AbortSignal, isTransient: boolean): Promise<ManagedSession> {
    this.#dialAttempts++
    let connection: Connection
    try {
      connection = await this.#options.transport.dial(address, { signal })
    } catch (error) {
      if (!(error instanceof TransportError && error.code === 'TRANSPORT_GLARE')) throw error
      // Both sides dialled at once and the transport made way: the peer's own connection came
      // in, and the session its handshake makes is the one this connect asked for.
      this.#glareWaits++
      const session = expectedPeerId === undefined
        ? await this.#awaitSession(inboundWaitKey(address), () => this.#inboundSessionFrom(address), signal, error)
        : await this.#awaitSession(toHex(expectedPeerId), () => this.#sessions.get(toHex(expectedPeerId)), signal, error)
      if (session.isOpen) this.#dialled.set(address, session)
      return session
    }
    if (this.#state !== 'running') {
      connection.close('shutting down')
      throw new PeerError('PEER_STOPPED', 'the connection manager stopped')
    }
    let session: ManagedSession
    try {
      session = this.#admit(connection, await this.#authenticate(connection, expectedPeerId, signal, isTransient), isTransient)
    } catch (error) {
      if (!(error instanceof DuplicateConnection)) throw error
      const key = toHex(error.remotePeerId)
      session = await this.#awaitSession(key, () => this.#sessions.get(key), signal, error)
    }
    // A session that closed meanwhile (a goodbye among its early frames) has left the maps
    // already; remembering it here would keep the entry for good.
    if (session.isOpen) this.#dialled.set(address, session)
    return session
  }

  #inboundSessionFrom(address: string): ManagedSession | undefined {
    for (const session of this.#sessions.values()) if (session.direction === 'inbound' && session.remoteAddress === address) return session
    return undefined
  }

  /**
   * The session `find()` finds, now or once the connection that won a duplicate race (or a
   * glare) completes, as #admit tells the waiters of `waitKey` (a peer key, or an
   * inboundWaitKey); rejects with `refusal` if none does within handshakeTimeoutMs.
   */
  #awaitSession(waitKey: string, find: () => ManagedSession | undefined, signal: AbortSignal, refusal: Error): Promise<ManagedSession> {
    const open = find()
    if (open !== undefined) return Promise.resolve(open)
    return new Promise<ManagedSession>((resolve, reject) => {
      const waiters = this.#sessionWaiters.get(waitKey) ?? new Set()
      this.#sessionWaiters.set(waitKey, waiters)
      const settle = () => {
        this.clock.clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        waiters.delete(onSession)
        if (waiters.size === 0 && this.#sessionWaiters.get(waitKey) === waiters) this.#sessionWaiters.delete(waitKey)
      }
      const onSession = (session: ManagedSession) => {
        settle()
        resolve(session)
      }
      const onAbort = () => {
        settle()
        reject(signal.reason)
      }
      const timer = this.clock.setTimeout(() => {
        settle()
        reject(refusal)
      }, this.#options.handshakeTimeoutMs)
      waiters.add(onSession)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  // ---------------------------------------------------------------------------------------
  // Accepting

  #onInbound(connection: Connection): void {
    if (this.#state !== 'running') {
      connection.close('not running')
      return
    }
    // Unauthenticated connections cost a timer, a buffer and a signature each: they are
    // bounded apart from sessions, per source and in time (pending-handshakes.ts).
    const admitted = this.#pendingInbound.admit(connection)
    if (!admitted.ok) {
      // For now, not for good: the waiting room empties within a round trip or two.
      refuseConnection(connection, GoodbyeReason.BUSY, admitted.why)
      return
    }
    const pending = this.#pendingInbound
    this.#authenticate(connection, undefined, undefined, false, () => pending.spoke(connection))
      .then((run) => {
        this.#admit(connection, run)
      })
      .catch(() => {
        // An inbound refusal has no caller to reach: the connection is closed with a goodbye
        // and the failure is counted (stats().handshakeFailures).
      })
      .finally(() => pending.release(connection))
  }

  async #authenticate(connection: Connection, expectedPeerId: Uint8Array | undefined, signal: AbortSignal | undefined, isTransient = false, onHello?: () => void): Promise<HandshakeRun> {
    this.#handshakes.add(connection)
    // One of this node's own first targetPeers dials is never refused as full (reserved slots, see #admit).
    const isReservedDial = connection.direction === 'outbound' && !isTransient && this.#outboundSessions() < this.#options.targetPeers
    const screen = (peerId: Uint8Array) => {
      onHello?.()
      return this.#screen(peerId, isReservedDial, connection)
    }
    try {
      return await handshakeOver(connection, this.#options, { expectedPeerId, signal, isTransient, screen, onBuffered: this.#onHandshakeBuffered })
    } catch (error) {
      this.#handshakeFailures++
      const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : 'OTHER'
      this.#handshakeFailuresByCode.set(code, (this.#handshakeFailuresByCode.get(code) ?? 0) + 1)
      throw error
    } finally {
      this.#handshakes.delete(connection)
    }
  }

  readonly #onHandshakeBuffered = (deltaBytes: number): void => {
    this.#handshakeBufferedBytes += deltaBytes
  }

  // Turns a peer away as soon as its hello names it, before anything is signed for it.
  #screen(peerId: Uint8Array, isReservedDial: boolean, connection: Connection): Refusal | undefined {
    const key = toHex(peerId)
    if (this.#isBanned(key)) {
      return { goodbye: GoodbyeReason.PROTOCOL_ERROR, error: new PeerError('PEER_BANNED', `peer ${key.slice(0, 16)}… is banned for misbehaving`) }
    }
    const isInbound = connection.direction === 'inbound'
    const prefix = isInbound ? prefixOf(connection.remoteAddress) : undefined
    if (isInbound && !this.#sessions.has(key) && this.#isPrefixFull(prefix)) return this.#prefixShareRefusal(peerId, key, prefix!)
    // Full, and nothing prunable or evictable to make room: the newcomer gets a redirect instead.
    if (!isReservedDial && this.#sessions.size >= this.#options.maxPeers && !this.#sessions.has(key) && !this.#canMakeRoomFor(isInbound, prefix)) {
      const redirect = this.#redirectSample(peerId, key)
      if (redirect.length > 0) this.#redirectsSent++
      return { goodbye: GoodbyeReason.TOO_MANY_PEERS, error: new PeerError('PEER_TOO_MANY_PEERS', `this node already has ${this.#options.maxPeers} peers (maxPeers)`), redirect }
    }
    return undefined
  }

  /**
   * Makes an authenticated connection a session, or keeps the session already open to the
   * same peer. When both sides dialled at once, both keep the connection dialled by the
   * lower peer id, so they agree without a message. Two connections dialled the same way
   * (one side dialled two addresses of one peer at once) are the one case the sides may
   * settle differently, when the two handshakes finish in opposite orders on the two sides.
   */
  #admit(connection: Connection, run: HandshakeRun, isTransient = false): ManagedSession {
    const { result, earlyFrames } = run
    const key = toHex(result.peerId)
    if (this.#state !== 'running') {
      refuseConnection(connection, GoodbyeReason.SHUTDOWN, 'shutting down')
      throw new PeerError('PEER_STOPPED', 'the connection manager stopped')
    }
    if (this.#isBanned(key)) {
      refuseConnection(connection, GoodbyeReason.PROTOCOL_ERROR, 'banned')
      throw new PeerError('PEER_BANNED', `peer ${key.slice(0, 16)}… is banned for misbehaving`)
    }
    const existing = this.#sessions.get(key)
    if (existing !== undefined) {
      const dialerOf = (direction: 'inbound' | 'outbound') => (direction === 'outbound' ? this.identity.peerId : result.peerId)
      // Two connections dialled the same way: the newer wins on both sides, whichever side
      // finishes its handshake first. Dialled both ways: the lower dialler's wins.
      const isNewPreferred =
        connection.direction === existing.direction || compareBytes(dialerOf(connection.direction), dialerOf(existing.direction)) < 0
      if (!isNewPreferred) {
        refuseConnection(connection, GoodbyeReason.NORMAL, 'duplicate connection')
        return existing
      }
      existing.closeWith(GoodbyeReason.NORMAL, 'replaced by the connection dialled by the lower peer id')
    } else if (connection.direction === 'outbound' && !isTransient && this.#outboundSessions() < this.#options.targetPeers) {
      // This node's own first targetPeers dials have reserved slots: at maxPeers an inbound
      // session makes room, grace period or not (Sybils flooding in cannot eclipse a node).
      if (this.#sessions.size >= this.#options.maxPeers) this.#prune(this.#sessions.size + 1 - this.#options.maxPeers, { isReservedDial: true })
    } else if (connection.direction === 'outbound' && this.#sessions.size >= this.#options.highWatermark) {
      // This node's own dials stop at the high watermark: the slots above it are for newcomers.
      this.#makeRoom(this.#options.highWatermark)
      if (this.#sessions.size >= this.#options.highWatermark) {
        refuseConnection(connection, GoodbyeReason.TOO_MANY_PEERS, 'too many peers')
        throw new PeerError('PEER_TOO_MANY_PEERS', `this node has ${this.#sessions.size} peers; its own dials stop at highWatermark (${this.#options.highWatermark}) and none could be pruned`)
      }
    } else if (connection.direction === 'inbound' && this.#isPrefixFull(prefixOf(connection.remoteAddress))) {
      // Checked again: others from its prefix may have got in while its auth was verified.
      const refusal = this.#prefixShareRefusal(result.peerId, key, prefixOf(connection.remoteAddress)!)
      refuseConnection(connection, refusal.goodbye, refusal.error.message, refusal.redirect)
      throw refusal.error
    } else if (this.#sessions.size >= this.#options.maxPeers) {
      // A full node makes room for an authenticated newcomer (never for a mere hello): an
      // inbound one from a prefix crowded by colocated identities goes first, then pruning.
      const prefix = prefixOf(connection.remoteAddress)
      const evicted = connection.direction === 'inbound' ? this.#inboundToEvict(prefix) : undefined
      if (evicted !== undefined) this.#evict(evicted)
      else if (connection.direction === 'outbound' || !this.#isColocated(prefix)) this.#makeRoom(this.#options.maxPeers)
      if (this.#sessions.size >= this.#options.maxPeers) {
        refuseConnection(connection, GoodbyeReason.TOO_MANY_PEERS, 'too many peers', this.#redirectSample(result.peerId, key))
        throw new PeerError('PEER_TOO_MANY_PEERS', `this node already has ${this.#options.maxPeers} peers (maxPeers)`)
      }
    }
    const session = new ManagedSession(this.#host, connection, result, this.#takeHandle(), isTransient)
    this.#putSession(key, session)
    this.#emit('peer:connect', session)
    for (const frame of earlyFrames) session.receiveFrame(frame)
    for (const waiter of this.#sessionWaiters.get(key) ?? []) waiter(session)
    if (connection.direction === 'inbound') for (const waiter of this.#sessionWaiters.get(inboundWaitKey(connection.remoteAddress)) ?? []) waiter(session)
    if (this.#sessions.size > this.#options.highWatermark) this.#prune(this.#sessions.size - this.#options.lowWatermark)
    return session
  }

  // ---------------------------------------------------------------------------------------
  // Redirects and pruning

  #redirectSample(forId: Uint8Array, exceptKey: string): PeerInfo[] {
    return redirectSample(this.#sessions.values(), forId, exceptKey, this.random)
  }

  /** Closes up to `count` sessions in pruneOrder (prune-policy.ts), each with a redirect to others. */
  #prune(count: number, mode: { isMakingRoom?: boolean; isReservedDial?: boolean } = {}): number {
    if (count <= 0) return 0
    let pruned = 0
    for (const session of this.#pruneOrder(mode).slice(0, count)) {
      if (!session.isOpen) continue
      // A one-off request's session needs no other peers; anyone else gets some to dial.
      const redirect = session.isRemoteTransient ? [] : this.#redirectSample(session.peerId, session.peerKey)
      if (redirect.length > 0) this.#redirectsSent++
      session.closeWith(GoodbyeReason.PRUNED, `pruned: ${this.#sessions.size} sessions, above highWatermark (${this.#options.highWatermark})`, redirect)
      pruned++
    }
    this.#pruned += pruned
    return pruned
  }

  #pruneOrder(mode: { isMakingRoom?: boolean; isReservedDial?: boolean } = {}): ManagedSession[] {
    const { pruneGraceMs, targetPeers } = this.#options
    return pruneOrder(this.#sessions.values(), { localId: this.identity.peerId, nowMs: this.clock.now(), pruneGraceMs, targetPeers, advisors: this.#retentionAdvisors, ...mode })
  }

  /** Inbound sessions from `prefix` (0 for an exempt one: each is a prefix of its own). */
  #inboundFrom(prefix: string | undefined): number {
    return prefix === undefined ? 0 : (this.#inboundByPrefix.get(prefix) ?? 0)
  }

  /** Sets the session of `key`, in the place of any before it (the map's order is kept), and keeps #inboundByPrefix in step. */
  #putSession(key: string, session: ManagedSession): void {
    const replaced = this.#sessions.get(key)
    if (replaced !== undefined) this.#countInbound(replaced, -1)
    this.#sessions.set(key, session)
    this.#countInbound(session, 1)
  }

  #removeSession(key: string): void {
    const session = this.#sessions.get(key)
    if (session === undefined) return
    this.#sessions.delete(key)
    this.#countInbound(session, -1)
  }

  #countInbound(session: ManagedSession, change: 1 | -1): void {
    const prefix = session.prefix
    if (session.direction !== 'inbound' || prefix === undefined) return
    const count = (this.#inboundByPrefix.get(prefix) ?? 0) + change
    if (count > 0) this.#inboundByPrefix.set(prefix, count)
    else this.#inboundByPrefix.delete(prefix)
  }

  /** True when inbound sessions from `prefix` number maxInboundPerPrefix already (exempt prefixes never are). */
  #isPrefixFull(prefix: string | undefined): boolean {
    return this.#inboundFrom(prefix) >= this.#options.maxInboundPerPrefix
  }

  /** True when a newcomer from `prefix` would share it with an inbound session: at maxPeers, only eviction makes room for it, never pruning. */
  #isColocated(prefix: string | undefined): boolean {
    return this.#inboundFrom(prefix) > 0
  }

  /** Whether a full node can make room for a newcomer: by evicting (inbound, inbound-eviction.ts) or by pruning (prune-policy.ts). */
  #canMakeRoomFor(isInbound: boolean, prefix: string | undefined): boolean {
    if (isInbound && this.#inboundToEvict(prefix) !== undefined) return true
    return (!isInbound || !this.#isColocated(prefix)) && this.#pruneOrder({ isMakingRoom: true }).length > 0
  }

  #prefixShareRefusal(peerId: Uint8Array, key: string, prefix: string): Refusal & { error: PeerError } {
    this.#prefixShareRefusals++
    const redirect = this.#redirectSample(peerId, key)
    if (redirect.length > 0) this.#redirectsSent++
    const { maxInboundPerPrefix } = this.#options
    return { goodbye: GoodbyeReason.TOO_MANY_PEERS, error: new PeerError('PEER_TOO_MANY_PEERS', `${maxInboundPerPrefix} inbound peers from ${prefix} are connected already (maxInboundPerPrefix)`), redirect }
  }

  /** The inbound session a newcomer from `prefix` may push out (inbound-eviction.ts), if any. */
  #inboundToEvict(prefix: string | undefined): ManagedSession | undefined {
    if (this.#sessions.size === 0) return undefined
    this.#prefixKey ??= Math.floor(this.random.nextFloat() * 2 ** 32)
    return inboundToEvict(this.#sessions.values(), { localId: this.identity.peerId, prefixKey: this.#prefixKey, newcomerPrefix: prefix })
  }

  #evict(session: ManagedSession): void {
    const redirect = session.isRemoteTransient ? [] : this.#redirectSample(session.peerId, session.peerKey)
    if (redirect.length > 0) this.#redirectsSent++
    this.#inboundEvictions++
    session.closeWith(GoodbyeReason.PRUNED, `evicted: ${this.#sessions.size} sessions (maxPeers), and a newcomer from a less crowded address prefix`, redirect)
  }

  /** Prunes towards the low watermark, then, if still `limit` or more sessions, one busy one-off session. */
  #makeRoom(limit: number): void {
    if (this.#sessions.size < limit) return
    this.#prune(this.#sessions.size + 1 - this.#options.lowWatermark)
    if (this.#sessions.size >= limit) this.#prune(this.#sessions.size + 1 - limit, { isMakingRoom: true })
  }

  /** Adds peers others offered to the address book (never this node itself). */
  #learn(peers: readonly PeerInfo[]): void {
    for (const peer of peers) {
      if (!bytesEqual(peer.id, this.identity.peerId)) this.addressBook.add(peer)
    }
  }

  // ---------------------------------------------------------------------------------------
  // Sessions, bans, events

  #onSessionClosed(session: ManagedSession, reason: string): void {
    this.#freeHandles.push(session.handle)
    // A former peer is a good first try when this node needs peers again.
    if (this.#state === 'running') this.addressBook.add({ id: session.peerId, addresses: session.listenAddresses })
    if (this.#sessions.get(session.peerKey) === session) this.#removeSession(session.peerKey)
    for (const [address, dialled] of this.#dialled) if (dialled === session) this.#dialled.delete(address)
    this.#emit('peer:disconnect', session, reason)
  }

  /** Sessions this node dialled and keeps (transient ones close on their own). */
  #outboundSessions(): number {
    let outbound = 0
    for (const session of this.#sessions.values()) if (session.direction === 'outbound' && !session.isTransient) outbound++
    return outbound
  }

  #takeHandle(): number {
    return this.#freeHandles.length > 0 ? this.#freeHandles.pop()! : this.#nextHandle++
  }

  #ban(peerKey: string): void {
    const now = this.clock.now()
    this.#bans.delete(peerKey)
    // Every ban lasts banMs, so insertion order is expiry order: the expired ones lead.
    for (const [key, until] of this.#bans) {
      if (until > now) break
      this.#bans.delete(key)
    }
    if (this.#bans.size >= MAX_BANS) this.#bans.delete(this.#bans.keys().next().value!)
    this.#bans.set(peerKey, now + this.#options.banMs)
  }

  #isBanned(peerKey: string): boolean {
    const until = this.#bans.get(peerKey)
    if (until === undefined) return false
    if (this.clock.now() < until) return true
    this.#bans.delete(peerKey)
    return false
  }

  #emit<E extends keyof PeerNetworkEvents>(event: E, ...args: Parameters<PeerNetworkEvents[E]>): void {
    for (const handler of this.#handlers[event]) (handler as (...values: Parameters<PeerNetworkEvents[E]>) => void)(...args)
  }
}

/** What a connect that made way in glare waits on: the session of an inbound connection from `address`. */
function inboundWaitKey(address: string): string {
  return `inbound ${address}`
}

/** A connect without isTransient makes the session a kept one. */
function claimed(session: ManagedSession, isTransient: boolean): ManagedSession {
  if (!isTransient) session.keep()
  return session
}

/** Failures worth another dial: the network, or a peer that answered "busy, try again". */

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return 0
}
