// One open RTCDataChannel as a transport Connection. A data channel carries a few thousand
// messages a second whatever their size, so frames travel in chunks (chunk-format.ts): the
// small frames of one turn share a channel message, flushed from a microtask or when the chunk
// is full, and frames larger than a chunk are split and reassembled up to maxMessageBytes.
// Chunks wait in JavaScript while the channel's own buffer is above the high-water mark and
// refill it on 'bufferedamountlow'; a close travels in-band as a goodbye carrying the reason,
// and the side that reads it closes the channel (within closeTimeoutMs, else the other does).
// An arriving frame that came whole is a view into its channel message, not a copy.
//
// The connection owns the channel from construction on: its listeners, binaryType and
// bufferedAmountLowThreshold are the connection's; whoever made the channel closes the peer
// connection once `gone` resolves.

import type { TimerHandle } from '../../util/clock.js'
import { reportUncaught } from '../../util/handlers.js'
import { describeValue } from '../../util/validate.js'
import { TransportError } from '../errors.js'
import type { CloseHandler, CloseInfo, Connection, DrainHandler, MessageHandler } from '../transport.js'
import { encodeGoodbye } from './chunk-format.js'
import { ChunkReader } from './chunk-reader.js'
import { ChunkWriter } from './chunk-writer.js'
import type { ChannelErrorEvent, ChannelMessageEvent, DataChannelLike } from './data-channel.js'
import { checkChannelOptions, newChannelTraffic, type ChannelConnectionOptions, type ChannelSettings, type ChannelTraffic } from './options.js'

/** Why the connection itself ended a connection, as CloseInfo.reason says it (the detail follows a colon where there is one). */
export const REFUSED_TEXT = 'refused a text message'
export const REFUSED_TOO_LARGE = 'refused a frame over maxMessageBytes'
export const REFUSED_MALFORMED = 'refused a malformed chunk'
export const REFUSED_BACKLOG = 'frames waiting for a message handler passed maxBufferedBytes'
/** The reason when the channel closed with no goodbye from the far side (initiator 'network'). */
export const CLOSED_WITHOUT_GOODBYE = 'the data channel closed without a goodbye'
/** The reason's start when the channel reported an error or refused a send (initiator 'network'). */
export const CHANNEL_FAILED = 'the data channel failed'

let connectionCount = 0

const dropFrame = (): boolean => true

export class ChannelConnection implements Connection {
  readonly id = `dc-${++connectionCount}`
  readonly localAddress: string
  readonly remoteAddress: string
  readonly direction: 'inbound' | 'outbound'
  readonly maxMessageBytes: number
  /** This connection's counts (or the shared object given as the `traffic` option). */
  readonly traffic: ChannelTraffic
  /** Resolves once the channel is closed and the connection has let go of it. */
  readonly gone: Promise<void>

  private readonly settings: ChannelSettings
  private readonly writer: ChunkWriter
  private readonly reader: ChunkReader

  private isClosed = false
  private closeInfo: CloseInfo | undefined
  private isCloseNotified = false
  private messageHandler: MessageHandler | undefined
  private closeHandler: CloseHandler | undefined
  private drainHandler: DrainHandler | undefined

  /** Full chunks waiting in JavaScript for the channel's buffer to fall (from `queueHead` on). */
  private queue: (Uint8Array | undefined)[] = []
  private queueHead = 0
  private queuedBytes = 0
  /**
   * The channel's bufferedAmount when last read. The channel only ever lowers it by itself, so
   * this is an upper bound; it is read again, once per chunk sent or before refusing, never
   * per frame (in node-datachannel each read is a call into native code).
   */
  private channelBuffered = 0
  private isFlushScheduled = false
  private isDrainWanted = false

  /** Frames that arrived with no handler to take them (or while earlier ones were being handed over), from `waitingHead` on. */
  private waiting: (Uint8Array | undefined)[] = []
  private waitingHead = 0
  private waitingBytes = 0
  private isDeliveryScheduled = false

