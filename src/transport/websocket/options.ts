// Options of the WebSocket transport, checked once at the public boundary.

import { checkInteger, checkNumber, checkTime, describeValue } from '../../util/validate.js'
import { TransportError } from '../errors.js'
import { parseWebSocketAddress, type WebSocketAddress } from './address.js'
import type { HttpRequestHandler } from './runtime.js'
import type { WebSocketConstructor } from './socket.js'

/** A TLS key and certificate chain, PEM-encoded, for listening at wss:// (Node only). */
export interface WebSocketTlsOptions {
  readonly key: string | Uint8Array
  readonly cert: string | Uint8Array
}

export interface WebSocketTransportOptions {
  /**
   * Where listen() listens: 'ws://host:port', or 'wss://host:port' with `tls`; port 0 for any
   * free one. Default 'ws://127.0.0.1:0' ('wss://127.0.0.1:0' with `tls`).
   */
  listenAddress?: string
  /** Listen at wss:// with this key and certificate (Node only). Dials to wss:// need nothing: the platform checks the server's certificate. */
  tls?: WebSocketTlsOptions
  /** Answers plain HTTP requests to the listening port (Node only), as the bootstrap server does; without it they get 426 Upgrade Required. */
  onHttpRequest?: HttpRequestHandler
  /** The largest frame sent or received, 1 to 2**30; a larger one arriving closes the connection. Default 262,144. */
  maxMessageBytes?: number
  /** send() returns false once bufferedAmount is above this. Default 1 MiB. */
  highWaterMarkBytes?: number
  /** onDrain fires once bufferedAmount falls to this. Default 256 KiB; at most highWaterMarkBytes. */
  lowWaterMarkBytes?: number
  /** send() throws TRANSPORT_BUFFER_FULL past this; frames waiting for a message handler are held to it too. Default 16 MiB. */
  maxBufferedBytes?: number
  /** Default timeout of a dial, in milliseconds. Default 10,000. */
  dialTimeoutMs?: number
  /** How long a closing connection waits for the far side's close frame before dropping the socket. Default 2,000 ms. */
  closeTimeoutMs?: number
  /** How often bufferedAmount is read while a drain is awaited (WebSocket has no drain event). Default 10 ms. */
  drainPollMs?: number
  /**
   * The WebSocket class dials use. Default: the global WebSocket where there is one (browsers,
   * Node 22), else the ws package's (Node 20), which also refuses frames over
   * maxMessageBytes before buffering them.
   */
  WebSocket?: WebSocketConstructor
}

export interface WebSocketSettings {
  readonly listenAt: WebSocketAddress
  readonly tls: WebSocketTlsOptions | undefined
  readonly onHttpRequest: HttpRequestHandler | undefined
  readonly maxMessageBytes: number
  readonly highWaterMarkBytes: number
  readonly lowWaterMarkBytes: number
  readonly maxBufferedBytes: number
  readonly dialTimeoutMs: number
  readonly closeTimeoutMs: number
  readonly drainPollMs: number
  readonly WebSocket: WebSocketConstructor | undefined
}

export const DEFAULT_LISTEN_ADDRESS = 'ws://127.0.0.1:0'
export const DEFAULT_TLS_LISTEN_ADDRESS = 'wss://127.0.0.1:0'

const invalid = (message: string) => new TransportError('TRANSPORT_INVALID_OPTION', message)

function checkTls(tls: unknown): WebSocketTlsOptions | undefined {
  if (tls === undefined) return undefined
  const isPem = (value: unknown) => (typeof value === 'string' && value.length > 0) || (value instanceof Uint8Array && value.length > 0)
  if (typeof tls !== 'object' || tls === null || !isPem((tls as WebSocketTlsOptions).key) || !isPem((tls as WebSocketTlsOptions).cert)) {
    throw invalid(`tls must be { key, cert }, each PEM as a string or bytes, got ${describeValue(tls)}`)
  }
  const { key, cert } = tls as WebSocketTlsOptions
  return { key, cert }
}

export function checkWebSocketOptions(options: WebSocketTransportOptions): WebSocketSettings {
  if (typeof options !== 'object' || options === null) throw invalid(`WebSocketTransport options must be an object, got ${describeValue(options)}`)
  const tls = checkTls(options.tls)
  let listenAt: WebSocketAddress
  try {
    listenAt = parseWebSocketAddress(options.listenAddress ?? (tls === undefined ? DEFAULT_LISTEN_ADDRESS : DEFAULT_TLS_LISTEN_ADDRESS), true)
  } catch (error) {
    throw invalid(`listenAddress: ${(error as Error).message}`)
  }
  if (listenAt.scheme === 'wss' && tls === undefined) throw invalid('listenAddress is wss://, which needs tls: { key, cert }')
  if (listenAt.scheme === 'ws' && tls !== undefined) throw invalid('tls is given, so listenAddress must be wss://host:port')
  const maxMessageBytes = checkInteger('maxMessageBytes', options.maxMessageBytes ?? 262_144, 1, 2 ** 30, invalid)
  const maxBufferedBytes = checkNumber('maxBufferedBytes', options.maxBufferedBytes ?? 16 * 1_048_576, 1, 2 ** 40, invalid)
  const highWaterMarkBytes = checkNumber('highWaterMarkBytes', options.highWaterMarkBytes ?? Math.min(1_048_576, maxBufferedBytes), 0, maxBufferedBytes, invalid)
  const lowWaterMarkBytes = checkNumber('lowWaterMarkBytes', options.lowWaterMarkBytes ?? Math.min(262_144, highWaterMarkBytes), 0, highWaterMarkBytes, invalid)
  const dialTimeoutMs = checkTime('dialTimeoutMs', options.dialTimeoutMs ?? 10_000, invalid)
  const closeTimeoutMs = checkTime('closeTimeoutMs', options.closeTimeoutMs ?? 2_000, invalid)
  const drainPollMs = checkNumber('drainPollMs', options.drainPollMs ?? 10, 1, 60_000, invalid)
  if (options.WebSocket !== undefined && typeof options.WebSocket !== 'function') {
    throw invalid(`WebSocket must be a WebSocket class, got ${describeValue(options.WebSocket)}`)
  }
  if (options.onHttpRequest !== undefined && typeof options.onHttpRequest !== 'function') {
    throw invalid(`onHttpRequest must be a function (request, response), got ${describeValue(options.onHttpRequest)}`)
  }
  return {
    listenAt,
    tls,
    onHttpRequest: options.onHttpRequest,
    maxMessageBytes,
    highWaterMarkBytes,
    lowWaterMarkBytes,
    maxBufferedBytes,
    dialTimeoutMs,
    closeTimeoutMs,
    drainPollMs,
    WebSocket: options.WebSocket,
  }
}
