// The last resort: a Transport whose connections go through a bootstrap server, for two
// peers that have no direct path (WebRTC blocked or failing, and neither can listen for a
// WebSocket, as in a browser). Addresses are 'relay://<id>' for a signaling id on the same
// server. A dial opens a stream (relay-stream.ts) that the far side accepts or refuses
// before anything else is sent, and each open stream is a ChannelConnection, so frames are
// coalesced, split and reassembled as over a data channel, with the same close handshake.
// The server's relay budget (BootstrapServerOptions.relayBytesPerSecond) bounds what a
// relayed connection carries: it is a fallback that works, not a fast path.

import type { Clock, TimerHandle } from '../util/clock.js'
import { systemClock } from '../util/clock.js'
import { checkInteger, checkTime, describeValue } from '../util/validate.js'
import { ChannelConnection } from '../transport/channel/connection.js'
import { newChannelTraffic, type ChannelConnectionOptions, type ChannelTraffic } from '../transport/channel/options.js'
import { TransportAbortError, TransportError } from '../transport/errors.js'
import type { Connection, DialOptions, Transport } from '../transport/transport.js'
import { isSignalingId } from '../transport/webrtc/address.js'
import { decodeRelayFrame, encodeRelayClose, relayCloseReason, type RelayFrame } from './relay-frame.js'
import { RelayStream } from './relay-stream.js'
import type { WebSocketSignaling } from './websocket-signaling.js'

export const RELAY_SCHEME = 'relay://'
/** The smallest window either side may grant: one chunk of 16 KiB must fit. */
const MIN_WINDOW_BYTES = 16_384

export interface RelayTransportOptions {
  /** The client's connection to the bootstrap server; its id is this transport's address. Required. Not closed by close(): close it yourself (or the WebRtcTransport that shares it does). */
  signaling: WebSocketSignaling
  /** Relayed connections open or opening at once, dials and inbound together, 1 to 1,024; past it dials reject with TRANSPORT_OVER_BUDGET and opens are refused. Default 16. */
  maxConnections?: number
  /** Bytes each side lets the other send ahead of what it has read, 16,384 to 1,048,576. Default 65,536. */
  windowBytes?: number
  /** Default timeout of a dial, in milliseconds. Default 10,000. */
  dialTimeoutMs?: number
  /** Frame sizes, buffers and the close timeout of each connection (chunkBytes at most windowBytes / 4 and at most 16,384). */
  channel?: Pick<ChannelConnectionOptions, 'maxMessageBytes' | 'highWaterMarkBytes' | 'lowWaterMarkBytes' | 'maxBufferedBytes' | 'closeTimeoutMs'>
  /** Timeouts. Default the system clock. */
  clock?: Clock
}

export interface RelayTransportStats {
  /** Relayed connections open now, and streams being opened. */
  readonly connections: number
  readonly opening: number
  readonly dials: number
  readonly dialsFailed: number
  readonly accepted: number
  /** Opens refused: not listening, over maxConnections, or a stream already open. */
  readonly refused: number
  /** Relay frames for no stream of ours (late, or made up), ignored. */
  readonly strayFrames: number
  readonly traffic: ChannelTraffic
}

const invalid = (message: string) => new TransportError('TRANSPORT_INVALID_OPTION', message)

/** The id in 'relay://<id>'. Throws TRANSPORT_BAD_ADDRESS. */
export function parseRelayAddress(address: string): string {
  const id = typeof address === 'string' && address.startsWith(RELAY_SCHEME) ? address.slice(RELAY_SCHEME.length) : undefined
  if (!isSignalingId(id)) {
    throw new TransportError('TRANSPORT_BAD_ADDRESS', `a relay address must be 'relay://<id>' with an id of 1 to 128 of A-Z a-z 0-9 . _ ~ -, got ${describeValue(address)}`)
  }
  return id
}

interface Opening {
  readonly stream: RelayStream
  readonly address: string
  readonly settle: (outcome: ChannelConnection | Error) => void
}

export class RelayTransport implements Transport {
  readonly kind = 'relay'
  readonly localAddress: string
  readonly canListen = true
  readonly #signaling: WebSocketSignaling
  readonly #clock: Clock
  readonly #maxConnections: number
  readonly #windowBytes: number
  readonly #dialTimeoutMs: number
  readonly #channel: ChannelConnectionOptions
  readonly #traffic = newChannelTraffic()
  /** Streams by `${peer} ${stream} ${'mine' | 'theirs'}` (who opened it). */
  readonly #streams = new Map<string, RelayStream>()
  readonly #opening = new Map<string, Opening>()
  readonly #connections = new Set<ChannelConnection>()
  #onConnection: ((connection: Connection) => void) | undefined
  #nextStream = 0
  #isClosed = false
  #closing: Promise<void> | undefined
  readonly #counters = { dials: 0, dialsFailed: 0, accepted: 0, refused: 0, strayFrames: 0 }