  /**
   * Set from close() until the channel closes: what was sent, then the goodbye, still go out
   * (paced as before) while the far side reads them; when it fires, the channel is closed.
   */
  private lingerTimer: TimerHandle | undefined
  private isReleased = false
  private resolveGone!: () => void

  /**
   * Wraps an open channel. Throws TransportError: TRANSPORT_INVALID_OPTION for an option out
   * of range, TRANSPORT_INVALID_STATE when the channel is not open.
   */
  constructor(private readonly channel: DataChannelLike, options: ChannelConnectionOptions = {}) {
    const settings = checkChannelOptions(options)
    if (typeof channel !== 'object' || channel === null || typeof channel.send !== 'function' || typeof channel.addEventListener !== 'function') {
      throw new TransportError('TRANSPORT_INVALID_OPTION', `ChannelConnection takes an RTCDataChannel, got ${describeValue(channel)}`)
    }
    if (channel.readyState !== 'open') {
      throw new TransportError('TRANSPORT_INVALID_STATE', `ChannelConnection takes an open data channel, got one in readyState ${describeValue(channel.readyState)}`)
    }
    this.settings = settings
    this.localAddress = settings.localAddress
    this.remoteAddress = settings.remoteAddress
    this.direction = settings.direction
    this.maxMessageBytes = settings.maxMessageBytes
    this.traffic = settings.traffic ?? newChannelTraffic()
    this.writer = new ChunkWriter(settings.chunkBytes, this.takeChunk)
    this.reader = new ChunkReader(settings.maxMessageBytes)
    this.gone = new Promise((resolve) => (this.resolveGone = resolve))
    channel.binaryType = 'arraybuffer'
    channel.bufferedAmountLowThreshold = settings.lowWaterMarkBytes
    this.channelBuffered = channel.bufferedAmount
    channel.addEventListener('message', this.onChannelMessage)
    channel.addEventListener('bufferedamountlow', this.onChannelLow)
    channel.addEventListener('close', this.onChannelClose)
    channel.addEventListener('error', this.onChannelError)
  }

  get isOpen(): boolean {
    return !this.isClosed
  }

  /** Bytes accepted by send() and not yet handed to the network: held here (chunk format included) plus the channel's own. */
  get bufferedAmount(): number {
    return this.queuedBytes + this.writer.pendingBytes + (this.isReleased ? 0 : this.channel.bufferedAmount)
  }

  send(frame: Uint8Array): boolean {
    if (this.isClosed) throw new TransportError('TRANSPORT_CLOSED', `connection ${this.id} to ${this.remoteAddress} is closed`)
    if (!(frame instanceof Uint8Array)) throw new TransportError('TRANSPORT_INVALID_OPTION', `send() takes a Uint8Array, got ${describeValue(frame)}`)
    const settings = this.settings
    const size = frame.length
    if (size > settings.maxMessageBytes) {
      throw new TransportError('TRANSPORT_TOO_LARGE', `a frame of ${size} bytes is over this connection's maxMessageBytes (${settings.maxMessageBytes})`)
    }
    const held = this.queuedBytes + this.writer.pendingBytes
    if (held + this.channelBuffered + size > settings.maxBufferedBytes) {
      this.channelBuffered = this.channel.bufferedAmount
      if (held + this.channelBuffered + size > settings.maxBufferedBytes) {
        throw new TransportError('TRANSPORT_BUFFER_FULL', `connection ${this.id} has ${held + this.channelBuffered} bytes buffered; ${size} more would pass maxBufferedBytes (${settings.maxBufferedBytes})`)
      }
    }
    this.writer.write(frame)
    // The channel refused a chunk of it (it closed under us): the frame is lost, and onClose follows.
    if (this.isClosed) throw new TransportError('TRANSPORT_CLOSED', `connection ${this.id} to ${this.remoteAddress} closed during send()`)
    const traffic = this.traffic
    traffic.framesSent++
    traffic.bytesSent += size
    if (this.writer.pendingBytes > 0 && !this.isFlushScheduled) {
      this.isFlushScheduled = true
      queueMicrotask(this.flushTurn)
    }
    if (this.queuedBytes + this.writer.pendingBytes + this.channelBuffered <= settings.highWaterMarkBytes) return true
    this.channelBuffered = this.channel.bufferedAmount
    if (this.queuedBytes + this.writer.pendingBytes + this.channelBuffered <= settings.highWaterMarkBytes) return true
    this.isDrainWanted = true
    return false
  }

