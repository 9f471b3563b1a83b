// The WebRTC transport: 'webrtc://<id>' dials the peer with that id on the signaling given,
// through one RTCPeerConnection and one reliable ordered data channel per connection
// (peer.ts); each connection is a ChannelConnection (src/transport/channel/), which
// coalesces small frames and splits large ones.

import { checkTime } from '../../util/validate.js'
import { newChannelTraffic, type ChannelConnection, type ChannelTraffic } from '../channel/index.js'
import { addressesParsedBy } from '../addresses.js'
import { TransportAbortError, TransportError } from '../errors.js'
import type { Connection, DialOptions, Transport } from '../transport.js'
import { formatWebRtcAddress, isSignalingId, parseWebRtcAddress } from './address.js'
import { runtime } from './node-runtime.js'
import { checkWebRtcOptions, type WebRtcSettings, type WebRtcTransportOptions } from './options.js'
import type { PeerConnectionConstructor, PeerConnectionLike } from './peer-connection.js'
import type { TimerHandle } from '../../util/clock.js'
import { PeerConnectionBudget } from './budget.js'
import { newWebRtcCounters, WebRtcPeer, type PeerOwner, type WebRtcCounters } from './peer.js'
import { parseSignal, type DescriptionSignal, type SignalMessage } from './signaling.js'

/** What stats() reports: negotiations, signals, the connections' traffic, and what is open now. */
export type WebRtcTransportStats = Readonly<WebRtcCounters> & {
  readonly traffic: Readonly<ChannelTraffic>
  /** Open connections. */
  readonly connections: number
  /** Peer connections still negotiating (dials and inbound offers). */
  readonly negotiating: number
  /** maxPeerConnections (Infinity when there is no cap), and how many of them are made or promised to a knock. */
  readonly peerConnectionBudget: number
  readonly peerConnectionsUsed: number
}

/** A dial waiting for the listener's answer to its knock. */
interface PendingKnock {
  ready(): void
  refused(reason: string): void
  closed(): void
}

/** A dial that made way for the remote's dial to us (glare), waiting for that connection. */
interface Yield {
  /** The remote's connection opened and went to the listener. */
  opened(): void
  /** Nothing from the remote is negotiating any more, and nothing opened. */
  failed(): void
  closed(): void
}

/** The reason of the bye that refuses a knock in glare (see #answerKnock). */
export const GLARE_REASON = 'glare: dialling you at the same time'

/**
 * A transport over WebRTC data channels.
 *
 * - Addresses are 'webrtc://<id>', the id being the far side's on the signaling; this
 *   transport's own is 'webrtc://<signaling.localId>'.
 * - dial() first knocks: it asks the listener through the signaling whether it will take the
 *   connection, and only on its 'ready' makes an RTCPeerConnection with one reliable ordered
 *   data channel, sends the offer and trickles candidates. Knocks arriving when not listening,
 *   past maxPendingAccepts or past the budget of peer connections are refused with a 'bye'
 *   (the dial rejects with TRANSPORT_UNREACHABLE), and so is an offer no knock announced: a
 *   dial to somebody absent, full or unwilling makes no peer connection on either side.
 * - Glare: when both sides dial each other at once, the side with the smaller signaling id
 *   keeps its dial and refuses the other's knock; the other side's dial (and any dial to a
 *   peer whose own connection to us is negotiating) makes no peer connection of its own. It
 *   waits for the remote's connection, which goes to the listener, and then rejects with
 *   TRANSPORT_GLARE: a node waits for that inbound session instead of trying another address.
 *   One peer connection per pair instead of two.
 * - Peer connections are counted against maxPeerConnections (Chrome allows a tab about 500
 *   over its lifetime, failed ones included): the last quarter is rationed, and past it dials
 *   reject with TRANSPORT_OVER_BUDGET (a TransportManager then tries the peer's next address).
 * - Signals are checked (parseSignal): malformed, oversized or unknown ones are dropped and
 *   counted in stats(), never thrown.
 * - On an open connection, ICE going 'disconnected' or 'failed' starts ICE restarts (options
 *   maxIceRestarts, iceRestartTimeoutMs); past them the connection closes with initiator 'network'.
 * - close() closes every connection and the signaling, rejects pending dials with
 *   TRANSPORT_CLOSED, and resolves once every peer connection and timer is gone.
 */
