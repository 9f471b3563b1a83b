// The WebSocket transport: dials 'ws://host:port' from anywhere, listens in Node (through ws).
// Each connection is one WebSocket carrying binary frames; see connection.ts.

import { checkTime } from '../../util/validate.js'
import { addressesParsedBy } from '../addresses.js'
import { TransportAbortError, TransportError } from '../errors.js'
import type { Connection, DialOptions, Transport } from '../transport.js'
import { formatWebSocketAddress, parseWebSocketAddress } from './address.js'
import { WebSocketConnection, type ConnectionOwner, type WebSocketTraffic } from './connection.js'
import { PendingWebSocketDial, type DialOwner } from './dial.js'
import { runtime } from './node-runtime.js'
import { checkWebSocketOptions, type WebSocketSettings, type WebSocketTransportOptions } from './options.js'
import type { WebSocketServerHandle } from './runtime.js'
import type { WebSocketConstructor, WebSocketLike } from './socket.js'

/** What stats() reports: traffic, the connections refused for what their peer sent, and open connections. */
export type WebSocketTransportStats = Readonly<WebSocketTraffic> & { readonly connections: number }

/**
 * A transport over WebSockets.
 *
 * - `listen()` (Node only) serves 'ws://host:port' from `listenAddress`; with port 0,
 *   `localAddress` gives the port bound once listen() resolved.
 * - Frames are binary WebSocket messages, one frame each. A text message, or one over
 *   maxMessageBytes (refused by ws before it is buffered), closes that connection with
 *   initiator 'local' and is counted in stats().
 * - close() closes every connection, stops the server and resolves once no socket, server or
 *   timer of this transport is left.
 */
