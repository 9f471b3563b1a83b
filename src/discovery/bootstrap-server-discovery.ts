// Joining through bootstrap servers, as a PeerDiscovery: the node is listed at each server
// (its addresses and peer id, announced over a registered WebSocket) and asks the servers'
// GET /peers (fetchPeers) for others, whom it hands to the node to dial. It asks only while
// the node is below its target of peers: once it has them the discovery is quiet (no request,
// no timer), and when peers leave it asks again, at least minIntervalMs after the last ask and
// at doubling intervals up to maxIntervalMs while the node stays short (every client asking
// for ever is what took other libraries' trackers down: trystero #192). A lost registration is
// made again with the same doubling backoff, so a restarted server lists the mesh again.

import { systemClock, type Clock, type TimerHandle } from '../util/clock.js'
import { fromHex, toHex } from '../util/hex.js'
import { cryptoRandom, type RandomSource } from '../util/random.js'
import { checkInteger, describeValue } from '../util/validate.js'
import type { WebSocketConstructor } from '../transport/websocket/socket.js'
import { DiscoveryError } from './errors.js'
import { fetchPeers, FetchPeersError, isBootstrapServerUrl, serverWebSocketUrl, type FetchFailure, type FetchFailureReason, type FetchPeersOptions } from './peer-directory.js'
import type { DiscoveredPeer, PeerDiscovery, PeerDiscoverySelf } from './peer-discovery.js'
import { WebSocketSignaling } from './websocket-signaling.js'

export interface BootstrapServerDiscoveryOptions {
  /** 1 to 8 bootstrap servers, asked in turn: 'http(s)://host:port', or the same server's 'ws(s)://host:port' signaling URL. Required. */
  servers: readonly string[]
  /**
   * A WebSocketSignaling already registered at one of `servers` (the WebRtcTransport's): the
   * node is listed through it, and opens no connection of its own to any server. DEFAULT
   * none: the node registers at every server under its peer id in hex, to be listed there.
   */
  signaling?: WebSocketSignaling
  /** Peers asked for in each request, 1 to 100. DEFAULT 20. */
  maxPeers?: number
  /** Each request's timeout, and each registration's, 100 to 60,000 ms. DEFAULT 5,000. */
  timeoutMs?: number
  /** The least time between two asks, 100 to 600,000 ms; also the first wait while the node stays below its target. DEFAULT 2,000. */
  minIntervalMs?: number
  /** The longest wait between asks (and registration attempts), minIntervalMs to 3,600,000 ms; the wait doubles up to it. DEFAULT 120,000. */
  maxIntervalMs?: number
  /** The largest /peers answer read, 1,024 to 16,777,216 bytes (see fetchPeers). DEFAULT 262,144. */
  maxBodyBytes?: number
  /** The WebSocket class to register with (see WebSocketTransportOptions). */
  WebSocket?: WebSocketConstructor
  clock?: Clock
  /** Jitter of the waits (±20%). DEFAULT cryptoRandom(). */
  random?: RandomSource
  /** DEFAULT the global fetch. */
  fetch?: FetchPeersOptions['fetch']
}

export interface BootstrapServerDiscoveryStats {
  /** Asks made (each goes through the servers in turn until one answers), and the HTTP requests they made. */
  readonly asks: number
  readonly requests: number
  /** Asks a server answered. */
  readonly answers: number
  /** Requests that got no usable answer, by why (fetchPeers' FetchFailureReason). */
  readonly failures: Readonly<Record<FetchFailureReason, number>>
  /** Entries handed to the node (the node's own left out). */
  readonly peersListed: number
  /** Entries left out: malformed, past maxPeers, or without a peer id to dial expecting. */
  readonly leftOut: number
  /** True while the node has its target of peers and nothing is asked. */
  readonly isQuiet: boolean
  /** Milliseconds until the next ask, when one is scheduled. */
  readonly nextAskInMs: number | undefined
  /** Servers where the node is registered now (its own connections; 1 or 0 through `signaling`). */
  readonly registered: number
  readonly registrations: number
  readonly registrationFailures: number
  /** The last failure, of an ask or a registration. */
  readonly lastError: string | undefined
}

/** The node's connection to one server, when it registers itself. */
interface Presence {
  readonly server: string
  signaling: WebSocketSignaling | undefined
  isConnecting: boolean
  failures: number
  retryTimer: TimerHandle | undefined
}