export class WebRtcTransport implements Transport {
  readonly kind = 'webrtc'
  readonly localAddress: string
  readonly #settings: WebRtcSettings
  readonly #peers = new Map<string, WebRtcPeer>()
  readonly #counters = newWebRtcCounters()
  readonly #traffic = newChannelTraffic()
  readonly #owner: PeerOwner
  #onConnection: ((connection: Connection) => void) | undefined
  #isClosed = false
  #closing: Promise<void> | undefined
  #peerConnectionClass: Promise<PeerConnectionConstructor> | undefined
  /** The class once loaded, so offers after the first are taken in the turn they arrive. */
  #loadedClass: PeerConnectionConstructor | undefined
  #negotiating = 0
  readonly #budget: PeerConnectionBudget
  /** Our dials waiting for 'ready', by peerKey(remote id, connection id). */
  readonly #knocks = new Map<string, PendingKnock>()
  /** Knocks we said 'ready' to, until their offer comes (or the connect timeout passes): each holds a slot and a peer connection of the budget. */
  readonly #promised = new Map<string, TimerHandle>()
  /** Dials that made way in glare, by the remote id whose connection they wait for. */
  readonly #yields = new Map<string, Set<Yield>>()

  constructor(options: WebRtcTransportOptions) {
    this.#settings = checkWebRtcOptions(options, runtime.defaultPeerConnectionBudget)
    this.#budget = new PeerConnectionBudget(this.#settings.maxPeerConnections, this.#settings.clock)
    this.localAddress = formatWebRtcAddress(this.#settings.signaling.localId)
    this.#owner = {
      settings: this.#settings,
      localAddress: this.localAddress,
      counters: this.#counters,
      traffic: this.#traffic,
      signal: (toId, message) => this.#settings.signaling.send(toId, message),
      opened: (peer, connection) => this.#opened(peer, connection),
      released: (peer) => this.#released(peer),
    }
    this.#settings.signaling.onMessage((fromId, message) => this.#onSignal(fromId, message))
  }

  get isListening(): boolean {
    return this.#onConnection !== undefined
  }

  /** The 'webrtc://' addresses among `addresses` other than this transport's own, in their order. */
  dialOrder(addresses: readonly string[]): string[] {
    return addressesParsedBy(addresses, parseWebRtcAddress).filter((address) => address !== this.localAddress)
  }

