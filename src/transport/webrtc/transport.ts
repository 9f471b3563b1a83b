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
import { newWebRtcCounters, WebRtcPeer, type PeerOwner, type WebRtcCounters } from './peer.js'
import { parseSignal, type DescriptionSignal } from './signaling.js'

/** What stats() reports: negotiations, signals, the connections' traffic, and what is open now. */
export type WebRtcTransportStats = Readonly<WebRtcCounters> & {
  readonly traffic: Readonly<ChannelTraffic>
  /** Open connections. */
  readonly connections: number
  /** Peer connections still negotiating (dials and inbound offers). */
  readonly negotiating: number
}

/**
 * A transport over WebRTC data channels.
 *
 * - Addresses are 'webrtc://<id>', the id being the far side's on the signaling; this
 *   transport's own is 'webrtc://<signaling.localId>'.
 * - dial() makes an RTCPeerConnection with one reliable ordered data channel, sends the offer
 *   and trickles candidates through the signaling; the listener answers. Offers arriving when
 *   not listening, or past maxPendingAccepts, are refused with a 'bye' (the dial rejects with
 *   TRANSPORT_UNREACHABLE).
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

  constructor(options: WebRtcTransportOptions) {
    this.#settings = checkWebRtcOptions(options)
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
    const Class = await this.#loadPeerConnection()
    if (this.#isClosed) throw new TransportError('TRANSPORT_CLOSED', `transport ${this.localAddress} closed while dialling`)
    if (signal?.aborted) throw aborted()
    const connectionId = this.#newConnectionId()
    const peer = new WebRtcPeer(this.#owner, this.#createPeerConnection(Class), remoteId, connectionId, 'outbound', formatWebRtcAddress(remoteId))
    this.#adopt(peer)
    return new Promise<Connection>((resolve, reject) => peer.dial(timeoutMs, signal, resolve, reject))
  }

  /** Idempotent; resolves once every peer connection, timer and listener of this transport is gone. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown()
    return this.#closing
  }

  stats(): WebRtcTransportStats {
    return { ...this.#counters, traffic: { ...this.#traffic }, connections: this.#peers.size - this.#negotiating, negotiating: this.#negotiating }
  }

  async #shutdown(): Promise<void> {
    this.#isClosed = true
    this.#onConnection = undefined
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
    const peer = this.#peers.get(peerKey(fromId, message.connectionId))
    if (peer !== undefined) {
      peer.handle(message)
      return
    }
    if (message.type !== 'offer') {
      counters.signalsUnknown++ // includes the byes and late candidates of connections already gone
      return
    }
    this.#accept(fromId, message)
  }

  #accept(fromId: string, offer: DescriptionSignal): void {
    const refuse = (reason: string) => {
      this.#counters.offersRefused++
      this.#counters.signalsSent++
      this.#settings.signaling.send(fromId, { type: 'bye', connectionId: offer.connectionId, reason })
    }
    if (this.#onConnection === undefined) return refuse('not listening')
    if (this.#pendingAccepts() >= this.#settings.maxPendingAccepts) return refuse('too many connections negotiating')
    const start = (Class: PeerConnectionConstructor) => {
      if (this.#isClosed || this.#onConnection === undefined || this.#peers.has(peerKey(fromId, offer.connectionId))) return
      let pc: PeerConnectionLike
      try {
        pc = this.#createPeerConnection(Class)
      } catch {
        return refuse('could not make a peer connection')
      }
      const peer = new WebRtcPeer(this.#owner, pc, fromId, offer.connectionId, 'inbound', formatWebRtcAddress(fromId))
      this.#adopt(peer)
      peer.accept(offer)
    }
    // Only the first offer waits for the class to load; the dialler's candidates follow our answer anyway (peer.ts).
    if (this.#loadedClass !== undefined) start(this.#loadedClass)
    else void this.#loadPeerConnection().then(start, () => refuse('no RTCPeerConnection here'))
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
    if (peer.direction === 'outbound') return
    const onConnection = this.#onConnection
    if (onConnection === undefined) connection.close('not listening')
    else onConnection(connection)
  }

  #released(peer: WebRtcPeer): void {
    const key = peerKey(peer.remoteId, peer.connectionId)
    if (this.#peers.get(key) !== peer) return
    this.#peers.delete(key)
    if (peer.connection === undefined) this.#negotiating--
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

  #createPeerConnection(Class: PeerConnectionConstructor): PeerConnectionLike {
    const { iceServers, iceTransportPolicy } = this.#settings
    const pc = new Class({ iceServers: iceServers.map((server) => ({ ...server, urls: [...server.urls] })), iceTransportPolicy })
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
