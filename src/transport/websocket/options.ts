// Options of the WebSocket transport, checked once at the public boundary.

import { checkInteger, checkNumber, checkTime, describeValue } from '../../util/validate.js'
import { TransportError } from '../errors.js'
import { parseWebSocketAddress, type WebSocketAddress } from './address.js'
import type { WebSocketConstructor } from './socket.js'

export interface WebSocketTransportOptions {
  /** Where listen() listens: 'ws://host:port', port 0 for any free one. Default 'ws://127.0.0.1:0'. */
  listenAddress?: string
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

const invalid = (message: string) => new TransportError('TRANSPORT_INVALID_OPTION', message)

export function checkWebSocketOptions(options: WebSocketTransportOptions): WebSocketSettings {
  if (typeof options !== 'object' || options === null) throw invalid(`WebSocketTransport options must be an object, got ${describeValue(options)}`)
  let listenAt: WebSocketAddress
  try {
    listenAt = parseWebSocketAddress(options.listenAddress ?? DEFAULT_LISTEN_ADDRESS, true)
  } catch (error) {
    throw invalid(`listenAddress: ${(error as Error).message}`)
  }
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
  return {
    listenAt,
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
