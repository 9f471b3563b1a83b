// A Signaling over a bootstrap server (bootstrap-server.ts): the WebRTC transport's offers,
// answers and candidates go to the server, which relays them by id. Dials with a
// WebSocketTransport, so it runs in browsers and in Node alike.

import { WebSocketTransport } from '../transport/websocket/transport.js'
import type { WebSocketConstructor } from '../transport/websocket/socket.js'
import type { Connection } from '../transport/transport.js'
import { isSignalingId } from '../transport/webrtc/address.js'
import { UNREACHABLE_REASON, type SignalMessage, type Signaling } from '../transport/webrtc/signaling.js'
import { systemClock, type Clock } from '../util/clock.js'
import { checkTime, describeValue } from '../util/validate.js'
import { toHex } from '../util/hex.js'
import { DiscoveryError } from './errors.js'
import { encodeFrame, MAX_ANNOUNCED_ADDRESSES, MAX_FRAME_BYTES, parseServerFrame, type ServerFrame } from './protocol.js'
import { RELAY_MARKER } from './relay-frame.js'

export interface WebSocketSignalingOptions {
  /** The id to register, which others dial as 'webrtc://<id>': 1 to 128 of A-Z a-z 0-9 . _ ~ -. Required. */
  id: string
  /** Where this client can be dialled, listed by the server's GET /peers (a node's addresses). At most 8. */
  announce?: readonly string[]
  /** How long connecting and registering may take, in milliseconds. Default 10,000. */
  timeoutMs?: number
  /** The WebSocket class to dial with (see WebSocketTransportOptions). */
  WebSocket?: WebSocketConstructor
  signal?: AbortSignal
  /** The registration timeout's timer. Default the system clock. */
  clock?: Clock
}

export interface WebSocketSignalingStats {
  readonly sent: number
  readonly received: number
  /** Frames from the server that were not one of its frame types. */
  readonly malformed: number
  /** Error frames the server sent (rate-limited, malformed…), by code. */
  readonly errors: Readonly<Record<string, number>>
}

export class WebSocketSignaling implements Signaling {
  readonly localId: string
  readonly #transport: WebSocketTransport
  readonly #connection: Connection
  #handler: ((fromId: string, message: unknown) => void) | undefined
  #relayHandler: ((bytes: Uint8Array) => void) | undefined
  #isClosed = false
  #sent = 0
  #received = 0
  #malformed = 0
  readonly #errors: Record<string, number> = {}
  readonly #closeListeners = new Set<() => void>()
  #closing: Promise<void> | undefined

  readonly #clock: Clock