export class WebSocketTransport implements Transport {
  readonly kind = 'websocket'
  readonly #settings: WebSocketSettings
  #localAddress: string
  #server: WebSocketServerHandle | undefined
  #isListening = false
  #isClosed = false
  #closing: Promise<void> | undefined
  readonly #connections = new Set<WebSocketConnection>()
  readonly #dials = new Set<PendingWebSocketDial>()
  /** Sockets of failed dials, until each is closed. */
  readonly #tearingDown = new Set<Promise<void>>()
  readonly #counters: WebSocketTraffic = {
    messagesSent: 0, bytesSent: 0, messagesReceived: 0, bytesReceived: 0, refusedText: 0, refusedTooLarge: 0, refusedBacklog: 0, refusedMalformed: 0, terminatedAfterClose: 0,
  }

  readonly #owner: ConnectionOwner & DialOwner

  constructor(options: WebSocketTransportOptions = {}) {
    this.#settings = checkWebSocketOptions(options)
    this.#localAddress = formatWebSocketAddress(this.#settings.listenAt)
    const transport = this
    this.#owner = {
      settings: this.#settings,
      get localAddress() {
        return transport.#localAddress
      },
      counters: this.#counters,
      released: (connection) => void this.#connections.delete(connection),
      adopt: (socket, address) => this.#adopt(socket, address, 'outbound'),
      settled: (dial, closed) => {
        this.#dials.delete(dial)
        if (closed === undefined) return
        this.#tearingDown.add(closed)
        void closed.then(() => this.#tearingDown.delete(closed))
      },
    }
  }

  /** Where others dial this transport; the bound port once listen() resolved. */
  get localAddress(): string {
    return this.#localAddress
  }

  get isListening(): boolean {
    return this.#server !== undefined
  }

  /** False in a browser: a page can dial WebSockets but not accept them. */
  get canListen(): boolean {
    return runtime.listen !== undefined
  }

  /** The 'ws://' and 'wss://' addresses among `addresses`, in their order. */
  dialOrder(addresses: readonly string[]): string[] {
    return addressesParsedBy(addresses, (address) => parseWebSocketAddress(address))
  }

  listen(onConnection: (connection: Connection) => void): Promise<void> {
    if (this.#isClosed) return Promise.reject(new TransportError('TRANSPORT_CLOSED', `transport ${this.#localAddress} is closed`))
    if (typeof onConnection !== 'function') {
      return Promise.reject(new TransportError('TRANSPORT_INVALID_OPTION', `listen() takes a connection handler function, got ${String(onConnection)}`))
    }
    if (this.#isListening) return Promise.reject(new TransportError('TRANSPORT_INVALID_STATE', `transport ${this.#localAddress} is already listening`))
    const listen = runtime.listen
    if (listen === undefined) {
      return Promise.reject(new TransportError('TRANSPORT_INVALID_STATE', 'a WebSocket transport listens only in Node (through the ws package); here it can dial'))
    }
    this.#isListening = true
    const { host, port } = this.#settings.listenAt
    const onSocket = (socket: WebSocketLike, remoteAddress: string) => {
      if (this.#isClosed) {
        socket.terminate?.()
        return
      }
      onConnection(this.#adopt(socket, remoteAddress, 'inbound'))
    }
    return listen(host, port, this.#settings.maxMessageBytes, onSocket, this.#settings.tls, this.#settings.onHttpRequest).then(
      async (server) => {
        if (this.#isClosed) {
          await server.close()
          throw new TransportError('TRANSPORT_CLOSED', `transport ${this.#localAddress} closed while it started listening`)
        }
        this.#server = server
        this.#localAddress = formatWebSocketAddress({ scheme: this.#settings.listenAt.scheme, host, port: server.port })
      },
      (error: unknown) => {
        this.#isListening = false
        throw error
      },
    )
  }

  dial(address: string, options?: DialOptions): Promise<Connection> {
    return new Promise<Connection>((resolve, reject) => {
      if (this.#isClosed) throw new TransportError('TRANSPORT_CLOSED', `transport ${this.#localAddress} is closed`)
      parseWebSocketAddress(address)
      const timeoutMs = options?.timeoutMs === undefined
        ? this.#settings.dialTimeoutMs
        : checkTime('timeoutMs', options.timeoutMs, (message) => new TransportError('TRANSPORT_INVALID_OPTION', message))
      const signal = options?.signal
      if (signal?.aborted) throw new TransportAbortError(`dial from ${this.#localAddress} to ${address} was aborted`, { cause: signal.reason })
      const open = this.#opener()
      const dial = new PendingWebSocketDial(this.#owner, address, timeoutMs, signal, resolve as (connection: unknown) => void, reject)
      try {
        dial.start(open) // a throw here leaves nothing armed
      } catch (error) {
        // The W3C constructor throws a SyntaxError for a URL it will not open.
        throw new TransportError('TRANSPORT_BAD_ADDRESS', `the WebSocket class refused ${address}: ${(error as Error).message}`, { cause: error })
      }
      this.#dials.add(dial) // a socket's events never fire inside its constructor, so this precedes settling
    })
  }

  /** Idempotent; resolves once every socket, the server and every timer of this transport are gone. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown()
    return this.#closing
  }

  stats(): WebSocketTransportStats {
    return { ...this.#counters, connections: this.#connections.size }
  }

  async #shutdown(): Promise<void> {
    this.#isClosed = true
    for (const dial of [...this.#dials]) dial.fail(new TransportError('TRANSPORT_CLOSED', `transport ${this.#localAddress} closed while dialling`))
    const connections = [...this.#connections]
    for (const connection of connections) connection.close('transport closed')
    await Promise.all(connections.map((connection) => connection.gone))
    await this.#server?.close()
    this.#server = undefined
    await Promise.all([...this.#tearingDown])
  }

  #adopt(socket: WebSocketLike, remoteAddress: string, direction: 'inbound' | 'outbound'): WebSocketConnection {
    const connection = new WebSocketConnection(this.#owner, socket, remoteAddress, direction, direction === 'inbound')
    this.#connections.add(connection)
    return connection
  }

  /** How dials open sockets: the WebSocket option, else the global WebSocket, else ws. */
  #opener(): (url: string) => WebSocketLike {
    const Class = this.#settings.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
    if (Class !== undefined) return (url) => new Class(url)
    const open = runtime.open
    if (open === undefined) throw new TransportError('TRANSPORT_INVALID_STATE', 'there is no WebSocket class here: pass one as the WebSocket option')
    const maxPayload = this.#settings.maxMessageBytes
    return (url) => open(url, maxPayload)
  }
}