  constructor(options: RelayTransportOptions) {
    if (typeof options !== 'object' || options === null) throw invalid(`RelayTransport options must be an object, got ${describeValue(options)}`)
    const signaling = options.signaling
    if (typeof signaling?.sendRelayFrame !== 'function' || typeof signaling.onRelayFrame !== 'function' || !isSignalingId(signaling.localId)) {
      throw invalid(`signaling must be a WebSocketSignaling, got ${describeValue(signaling)}`)
    }
    this.#signaling = signaling
    this.#clock = options.clock ?? systemClock
    this.#maxConnections = checkInteger('maxConnections', options.maxConnections ?? 16, 1, 1_024, invalid)
    this.#windowBytes = checkInteger('windowBytes', options.windowBytes ?? 65_536, MIN_WINDOW_BYTES, 1_048_576, invalid)
    this.#dialTimeoutMs = checkTime('dialTimeoutMs', options.dialTimeoutMs ?? 10_000, invalid)
    this.#channel = { ...(options.channel ?? {}), chunkBytes: Math.min(16_384, this.#windowBytes / 4), clock: this.#clock, traffic: this.#traffic }
    this.localAddress = RELAY_SCHEME + signaling.localId
    signaling.onRelayFrame((bytes) => this.#onFrame(bytes))
    signaling.onClose(() => this.#onSignalingGone())
  }

  /** The relay addresses this transport dials (others are left to other transports). */
  dialOrder(addresses: readonly string[]): string[] {
    return addresses.filter((address) => typeof address === 'string' && address.startsWith(RELAY_SCHEME))
  }

  async listen(onConnection: (connection: Connection) => void): Promise<void> {
    if (this.#isClosed) throw new TransportError('TRANSPORT_CLOSED', 'the relay transport is closed')
    if (this.#onConnection !== undefined) throw new TransportError('TRANSPORT_INVALID_STATE', 'the relay transport is already listening')
    if (typeof onConnection !== 'function') throw invalid('listen() takes a connection handler')
    this.#onConnection = onConnection
  }

  async dial(address: string, options: DialOptions = {}): Promise<Connection> {
    const peer = parseRelayAddress(address)
    if (this.#isClosed) throw new TransportError('TRANSPORT_CLOSED', 'the relay transport is closed')
    if (peer === this.#signaling.localId) throw new TransportError('TRANSPORT_BAD_ADDRESS', `${address} is this transport's own address`)
    const signal = options.signal
    if (signal?.aborted) throw new TransportAbortError(`the dial to ${address} was aborted`, signal.reason)
    const timeoutMs = options.timeoutMs === undefined ? this.#dialTimeoutMs : checkTime('timeoutMs', options.timeoutMs, invalid)
    if (this.#streams.size >= this.#maxConnections) {
      this.#counters.dialsFailed++
      throw new TransportError('TRANSPORT_OVER_BUDGET', `${this.#streams.size} relayed connections are open or opening, the most maxConnections (${this.#maxConnections}) allows`)
    }
    this.#counters.dials++
    const stream = new RelayStream(this.#signaling, peer, ++this.#nextStream, true, this.#windowBytes, this.#clock)
    const key = streamKey(peer, stream.stream, true)
    this.#streams.set(key, stream)
    const outcome = await new Promise<ChannelConnection | Error>((resolve) => {
      let timer: TimerHandle | undefined
      const onAbort = () => settle(new TransportAbortError(`the dial to ${address} was aborted`, signal?.reason))
      const settle = (outcome: ChannelConnection | Error) => {
        if (this.#opening.get(key)?.stream !== stream) return
        this.#opening.delete(key)
        if (timer !== undefined) this.#clock.clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        resolve(outcome)
      }
      this.#opening.set(key, { stream, address, settle })
      timer = this.#clock.setTimeout(() => settle(new TransportError('TRANSPORT_TIMEOUT', `${address} did not accept the relayed connection in ${timeoutMs} ms`)), timeoutMs)
      signal?.addEventListener('abort', onAbort, { once: true })
      if (!stream.sendOpen()) settle(new TransportError('TRANSPORT_UNREACHABLE', `the bootstrap server is not reachable to relay to ${address}`))
    })
    if (outcome instanceof Error) {
      this.#counters.dialsFailed++
      stream.close()
      this.#streams.delete(key)
      throw outcome
    }
    return outcome
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown()
    return this.#closing
  }

  stats(): RelayTransportStats {
    return { ...this.#counters, connections: this.#connections.size, opening: this.#opening.size, traffic: { ...this.#traffic } }
  }

  async #shutdown(): Promise<void> {
    this.#isClosed = true
    // The frame handler stays: closing connections still trade goodbyes, and opens from now on are refused.
    this.#onConnection = undefined
    for (const opening of [...this.#opening.values()]) opening.settle(new TransportError('TRANSPORT_CLOSED', 'the relay transport closed'))
    const connections = [...this.#connections]
    for (const connection of connections) connection.close('transport closed')
    await Promise.all(connections.map((connection) => connection.gone))
    for (const stream of this.#streams.values()) stream.close()
    this.#streams.clear()
  }

  #onSignalingGone(): void {
    for (const opening of [...this.#opening.values()]) opening.settle(new TransportError('TRANSPORT_UNREACHABLE', 'the connection to the bootstrap server closed'))
    for (const stream of this.#streams.values()) stream.fail('the connection to the bootstrap server closed')
  }

  #open(stream: RelayStream, key: string, direction: 'inbound' | 'outbound'): ChannelConnection {
    const connection = new ChannelConnection(stream, { ...this.#channel, localAddress: this.localAddress, remoteAddress: RELAY_SCHEME + stream.peer, direction })
    this.#connections.add(connection)
    void connection.gone.then(() => {
      this.#connections.delete(connection)
      if (this.#streams.get(key) === stream) this.#streams.delete(key)
    })
    return connection
  }

  #onFrame(bytes: Uint8Array): void {
    const frame = decodeRelayFrame(bytes)
    if (frame === undefined) return void this.#counters.strayFrames++
    if (frame.kind === 'gone') return this.#peerGone(frame.peer)
    // The frame's sender opened the stream: it is theirs. Otherwise it answers one of ours.
    const key = streamKey(frame.peer, frame.stream, !frame.isFromOpener)
    const opening = this.#opening.get(key)
    if (opening !== undefined) return this.#answered(opening, key, frame)
    const stream = this.#streams.get(key)
    if (stream !== undefined) return stream.receive(frame)
    if (frame.kind === 'open' && frame.isFromOpener) return this.#accept(frame, key)
    this.#counters.strayFrames++
    // An accept for a dial we gave up on: tell the far side, so it lets go of the stream.
    if (frame.kind === 'accept') this.#signaling.sendRelayFrame(encodeRelayClose(true, frame.peer, frame.stream, 'the dial was given up'))
  }

  /**
   * The far side answered a dial. An accept opens the connection here and now, not after the
   * dial's promise resumes: frames may follow the accept in the same read, and they must find
   * the connection's handlers in place.
   */
  #answered(opening: Opening, key: string, frame: RelayFrame): void {
    if (frame.kind === 'close') {
      opening.stream.fail('refused') // closed by the far side: nothing to tell it
      return opening.settle(new TransportError('TRANSPORT_UNREACHABLE', `${opening.address} refused the relayed connection: ${relayCloseReason(frame) || 'no reason given'}`))
    }
    if (frame.kind !== 'accept') return void this.#counters.strayFrames++
    if (frame.amount < MIN_WINDOW_BYTES || !opening.stream.accept(frame.amount)) {
      return opening.settle(new TransportError('TRANSPORT_UNREACHABLE', `${opening.address} granted a window of ${frame.amount} bytes, below ${MIN_WINDOW_BYTES}`))
    }
    opening.settle(this.#open(opening.stream, key, 'outbound'))
  }

  /** The server says `peer` left it: every stream with it is over. */
  #peerGone(peer: string): void {
    const reason = `${peer} left the bootstrap server`
    for (const opening of [...this.#opening.values()]) if (opening.stream.peer === peer) opening.settle(new TransportError('TRANSPORT_UNREACHABLE', reason))
    for (const stream of this.#streams.values()) if (stream.peer === peer) stream.fail(reason)
  }

  #accept(frame: RelayFrame, key: string): void {
    const refuse = (reason: string) => {
      this.#counters.refused++
      this.#signaling.sendRelayFrame(encodeRelayClose(false, frame.peer, frame.stream, reason))
    }
    const onConnection = this.#onConnection
    if (onConnection === undefined) return refuse(this.#isClosed ? 'closed' : 'not listening')
    if (this.#streams.size >= this.#maxConnections) return refuse('too many relayed connections')
    if (frame.amount < MIN_WINDOW_BYTES) return refuse(`a window of ${frame.amount} bytes is below ${MIN_WINDOW_BYTES}`)
    const stream = new RelayStream(this.#signaling, frame.peer, frame.stream, false, this.#windowBytes, this.#clock)
    this.#streams.set(key, stream)
    if (!stream.accept(frame.amount)) return void this.#streams.delete(key)
    this.#counters.accepted++
    onConnection(this.#open(stream, key, 'inbound'))
  }
}

function streamKey(peer: string, stream: number, isMine: boolean): string {
  return `${peer} ${stream} ${isMine ? 'mine' : 'theirs'}`
}
