// Options of a channel connection, checked once at the public boundary.

import { systemClock, type Clock } from '../../util/clock.js'
import { checkInteger, checkNumber, checkTime, describeValue } from '../../util/validate.js'
import { TransportError } from '../errors.js'

/** Counts of one connection's traffic and refusals; pass one object to several connections to sum them. */
export interface ChannelTraffic {
  framesSent: number
  bytesSent: number
  /** Channel messages sent: far fewer than frames when small frames are coalesced. */
  chunksSent: number
  framesReceived: number
  bytesReceived: number
  chunksReceived: number
  /** Connections closed because the far side sent a text message. */
  refusedText: number
  /** Connections closed because the far side sent, or announced, a frame over maxMessageBytes. */
  refusedTooLarge: number
  /** Connections closed because a chunk broke the chunk format (docs/protocol.md). */
  refusedMalformed: number
  /** Connections closed because frames waiting for a message handler passed maxBufferedBytes. */
  refusedBacklog: number
  /** Connections ended by a data-channel error, or by a send the channel refused. */
  channelErrors: number
}

export function newChannelTraffic(): ChannelTraffic {
  return {
    framesSent: 0, bytesSent: 0, chunksSent: 0, framesReceived: 0, bytesReceived: 0, chunksReceived: 0,
    refusedText: 0, refusedTooLarge: 0, refusedMalformed: 0, refusedBacklog: 0, channelErrors: 0,
  }
}

export interface ChannelConnectionOptions {
  /** This side's address, as Connection.localAddress reports it. Default ''. */
  localAddress?: string
  /** The far side's address, as Connection.remoteAddress reports it. Default ''. */
  remoteAddress?: string
  /** 'outbound' on the side that dialled. Default 'outbound'. */
  direction?: 'inbound' | 'outbound'
  /**
   * Largest channel message sent, 256 to 1,048,576 bytes. Default 16,384, the size every
   * browser's data channel carries; up to the far side's SCTP max-message-size where known.
   */
  chunkBytes?: number
  /** The largest frame sent or received, 0 to 2**28 - 1; a larger one arriving closes the connection. Default 1,048,576. */
  maxMessageBytes?: number
  /** send() returns false once bufferedAmount is above this, and chunks wait in JavaScript while the channel's own buffer is. Default 1 MiB. */
  highWaterMarkBytes?: number
  /** onDrain fires once bufferedAmount falls to this; also the channel's bufferedAmountLowThreshold. Default 256 KiB; at most highWaterMarkBytes. */
  lowWaterMarkBytes?: number
  /** send() throws TRANSPORT_BUFFER_FULL past this; frames waiting for a message handler are held to it too. Default 16 MiB; at least maxMessageBytes. */
  maxBufferedBytes?: number
  /**
   * How long a closing side keeps sending what was sent before close(), then its goodbye, and
   * waits for the far side to close the channel, before it closes the channel itself and drops
   * whatever is left. Default 5,000 ms. (The reader of the goodbye closes the channel because
   * libdatachannel can drop data that arrived just before a stream reset.)
   */
  closeTimeoutMs?: number
  /** Times closeTimeoutMs. Default the system clock. */
  clock?: Clock
  /** Where the counts go; default a fresh object of this connection's own (ChannelConnection.traffic). */
  traffic?: ChannelTraffic
}

export interface ChannelSettings {
  readonly localAddress: string
  readonly remoteAddress: string
  readonly direction: 'inbound' | 'outbound'
  readonly chunkBytes: number
  readonly maxMessageBytes: number
  readonly highWaterMarkBytes: number
  readonly lowWaterMarkBytes: number
  readonly maxBufferedBytes: number
  readonly closeTimeoutMs: number
  readonly clock: Clock
  readonly traffic: ChannelTraffic | undefined
}

export const DEFAULT_CHUNK_BYTES = 16_384
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_576

const invalid = (message: string) => new TransportError('TRANSPORT_INVALID_OPTION', message)

function checkString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw invalid(`${name} must be a string, got ${describeValue(value)}`)
  return value
}

export function checkChannelOptions(options: ChannelConnectionOptions): ChannelSettings {
  if (typeof options !== 'object' || options === null) throw invalid(`ChannelConnection options must be an object, got ${describeValue(options)}`)
  const direction = options.direction ?? 'outbound'
  if (direction !== 'inbound' && direction !== 'outbound') throw invalid(`direction must be 'inbound' or 'outbound', got ${describeValue(direction)}`)
  const chunkBytes = checkInteger('chunkBytes', options.chunkBytes ?? DEFAULT_CHUNK_BYTES, 256, 1_048_576, invalid)
  const maxMessageBytes = checkInteger('maxMessageBytes', options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, 0, 2 ** 28 - 1, invalid)
  const maxBufferedBytes = checkNumber('maxBufferedBytes', options.maxBufferedBytes ?? Math.max(16 * 1_048_576, maxMessageBytes), maxMessageBytes, 2 ** 40, invalid)
  const highWaterMarkBytes = checkNumber('highWaterMarkBytes', options.highWaterMarkBytes ?? Math.min(1_048_576, maxBufferedBytes), 0, maxBufferedBytes, invalid)
  const lowWaterMarkBytes = checkNumber('lowWaterMarkBytes', options.lowWaterMarkBytes ?? Math.min(262_144, highWaterMarkBytes), 0, highWaterMarkBytes, invalid)
  const closeTimeoutMs = checkTime('closeTimeoutMs', options.closeTimeoutMs ?? 5_000, invalid)
  const clock = options.clock ?? systemClock
  if (typeof clock !== 'object' || clock === null || typeof clock.setTimeout !== 'function' || typeof clock.clearTimeout !== 'function') {
    throw invalid(`clock must be a Clock (now, setTimeout, clearTimeout), got ${describeValue(clock)}`)
  }
  const traffic = options.traffic
  if (traffic !== undefined && (typeof traffic !== 'object' || traffic === null || typeof traffic.framesSent !== 'number')) {
    throw invalid(`traffic must be a ChannelTraffic object (newChannelTraffic()), got ${describeValue(traffic)}`)
  }
  return {
    localAddress: checkString('localAddress', options.localAddress ?? ''),
    remoteAddress: checkString('remoteAddress', options.remoteAddress ?? ''),
    direction,
    chunkBytes,
    maxMessageBytes,
    highWaterMarkBytes,
    lowWaterMarkBytes,
    maxBufferedBytes,
    closeTimeoutMs,
    clock,
    traffic,
  }
}