const MAX_SERVERS = 8
const JITTER = 0.2
const invalid = (message: string) => new DiscoveryError('DISCOVERY_INVALID_OPTION', message)

export class BootstrapServerDiscovery implements PeerDiscovery {
  readonly kind = 'bootstrap-server'
  readonly #servers: readonly string[]
  readonly #signaling: WebSocketSignaling | undefined
  readonly #maxPeers: number
  readonly #timeoutMs: number
  readonly #minIntervalMs: number
  readonly #maxIntervalMs: number
  readonly #maxBodyBytes: number
  readonly #WebSocket: WebSocketConstructor | undefined
  readonly #clock: Clock
  readonly #random: RandomSource
  readonly #fetch: FetchPeersOptions['fetch']
  readonly #presences: Presence[]
  /** Aborted by stop(): cancels the ask and the registrations in flight. */
  readonly #lifetime = new AbortController()
  #self: PeerDiscoverySelf | undefined
  #onPeer: ((peer: DiscoveredPeer) => void) | undefined
  #state: 'new' | 'running' | 'stopped' = 'new'
  #askTimer: TimerHandle | undefined
  #askAtMs = 0
  #asking: Promise<void> | undefined
  /** The next ask, scheduled: what peersWanted() callers wait for. */
  #nextAsk: { promise: Promise<void>; resolve: () => void } | undefined
  #lastAskAtMs = -Infinity
  #intervalMs: number
  #asks = 0
  #requests = 0
  #answers = 0
  readonly #failures: Record<FetchFailureReason, number> = { timeout: 0, 'http-status': 0, 'too-large': 0, malformed: 0, unreachable: 0 }
  #peersListed = 0
  #leftOut = 0
  #registrations = 0
  #registrationFailures = 0
  #lastError: string | undefined