  listen(onConnection: (connection: Connection) => void): Promise<void> {
    if (this.#isClosed) return Promise.reject(new TransportError('TRANSPORT_CLOSED', `transport ${this.localAddress} is closed`))
    if (typeof onConnection !== 'function') {
      return Promise.reject(new TransportError('TRANSPORT_INVALID_OPTION', `listen() takes a connection handler function, got ${String(onConnection)}`))
    }
    if (this.#onConnection !== undefined) return Promise.reject(new TransportError('TRANSPORT_INVALID_STATE', `transport ${this.localAddress} is already listening`))
    this.#onConnection = onConnection
    return Promise.resolve()
  }

  async dial(address: string, options?: DialOptions): Promise<Connection> {
    if (this.#isClosed) throw new TransportError('TRANSPORT_CLOSED', `transport ${this.localAddress} is closed`)
    const remoteId = parseWebRtcAddress(address)
    // Signaling would carry an offer to this transport itself, and nothing would ever answer it.
    if (remoteId === this.#settings.signaling.localId) throw new TransportError('TRANSPORT_BAD_ADDRESS', `${address} is this transport's own address`)
    const timeoutMs = options?.timeoutMs === undefined
      ? this.#settings.connectTimeoutMs
      : checkTime('timeoutMs', options.timeoutMs, (message) => new TransportError('TRANSPORT_INVALID_OPTION', message))
    const signal = options?.signal
    const aborted = () => new TransportAbortError(`dial from ${this.localAddress} to ${address} was aborted`, { cause: signal?.reason })
    if (signal?.aborted) throw aborted()
    const clock = this.#settings.clock
    const deadline = clock.now() + timeoutMs
    if (this.#isNegotiatingFrom(remoteId)) return this.#yieldTo(remoteId, address, deadline, signal, aborted)
    this.#checkBudget(address)
    const Class = await this.#loadPeerConnection()
    if (this.#isClosed) throw new TransportError('TRANSPORT_CLOSED', `transport ${this.localAddress} closed while dialling`)
    if (signal?.aborted) throw aborted()
    const connectionId = this.#newConnectionId()
    const answer = await this.#knock(remoteId, connectionId, address, Math.max(1, deadline - clock.now()), signal, aborted)
    if (answer === 'glare') return this.#yieldTo(remoteId, address, deadline, signal, aborted)
    try {
      this.#checkBudget(address) // other dials may have spent it while this one waited
    } catch (error) {
      this.#signal(remoteId, { type: 'bye', connectionId, reason: 'the dialler is over its budget of peer connections' })
      throw error
    }
    const peer = new WebRtcPeer(this.#owner, this.#createPeerConnection(Class, false), remoteId, connectionId, 'outbound', formatWebRtcAddress(remoteId))
    this.#adopt(peer)
    return new Promise<Connection>((resolve, reject) => peer.dial(Math.max(1, deadline - clock.now()), signal, resolve, reject))
  }

  /** Idempotent; resolves once every peer connection, timer and listener of this transport is gone. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown()
    return this.#closing
  }

  stats(): WebRtcTransportStats {
    return {
      ...this.#counters,
      traffic: { ...this.#traffic },
      connections: this.#peers.size - this.#negotiating,
      negotiating: this.#negotiating,
      peerConnectionBudget: this.#budget.max,
      peerConnectionsUsed: this.#budget.used,
    }
  }

  async #shutdown(): Promise<void> {
    this.#isClosed = true
    this.#onConnection = undefined
    for (const knock of [...this.#knocks.values()]) knock.closed()
    for (const waits of [...this.#yields.values()]) for (const wait of [...waits]) wait.closed()
    for (const [key, timer] of this.#promised) {
      this.#settings.clock.clearTimeout(timer)
      const [remoteId, connectionId] = key.split(' ')
      this.#signal(remoteId, { type: 'bye', connectionId, reason: 'transport closed' })
    }
    this.#promised.clear()
    const peers = [...this.#peers.values()]
    const gone = peers.map((peer) => peer.shutdown('transport closed'))
    for (const peer of peers) peer.lingerAfterClose()
    // After the byes of pending dials went out: from now on this id is unknown to the signaling.
    this.#settings.signaling.close()
    await Promise.all(gone)
  }

  #onSignal(fromId: string, raw: unknown): void {
    if (this.#isClosed) return
    const counters = this.#counters
    counters.signalsReceived++
    if (!isSignalingId(fromId)) {
      counters.signalsMalformed++
      return
    }
    const message = parseSignal(raw, this.#settings)
    if (message === 'malformed') {
      counters.signalsMalformed++
      return
    }
    if (message === 'oversized') {
      counters.signalsOversized++
      return
    }
    const key = peerKey(fromId, message.connectionId)
    const knock = this.#knocks.get(key)
    if (knock !== undefined) {
      if (message.type === 'ready') knock.ready()
      else if (message.type === 'bye') knock.refused(message.reason)
      else counters.signalsUnknown++
      return
    }
    const peer = this.#peers.get(key)
    if (peer !== undefined) {
      peer.handle(message)
      return
    }
    switch (message.type) {
      case 'knock':
        return this.#answerKnock(fromId, message.connectionId)
      case 'offer':
        return this.#accept(fromId, message)
      case 'bye':
        // The dialler gave up (timed out, aborted, over its own budget) before its offer: what we held for it is free.
        if (this.#unpromise(key)) return
    }
    counters.signalsUnknown++ // includes the byes and late candidates of connections already gone
  }

  /** A dialler asks whether we will take a connection: 'ready' holds a slot and a peer connection of the budget for it. */
  #answerKnock(fromId: string, connectionId: string): void {
    const key = peerKey(fromId, connectionId)
    if (this.#promised.has(key)) return void this.#counters.signalsUnknown++
    const refuse = (reason: string) => {
      this.#counters.knocksRefused++
      this.#signal(fromId, { type: 'bye', connectionId, reason })
    }
    if (this.#onConnection === undefined) return refuse('not listening')
    if (this.#settings.signaling.localId < fromId && this.#isDiallingTo(fromId)) {
      this.#counters.glareRefusals++
      return refuse(GLARE_REASON)
    }
    if (this.#pendingAccepts() + this.#promised.size >= this.#settings.maxPendingAccepts) return refuse('too many connections negotiating')
    const overBudget = this.#budget.refusal()
    if (overBudget !== undefined) {
      this.#counters.overBudget++
      return refuse(`over budget: ${overBudget}`)
    }
    this.#budget.reserve()
    this.#promised.set(key, this.#settings.clock.setTimeout(() => this.#unpromise(key), this.#settings.connectTimeoutMs))
    this.#signal(fromId, { type: 'ready', connectionId })
  }

  /** Frees what a 'ready' held, if it is still held; true if it was. */
  #unpromise(key: string): boolean {
    const timer = this.#promised.get(key)
    if (timer === undefined) return false
    this.#settings.clock.clearTimeout(timer)
    this.#promised.delete(key)
    this.#budget.release()
    this.#inboundEnded(remoteIdOf(key))
    return true
  }

  /** Whether a dial of ours to `remoteId` is knocking or negotiating. */
  #isDiallingTo(remoteId: string): boolean {
    for (const key of this.#knocks.keys()) if (remoteIdOf(key) === remoteId) return true
    for (const peer of this.#peers.values()) if (peer.remoteId === remoteId && peer.direction === 'outbound' && peer.connection === undefined) return true
    return false
  }

  /** Whether a connection from `remoteId` is promised (we said 'ready' to its knock) or negotiating. */
  #isNegotiatingFrom(remoteId: string): boolean {
    for (const key of this.#promised.keys()) if (remoteIdOf(key) === remoteId) return true
    for (const peer of this.#peers.values()) if (peer.remoteId === remoteId && peer.direction === 'inbound' && peer.connection === undefined) return true
    return false
  }

  /**
   * Waits for the connection `remoteId` is dialling us with: rejects with TRANSPORT_GLARE once
   * it opened (it went to the listener), TRANSPORT_UNREACHABLE if it failed, TRANSPORT_TIMEOUT
   * at the dial's deadline, or on abort and close().
   */
  #yieldTo(remoteId: string, address: string, deadline: number, signal: AbortSignal | undefined, aborted: () => Error): Promise<never> {
    this.#counters.glareYields++
    const clock = this.#settings.clock
    return new Promise<never>((_resolve, reject) => {
      const waits = this.#yields.get(remoteId) ?? new Set<Yield>()
      this.#yields.set(remoteId, waits)
      const settle = (error: Error) => {
        if (!waits.delete(wait)) return
        if (waits.size === 0 && this.#yields.get(remoteId) === waits) this.#yields.delete(remoteId)
        clock.clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        reject(error)
      }
      const wait: Yield = {
        opened: () => settle(new TransportError('TRANSPORT_GLARE', `${address} dialled ${this.localAddress} at the same time; its connection came in instead and went to the listener`)),
        failed: () => settle(new TransportError('TRANSPORT_UNREACHABLE', `${address} dialled ${this.localAddress} at the same time, and this dial made way, but its connection did not open`)),
        closed: () => settle(new TransportError('TRANSPORT_CLOSED', `transport ${this.localAddress} closed while dialling`)),
      }
      const onAbort = () => settle(aborted())
      const timer = clock.setTimeout(
        () => settle(new TransportError('TRANSPORT_TIMEOUT', `dial from ${this.localAddress} to ${address} made way for the peer's own dial (glare), which did not open in time`)),
        Math.max(1, deadline - clock.now()),
      )
      signal?.addEventListener('abort', onAbort, { once: true })
      waits.add(wait)
    })
  }

  /** A connection from `remoteId` opened or ended: the dials that made way for it learn how it went. */
  #settleYields(remoteId: string, opened: boolean): void {
    const waits = this.#yields.get(remoteId)
    if (waits === undefined) return
    for (const wait of [...waits]) {
      if (opened) wait.opened()
      else wait.failed()
    }
  }

  /** An inbound negotiation from `remoteId` ended without a connection: dials waiting for one fail, unless another is under way. */
  #inboundEnded(remoteId: string): void {
    if (!this.#isNegotiatingFrom(remoteId)) this.#settleYields(remoteId, false)
  }

  /** Sends our knock and waits for 'ready'; rejects on a bye, the timeout, the abort or close(), telling the listener when it may be holding a slot for us. */
  #knock(remoteId: string, connectionId: string, address: string, timeoutMs: number, signal: AbortSignal | undefined, aborted: () => Error): Promise<'ready' | 'glare'> {
    const key = peerKey(remoteId, connectionId)
    const clock = this.#settings.clock
    return new Promise<'ready' | 'glare'>((resolve, reject) => {
      const settle = (error: Error | 'ready' | 'glare', byeReason?: string) => {
        if (this.#knocks.get(key) !== pending) return
        this.#knocks.delete(key)
        clock.clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        if (byeReason !== undefined) this.#signal(remoteId, { type: 'bye', connectionId, reason: byeReason })
        if (typeof error === 'string') resolve(error)
        else reject(error)
      }
      const pending: PendingKnock = {
        ready: () => settle('ready'),
        refused: (reason) => settle(reason === GLARE_REASON ? 'glare' : new TransportError('TRANSPORT_UNREACHABLE', `${address} refused the connection from ${this.localAddress}: ${reason}`)),
        closed: () => settle(new TransportError('TRANSPORT_CLOSED', `transport ${this.localAddress} closed while dialling`), 'transport closed'),
      }
      const onAbort = () => settle(aborted(), 'aborted')
      const timer = clock.setTimeout(
        () => settle(new TransportError('TRANSPORT_TIMEOUT', `dial from ${this.localAddress} to ${address} had no answer to its knock in ${timeoutMs} ms`), 'timed out'),
        timeoutMs,
      )
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#knocks.set(key, pending)
      this.#counters.knocksSent++
      this.#signal(remoteId, { type: 'knock', connectionId })
    })
  }

  #checkBudget(address: string): void {
    const refusal = this.#budget.refusal()
    if (refusal === undefined) return
    this.#counters.overBudget++
    throw new TransportError('TRANSPORT_OVER_BUDGET', `dial from ${this.localAddress} to ${address} refused: ${refusal}`)
  }

  #signal(toId: string, message: SignalMessage): void {
    this.#counters.signalsSent++
    this.#settings.signaling.send(toId, message)
  }

  #accept(fromId: string, offer: DescriptionSignal): void {
    const key = peerKey(fromId, offer.connectionId)
    const refuse = (reason: string) => {
      this.#counters.offersRefused++
      this.#signal(fromId, { type: 'bye', connectionId: offer.connectionId, reason })
    }
    // Only an offer we said 'ready' to: anything else would spend a peer connection nobody announced.
    const timer = this.#promised.get(key)
    if (timer === undefined) return refuse('no knock announced this offer')
    this.#settings.clock.clearTimeout(timer)
    if (this.#onConnection === undefined) {
      this.#unpromise(key)
      return refuse('not listening')
    }
    const start = (Class: PeerConnectionConstructor) => {
      if (!this.#promised.has(key)) return // closed, or given up, while the class loaded
      this.#promised.delete(key)
      if (this.#isClosed || this.#onConnection === undefined || this.#peers.has(key)) {
        this.#budget.release()
        return this.#inboundEnded(fromId)
      }
      let pc: PeerConnectionLike
      try {
        pc = this.#createPeerConnection(Class, true)
      } catch {
        this.#budget.release()
        this.#inboundEnded(fromId)
        return refuse('could not make a peer connection')
      }
      const peer = new WebRtcPeer(this.#owner, pc, fromId, offer.connectionId, 'inbound', formatWebRtcAddress(fromId))
      this.#adopt(peer)
      peer.accept(offer)
    }
    // Only the first offer waits for the class to load; the dialler's candidates follow our answer anyway (peer.ts).
    if (this.#loadedClass !== undefined) start(this.#loadedClass)
    else void this.#loadPeerConnection().then(start, () => {
      this.#unpromise(key)
      refuse('no RTCPeerConnection here')
    })
  }

  #pendingAccepts(): number {
    let count = 0
    for (const peer of this.#peers.values()) if (peer.direction === 'inbound' && peer.connection === undefined) count++
    return count
  }

  #adopt(peer: WebRtcPeer): void {
    this.#peers.set(peerKey(peer.remoteId, peer.connectionId), peer)
    this.#negotiating++
  }

  #opened(peer: WebRtcPeer, connection: ChannelConnection): void {
    this.#negotiating--
    this.#budget.settled(true)
    if (peer.direction === 'outbound') return
    const onConnection = this.#onConnection
    if (onConnection === undefined) connection.close('not listening')
    else onConnection(connection)
    this.#settleYields(peer.remoteId, onConnection !== undefined)
  }

  #released(peer: WebRtcPeer): void {
    const key = peerKey(peer.remoteId, peer.connectionId)
    if (this.#peers.get(key) !== peer) return
    this.#peers.delete(key)
    if (peer.connection !== undefined) return
    this.#negotiating--
    this.#budget.settled(false)
    if (peer.direction === 'inbound') this.#inboundEnded(peer.remoteId)
  }

  #loadPeerConnection(): Promise<PeerConnectionConstructor> {
    this.#peerConnectionClass ??= (async () => {
      const Class = this.#settings.RTCPeerConnection ?? (globalThis as { RTCPeerConnection?: PeerConnectionConstructor }).RTCPeerConnection
      if (Class !== undefined) return (this.#loadedClass = Class)
      const load = runtime.loadPeerConnection
      if (load === undefined) throw new TransportError('TRANSPORT_INVALID_STATE', 'there is no RTCPeerConnection here: pass one as the RTCPeerConnection option')
      try {
        return (this.#loadedClass = await load())
      } catch (error) {
        throw new TransportError('TRANSPORT_INVALID_STATE', `the platform's RTCPeerConnection (node-datachannel in Node) could not be loaded: ${(error as Error).message}`, { cause: error })
      }
    })()
    return this.#peerConnectionClass
  }

  /** `reserved`: for an offer whose knock we promised a peer connection to. */
  #createPeerConnection(Class: PeerConnectionConstructor, reserved: boolean): PeerConnectionLike {
    const { iceServers, iceTransportPolicy } = this.#settings
    const pc = new Class({ iceServers: iceServers.map((server) => ({ ...server, urls: [...server.urls] })), iceTransportPolicy })
    this.#budget.made(reserved)
    this.#counters.peerConnectionsCreated++
    return pc
  }

  /** 16 base64url characters (96 bits): unguessable, so nobody else's signals can reach our connection. */
  #newConnectionId(): string {
    const bytes = new Uint8Array(12)
    this.#settings.random.fill(bytes)
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    let id = ''
    for (let i = 0; i < bytes.length; i += 3) {
      const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2]
      id += alphabet[n >> 18] + alphabet[(n >> 12) & 63] + alphabet[(n >> 6) & 63] + alphabet[n & 63]
    }
    return id
  }
}

function peerKey(remoteId: string, connectionId: string): string {
  return `${remoteId} ${connectionId}`
}

function remoteIdOf(key: string): string {
  return key.slice(0, key.indexOf(' '))
}