  onMessage(handler: MessageHandler): void {
    this.messageHandler = handler
    this.scheduleDelivery()
  }

  onClose(handler: CloseHandler): void {
    this.closeHandler = handler
    if (this.isClosed) this.scheduleDelivery()
  }

  onDrain(handler: DrainHandler): void {
    this.drainHandler = handler
  }

  close(reason = ''): void {
    if (this.isClosed) return
    this.closeLocally(String(reason))
  }

  /**
   * Ends the connection because the link under the channel is gone (the peer connection
   * failed), or stops waiting for the far side to close after close(): onClose gets initiator
   * 'network' and `reason` (unless the connection had already ended); nothing more is sent,
   * and the channel is closed at once. Idempotent.
   */
  reset(reason = ''): void {
    if (this.isReleased || (this.isClosed && !this.isFinishing)) return
    this.endWithoutGoodbye({ initiator: 'network', reason: String(reason) })
  }

  // -------------------------------------------------------------------------------------
  // Sending

  /** The writer's sink: a chunk goes to the channel while it has room and none is queued before it. */
  private readonly takeChunk = (chunk: Uint8Array): boolean => {
    if (this.isReleased || (this.isClosed && !this.isFinishing)) return true
    if (this.queueHead === this.queue.length && this.hasChannelRoom()) {
      this.transmit(chunk)
      return true
    }
    this.queue.push(chunk)
    this.queuedBytes += chunk.length
    return false
  }

  private hasChannelRoom(): boolean {
    const high = this.settings.highWaterMarkBytes
    if (this.channelBuffered <= high) return true
    this.channelBuffered = this.channel.bufferedAmount
    return this.channelBuffered <= high
  }

  private transmit(chunk: Uint8Array): void {
    try {
      this.channel.send(chunk)
    } catch (error) {
      this.channelFailed(error)
      return
    }
    this.traffic.chunksSent++
    this.channelBuffered = this.channel.bufferedAmount
  }

  /** End of the turn in which frames were sent: their partial chunk goes out unless chunks are queued before it. */
  private readonly flushTurn = (): void => {
    this.isFlushScheduled = false
    if (this.isClosed) return
    if (this.queueHead === this.queue.length && this.hasChannelRoom()) this.writer.flush()
    this.checkDrain()
  }

  /** The channel's buffer fell to the low-water mark: refill it from the queue, then the partial chunk. */
  private readonly onChannelLow = (): void => {
    if (this.isClosed && !this.isFinishing) return
    this.refill()
    this.checkDrain()
  }

  private refill(): void {
    this.channelBuffered = this.channel.bufferedAmount
    const high = this.settings.highWaterMarkBytes
    while (this.queueHead < this.queue.length && this.channelBuffered <= high) {
      const chunk = this.queue[this.queueHead] as Uint8Array
      this.queue[this.queueHead++] = undefined
      this.queuedBytes -= chunk.length
      this.transmit(chunk)
    }
    if (this.queueHead === this.queue.length) {
      this.queue = []
      this.queueHead = 0
      if (this.writer.pendingBytes > 0 && this.channelBuffered <= high) this.writer.flush()
    }
  }

  private checkDrain(): void {
    if (!this.isDrainWanted || this.isClosed || this.bufferedAmount > this.settings.lowWaterMarkBytes) return
    this.isDrainWanted = false
    this.drainHandler?.()
  }