  constructor(options: BootstrapServerDiscoveryOptions) {
    if (typeof options !== 'object' || options === null) throw invalid(`BootstrapServerDiscovery options must be an object with servers, got ${describeValue(options)}`)
    const { servers } = options
    if (!Array.isArray(servers) || servers.length === 0 || servers.length > MAX_SERVERS) throw invalid(`servers must be 1 to ${MAX_SERVERS} bootstrap server URLs, got ${describeValue(servers)}`)
    for (const server of servers) {
      if (!isBootstrapServerUrl(server)) throw invalid(`a bootstrap server URL must be 'http(s)://host:port' or 'ws(s)://host:port', got ${describeValue(server)}`)
    }
    if (options.signaling !== undefined && !(options.signaling instanceof WebSocketSignaling)) throw invalid(`signaling must be a WebSocketSignaling, got ${describeValue(options.signaling)}`)
    this.#servers = [...new Set<string>(servers)]
    this.#signaling = options.signaling
    this.#maxPeers = checkInteger('maxPeers', options.maxPeers ?? 20, 1, 100, invalid)
    this.#timeoutMs = checkInteger('timeoutMs', options.timeoutMs ?? 5_000, 100, 60_000, invalid)
    this.#minIntervalMs = checkInteger('minIntervalMs', options.minIntervalMs ?? 2_000, 100, 600_000, invalid)
    this.#maxIntervalMs = checkInteger('maxIntervalMs', options.maxIntervalMs ?? Math.max(120_000, this.#minIntervalMs), this.#minIntervalMs, 3_600_000, invalid)
    this.#maxBodyBytes = checkInteger('maxBodyBytes', options.maxBodyBytes ?? 262_144, 1_024, 16_777_216, invalid)
    this.#WebSocket = options.WebSocket
    this.#clock = options.clock ?? systemClock
    this.#random = options.random ?? cryptoRandom()
    if (typeof this.#clock?.setTimeout !== 'function' || typeof this.#clock.now !== 'function') throw invalid('clock must be a Clock (now, setTimeout, clearTimeout)')
    if (typeof this.#random?.nextFloat !== 'function') throw invalid('random must be a RandomSource')
    if (options.fetch !== undefined && typeof options.fetch !== 'function') throw invalid(`fetch must be a function, got ${describeValue(options.fetch)}`)
    this.#fetch = options.fetch
    this.#intervalMs = this.#minIntervalMs
    this.#presences = this.#signaling === undefined ? this.#servers.map((server) => ({ server, signaling: undefined, isConnecting: false, failures: 0, retryTimer: undefined })) : []
  }

  /**
   * Registers the node at the servers (or announces it through `signaling`); resolves once
   * each registration has succeeded or failed (each within timeoutMs). Asking for peers is
   * the node's call (peersWanted). Rejects with DISCOVERY_INVALID_STATE when started before.
   */
  async start(self: PeerDiscoverySelf, onPeer: (peer: DiscoveredPeer) => void): Promise<void> {
    if (this.#state !== 'new') throw new DiscoveryError('DISCOVERY_INVALID_STATE', `start() may be called once; this BootstrapServerDiscovery is ${this.#state}`)
    this.#state = 'running'
    this.#self = self
    this.#onPeer = onPeer
    this.#announceThroughSignaling()
    await Promise.all(this.#presences.map((presence) => this.#register(presence)))
  }

  /**
   * The node is below its target of peers: asks the servers, now or as soon as the pacing
   * allows, and keeps asking (paced) until the node has its target. Resolves when that next
   * ask has ended (its peers handed to the node), or at once when the node is not below its
   * target or the discovery is not running. Never rejects: failures are counted.
   */
  peersWanted(): Promise<void> {
    if (this.#state !== 'running' || this.#self?.isBelowTarget() !== true) return Promise.resolve()
    if (this.#asking !== undefined) return this.#asking
    const waitMs = this.#lastAskAtMs + this.#minIntervalMs - this.#clock.now()
    if (waitMs > 0) return this.#scheduleAsk(waitMs)
    this.#clearAskTimer()
    return this.#ask()
  }

  /** Closes its connections to the servers and its timers; idempotent. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return
    this.#state = 'stopped'
    this.#lifetime.abort(new DiscoveryError('DISCOVERY_CLOSED', 'the discovery stopped'))
    this.#clearAskTimer()
    this.#nextAsk?.resolve()
    this.#nextAsk = undefined
    const closing: Promise<void>[] = []
    for (const presence of this.#presences) {
      if (presence.retryTimer !== undefined) this.#clock.clearTimeout(presence.retryTimer)
      presence.retryTimer = undefined
      if (presence.signaling !== undefined) closing.push(presence.signaling.closed())
      presence.signaling = undefined
    }
    await Promise.all([...closing, this.#asking])
  }

  stats(): BootstrapServerDiscoveryStats {
    const registered = this.#signaling === undefined ? this.#presences.filter((presence) => presence.signaling?.isOpen === true).length : Number(this.#signaling.isOpen)
    return {
      asks: this.#asks, requests: this.#requests, answers: this.#answers, failures: { ...this.#failures },
      peersListed: this.#peersListed, leftOut: this.#leftOut,
      isQuiet: this.#state === 'running' && this.#asking === undefined && this.#askTimer === undefined,
      nextAskInMs: this.#askTimer === undefined ? undefined : Math.max(0, this.#askAtMs - this.#clock.now()),
      registered, registrations: this.#registrations, registrationFailures: this.#registrationFailures, lastError: this.#lastError,
    }
  }

  // ---------------------------------------------------------------------------------------
  // Asking

  #scheduleAsk(delayMs: number): Promise<void> {
    this.#nextAsk ??= withResolvers()
    const at = this.#clock.now() + delayMs
    if (this.#askTimer === undefined || at < this.#askAtMs) {
      this.#clearAskTimer()
      this.#askAtMs = at
      this.#askTimer = this.#clock.setTimeout(() => {
        this.#askTimer = undefined
        void this.#ask()
      }, delayMs)
    }
    return this.#nextAsk.promise
  }

  #clearAskTimer(): void {
    if (this.#askTimer !== undefined) this.#clock.clearTimeout(this.#askTimer)
    this.#askTimer = undefined
  }

  /** One ask, if the node still wants peers; then the next, paced, or quiet. */
  #ask(): Promise<void> {
    const waiting = this.#nextAsk
    this.#nextAsk = undefined
    if (this.#state !== 'running' || this.#self?.isBelowTarget() !== true) {
      // Reached the target meanwhile: quiet, and the next shortfall starts from the shortest wait.
      this.#intervalMs = this.#minIntervalMs
      waiting?.resolve()
      return Promise.resolve()
    }
    this.#asking = this.#askServers().finally(() => {
      this.#asking = undefined
      waiting?.resolve()
      if (this.#state !== 'running') return
      if (this.#self?.isBelowTarget() === true) {
        // Still short after the dials this answer brought: ask again later, each wait twice the last.
        void this.#scheduleAsk(this.#jittered(this.#intervalMs))
        this.#intervalMs = Math.min(this.#maxIntervalMs, this.#intervalMs * 2)
      } else {
        this.#intervalMs = this.#minIntervalMs
      }
    })
    return this.#asking
  }

  async #askServers(): Promise<void> {
    this.#asks++
    this.#lastAskAtMs = this.#clock.now()
    this.#announceThroughSignaling()
    for (const presence of this.#presences) if (presence.signaling?.isOpen === true) this.#announce(presence.signaling)
    try {
      const result = await fetchPeers(this.#servers, {
        rounds: 1, timeoutMs: this.#timeoutMs, maxPeers: this.#maxPeers, maxBodyBytes: this.#maxBodyBytes, clock: this.#clock, signal: this.#lifetime.signal,
        ...(this.#fetch === undefined ? {} : { fetch: this.#fetch }),
      })
      this.#requests += result.attempts
      this.#answers++
      this.#countFailures(result.failures)
      this.#leftOut += result.leftOut
      if (this.#state !== 'running') return
      const ownId = toHex(this.#self!.id)
      for (const peer of result.peers) {
        if (peer.peerId === undefined) {
          this.#leftOut++
          continue
        }
        if (peer.peerId === ownId) continue
        this.#peersListed++
        this.#onPeer?.({ id: fromHex(peer.peerId), addresses: peer.addresses })
      }
    } catch (error) {
      if (error instanceof FetchPeersError) {
        this.#requests += error.failures.length
        this.#countFailures(error.failures)
      }
      if (this.#state === 'running') this.#lastError = (error as Error).message
    }
  }

  #countFailures(failures: readonly FetchFailure[]): void {
    for (const failure of failures) {
      this.#failures[failure.reason]++
      this.#lastError = `${failure.server}: ${failure.message}`
    }
  }

  #jittered(ms: number): number {
    return Math.round(ms * (1 - JITTER + 2 * JITTER * this.#random.nextFloat()))
  }

  // ---------------------------------------------------------------------------------------
  // Being listed

  #announce(signaling: WebSocketSignaling): void {
    const addresses = this.#self?.addresses() ?? []
    if (addresses.length > 0 && this.#self !== undefined) signaling.announce(addresses, this.#self.id)
  }

  #announceThroughSignaling(): void {
    if (this.#signaling?.isOpen === true) this.#announce(this.#signaling)
  }

  /** Registers at one server under the node's peer id; on failure, or when the connection is lost later, tries again after a doubling backoff. */
  async #register(presence: Presence): Promise<void> {
    if (this.#state !== 'running' || presence.isConnecting || presence.signaling?.isOpen === true) return
    presence.isConnecting = true
    try {
      const signaling = await WebSocketSignaling.connect(serverWebSocketUrl(presence.server), {
        id: toHex(this.#self!.id), timeoutMs: this.#timeoutMs, clock: this.#clock, signal: this.#lifetime.signal,
        ...(this.#WebSocket === undefined ? {} : { WebSocket: this.#WebSocket }),
      })
      if (this.#state !== 'running') return void (await signaling.closed())
      this.#registrations++
      presence.failures = 0
      presence.signaling = signaling
      this.#announce(signaling)
      signaling.onClose(() => {
        if (presence.signaling === signaling) presence.signaling = undefined
        this.#retryRegistration(presence)
      })
    } catch (error) {
      if (this.#state !== 'running') return
      this.#registrationFailures++
      presence.failures++
      this.#lastError = (error as Error).message
      this.#retryRegistration(presence)
    } finally {
      presence.isConnecting = false
    }
  }

  #retryRegistration(presence: Presence): void {
    if (this.#state !== 'running' || presence.retryTimer !== undefined) return
    const waitMs = this.#jittered(Math.min(this.#maxIntervalMs, this.#minIntervalMs * 2 ** Math.max(0, presence.failures - 1)))
    presence.retryTimer = this.#clock.setTimeout(() => {
      presence.retryTimer = undefined
      void this.#register(presence)
    }, waitMs)
  }
}

function withResolvers(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void
  const promise = new Promise<void>((done) => (resolve = done))
  return { promise, resolve }
}