  private constructor(id: string, transport: WebSocketTransport, connection: Connection, clock: Clock) {
    this.localId = id
    this.#clock = clock
    this.#transport = transport
    this.#connection = connection
    connection.onMessage((bytes) => (bytes[0] === RELAY_MARKER ? this.#relayHandler?.(bytes) : this.#onFrame(parseServerFrame(bytes))))
    connection.onClose(() => void this.#shutdown())
  }

  /**
   * Connects to the bootstrap server at `url` ('ws://host:port' or 'wss://…') and registers
   * `options.id`. Rejects with DiscoveryError: DISCOVERY_INVALID_OPTION, DISCOVERY_UNREACHABLE
   * (no server, or it did not answer in time), DISCOVERY_ID_TAKEN, DISCOVERY_REFUSED.
   */
  static async connect(url: string, options: WebSocketSignalingOptions): Promise<WebSocketSignaling> {
    if (typeof options !== 'object' || options === null || !isSignalingId(options.id)) {
      throw new DiscoveryError('DISCOVERY_INVALID_OPTION', `id must be 1 to 128 of A-Z a-z 0-9 . _ ~ -, got ${describeValue(options?.id)}`)
    }
    const announce = options.announce ?? []
    if (!Array.isArray(announce) || announce.length > MAX_ANNOUNCED_ADDRESSES || !announce.every((address) => typeof address === 'string' && address.length > 0 && address.length <= 256)) {
      throw new DiscoveryError('DISCOVERY_INVALID_OPTION', `announce must be up to ${MAX_ANNOUNCED_ADDRESSES} addresses of 1 to 256 characters, got ${describeValue(announce)}`)
    }
    const timeoutMs = checkTime('timeoutMs', options.timeoutMs ?? 10_000, (message) => new DiscoveryError('DISCOVERY_INVALID_OPTION', message))
    const clock = options.clock ?? systemClock
    let transport: WebSocketTransport
    try {
      transport = new WebSocketTransport({ maxMessageBytes: MAX_FRAME_BYTES, dialTimeoutMs: timeoutMs, ...(options.WebSocket === undefined ? {} : { WebSocket: options.WebSocket }) })
    } catch (error) {
      throw new DiscoveryError('DISCOVERY_INVALID_OPTION', (error as Error).message, { cause: error })
    }
    let connection: Connection
    try {
      connection = await transport.dial(url, options.signal === undefined ? {} : { signal: options.signal })
    } catch (error) {
      await transport.close()
      throw new DiscoveryError('DISCOVERY_UNREACHABLE', `no bootstrap server answered at ${String(url)}: ${(error as Error).message}`, { cause: error })
    }
    const answer = await new Promise<ServerFrame | 'closed' | 'timeout'>((resolve) => {
      const timer = clock.setTimeout(() => resolve('timeout'), timeoutMs)
      connection.onMessage((bytes) => {
        clock.clearTimeout(timer)
        resolve(parseServerFrame(bytes) ?? 'closed')
      })
      connection.onClose(() => {
        clock.clearTimeout(timer)
        resolve('closed')
      })
      connection.send(encodeFrame({ type: 'register', id: options.id }))
    })
    if (answer === 'closed' || answer === 'timeout' || answer.type !== 'registered') {
      connection.close('registration failed')
      await transport.close()
      if (typeof answer === 'object' && answer.type === 'error') {
        throw new DiscoveryError(answer.code === 'id-taken' ? 'DISCOVERY_ID_TAKEN' : 'DISCOVERY_REFUSED', `the server at ${url} refused ${options.id}: ${answer.code}: ${answer.message}`)
      }
      throw new DiscoveryError('DISCOVERY_UNREACHABLE', `the server at ${url} ${answer === 'timeout' ? `did not answer the registration in ${timeoutMs} ms` : 'closed the connection'}`)
    }
    const signaling = new WebSocketSignaling(options.id, transport, connection, clock)
    if (announce.length > 0) signaling.announce(announce)
    return signaling
  }

  /** True until close(), or until the server went away. */
  get isOpen(): boolean {
    return !this.#isClosed
  }

  /**
   * Tells the server where this client can be dialled (listed by GET /peers), replacing what
   * it announced before; with `peerId`, the mesh peer id the addresses lead to, listed with
   * them so that others can dial expecting it (BootstrapServerDiscovery announces so).
   */
  announce(addresses: readonly string[], peerId?: Uint8Array): void {
    const listed = [...addresses].slice(0, MAX_ANNOUNCED_ADDRESSES)
    this.#post(encodeFrame(peerId === undefined ? { type: 'announce', addresses: listed } : { type: 'announce', addresses: listed, peerId: toHex(peerId) }))
  }

  send(toId: string, message: SignalMessage): void {
    if (this.#isClosed) {
      // The contract: a peer we cannot reach answers with a 'bye'; with the server gone, nobody is reachable.
      const handler = this.#handler
      if (handler !== undefined && message.type !== 'bye') this.#clock.setTimeout(() => handler(toId, { type: 'bye', connectionId: message.connectionId, reason: UNREACHABLE_REASON }), 0)
      return
    }
    this.#post(encodeFrame({ type: 'signal', to: toId, message }))
  }

  onMessage(handler: (fromId: string, message: unknown) => void): void {
    this.#handler = handler
  }

  /** @internal Where the relay frames the server forwards to this client go (RelayTransport's); one handler at a time. */
  onRelayFrame(handler: ((bytes: Uint8Array) => void) | undefined): void {
    this.#relayHandler = handler
  }

  /** @internal Sends a relay frame (relay-frame.ts); false when the connection is closed or its buffer is full. */
  sendRelayFrame(bytes: Uint8Array): boolean {
    if (this.#isClosed || !this.#connection.isOpen) return false
    try {
      this.#connection.send(bytes)
      return true
    } catch {
      return false
    }
  }

  /** @internal Bytes waiting in the connection to the server. */
  get bufferedAmount(): number {
    return this.#connection.bufferedAmount
  }

  /** Called once when the connection to the server ends (close(), or the server went away). */
  onClose(listener: () => void): () => void {
    this.#closeListeners.add(listener)
    return () => this.#closeListeners.delete(listener)
  }

  close(): void {
    void this.#shutdown()
  }

  /** Resolves once the connection and its transport are gone. */
  closed(): Promise<void> {
    return this.#shutdown()
  }

  stats(): WebSocketSignalingStats {
    return { sent: this.#sent, received: this.#received, malformed: this.#malformed, errors: { ...this.#errors } }
  }

  #post(frame: Uint8Array): void {
    if (this.#isClosed) return
    try {
      this.#connection.send(frame)
      this.#sent++
    } catch {
      // Closed meanwhile, or the buffer is full: signals are best effort.
    }
  }

  #onFrame(frame: ServerFrame | undefined): void {
    if (frame === undefined) return void this.#malformed++
    this.#received++
    if (frame.type === 'signal') this.#handler?.(frame.from, frame.message)
    else if (frame.type === 'error') this.#errors[frame.code] = (this.#errors[frame.code] ?? 0) + 1
  }

  #shutdown(): Promise<void> {
    this.#closing ??= (async () => {
      this.#isClosed = true
      this.#connection.close('signaling closed')
      await this.#transport.close()
      for (const listener of this.#closeListeners) listener()
      this.#closeListeners.clear()
    })()
    return this.#closing
  }
}