  // -------------------------------------------------------------------------------------
  // Receiving

  private readonly onChannelMessage = (event: ChannelMessageEvent): void => {
    if (this.isClosed) {
      this.readWhileLingering(event.data)
      return
    }
    const data = event.data
    const traffic = this.traffic
    let chunk: Uint8Array
    if (data instanceof ArrayBuffer) {
      chunk = new Uint8Array(data)
    } else if (typeof data === 'string') {
      traffic.refusedText++
      this.closeLocally(REFUSED_TEXT)
      return
    } else if (ArrayBuffer.isView(data)) {
      chunk = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    } else {
      // binaryType is 'arraybuffer', so a Blob (or anything else) is a channel that ignores it.
      traffic.refusedMalformed++
      this.closeLocally(`${REFUSED_MALFORMED}: a ${describeValue(data)} instead of binary data`)
      return
    }
    traffic.chunksReceived++
    switch (this.reader.read(chunk, this.takeFrame)) {
      case 'ok':
      case 'stopped':
        return
      case 'goodbye':
        this.endWithoutGoodbye({ initiator: 'remote', reason: this.reader.detail })
        return
      case 'malformed':
        traffic.refusedMalformed++
        this.closeLocally(`${REFUSED_MALFORMED}: ${this.reader.detail}`)
        return
      case 'too-large':
        traffic.refusedTooLarge++
        this.closeLocally(`${REFUSED_TOO_LARGE}: ${this.reader.detail}`)
    }
  }

  /**
   * After this side's goodbye, frames are dropped, but a goodbye from the far side (both sides
   * closed at once, so neither will read the other's) or a broken chunk ends the wait: the
   * channel closes now rather than after closeTimeoutMs.
   */
  private readWhileLingering(data: unknown): void {
    if (!this.isFinishing) return
    const chunk = data instanceof ArrayBuffer ? new Uint8Array(data) : undefined
    if (chunk !== undefined && this.reader.read(chunk, dropFrame) === 'ok') return
    this.stopLinger()
    this.dropOutgoing()
    this.closeChannel()
  }

  /** The reader's sink: a frame goes to the handler now, or waits in order. */
  private readonly takeFrame = (frame: Uint8Array): boolean => {
    if (this.isClosed) return false
    const traffic = this.traffic
    traffic.framesReceived++
    traffic.bytesReceived += frame.length
    const handler = this.messageHandler
    if (handler !== undefined && this.waitingHead === this.waiting.length) {
      try {
        handler(frame)
      } catch (error) {
        // The rest of the chunk still belongs to the frames after this one.
        reportUncaught(error)
      }
      return !this.isClosed
    }
    this.waiting.push(frame)
    this.waitingBytes += frame.length
    if (this.waitingBytes + this.reader.heldBytes > this.settings.maxBufferedBytes) {
      traffic.refusedBacklog++
      this.closeLocally(REFUSED_BACKLOG)
      return false
    }
    this.scheduleDelivery()
    return true
  }

  // -------------------------------------------------------------------------------------
  // Ending

  /**
   * This side ends it: frames waiting are dropped; what was sent goes out, paced by the
   * channel as before, then the goodbye. The far side closes the channel once it has read the
   * goodbye: closing it here would reset the stream, and libdatachannel can drop messages that
   * arrived just before a reset and were not yet handed to JavaScript (seen here: 115 of 489
   * chunks lost on 1 close in 8). Whatever has not gone out after closeTimeoutMs is dropped.
   */
  private closeLocally(reason: string): void {
    this.markClosed({ initiator: 'local', reason })
    this.dropWaiting()
    if (this.isReleased) return
    this.lingerTimer = this.settings.clock.setTimeout(() => {
      this.lingerTimer = undefined
      this.dropOutgoing()
      this.closeChannel()
    }, this.settings.closeTimeoutMs)
    this.writer.writeGoodbye(encodeGoodbye(reason))
    this.refill()
  }

  private get isFinishing(): boolean {
    return this.lingerTimer !== undefined
  }

  /** The far side's goodbye, a failed channel or reset(): nothing more is sent, and the channel is closed. */
  private endWithoutGoodbye(info: CloseInfo): void {
    // Frames that arrived before the end are still handed over, then the close.
    if (!this.isClosed) this.markClosed(info)
    this.stopLinger()
    this.dropOutgoing()
    this.closeChannel()
  }

  private channelFailed(error: unknown): void {
    if (this.isClosed) {
      // The goodbye cannot go out any more: stop trying, and wait for the close event.
      if (this.isFinishing) {
        this.stopLinger()
        this.dropOutgoing()
      }
      return
    }
    this.traffic.channelErrors++
    const message = error instanceof Error ? error.message : describeValue(error)
    this.endWithoutGoodbye({ initiator: 'network', reason: `${CHANNEL_FAILED}: ${message}` })
  }

  private readonly onChannelError = (event: ChannelErrorEvent): void => {
    // The close event follows; a connection still open learns from the error why.
    this.channelFailed(event.error ?? 'an error event')
  }

  private readonly onChannelClose = (): void => {
    if (!this.isClosed) this.endWithoutGoodbye({ initiator: 'network', reason: CLOSED_WITHOUT_GOODBYE })
    this.release()
  }

  private markClosed(info: CloseInfo): void {
    this.isClosed = true
    this.closeInfo = info
    this.isDrainWanted = false
    this.scheduleDelivery()
  }

  private dropWaiting(): void {
    this.waiting = []
    this.waitingHead = 0
    this.waitingBytes = 0
  }

  private dropOutgoing(): void {
    this.queue = []
    this.queueHead = 0
    this.queuedBytes = 0
    this.writer.discard()
  }

  private stopLinger(): void {
    if (this.lingerTimer !== undefined) this.settings.clock.clearTimeout(this.lingerTimer)
    this.lingerTimer = undefined
  }

  private closeChannel(): void {
    if (this.isReleased) return
    const state = this.channel.readyState
    if (state === 'closing' || state === 'closed') return
    this.channel.close()
  }

  private release(): void {
    if (this.isReleased) return
    this.isReleased = true
    this.stopLinger()
    this.dropOutgoing()
    const channel = this.channel
    channel.removeEventListener('message', this.onChannelMessage)
    channel.removeEventListener('bufferedamountlow', this.onChannelLow)
    channel.removeEventListener('close', this.onChannelClose)
    // An EventTarget's 'error' with no listener is nothing (unlike an EventEmitter's), so none is left.
    channel.removeEventListener('error', this.onChannelError)
    this.resolveGone()
  }

  /** Hands over waiting frames and then the close, from a microtask: never inside the owner's call. */
  private scheduleDelivery(): void {
    if (this.isDeliveryScheduled) return
    if (this.waitingHead === this.waiting.length && !(this.isClosed && this.closeHandler !== undefined && !this.isCloseNotified)) return
    this.isDeliveryScheduled = true
    queueMicrotask(this.deliver)
  }

  private readonly deliver = (): void => {
    this.isDeliveryScheduled = false
    // Handlers may close or replace themselves, so state is read afresh on every pass.
    while (this.waitingHead < this.waiting.length) {
      const handler = this.messageHandler
      if (handler === undefined) return
      const frame = this.waiting[this.waitingHead] as Uint8Array
      this.waiting[this.waitingHead++] = undefined
      this.waitingBytes -= frame.length
      try {
        handler(frame)
      } catch (error) {
        reportUncaught(error)
      }
    }
    this.waiting = []
    this.waitingHead = 0
    if (this.isClosed && !this.isCloseNotified && this.closeHandler !== undefined) {
      this.isCloseNotified = true
      this.closeHandler(this.closeInfo as CloseInfo)
    }
  }
}
