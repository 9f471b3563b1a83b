// One WebSocket as a transport Connection: binary frames only, each one frame; a text frame
// or one over maxMessageBytes from the far side closes the connection (and is counted).
// WebSocket has no drain event, so a drain awaited is a poll of bufferedAmount.

import { TransportError } from '../errors.js'
import type { CloseHandler, CloseInfo, Connection, DrainHandler, MessageHandler } from '../transport.js'
import type { WebSocketSettings } from './options.js'
import {
  CLOSE_ABNORMAL, CLOSE_NORMAL, CLOSE_REFUSED_DATA, CLOSE_REFUSED_SIZE, closeReason,
  type SocketCloseEvent, type SocketErrorEvent, type SocketMessageEvent, type WebSocketLike,
} from './socket.js'

/** Traffic and refusals through one WebSocket transport, counted by its connections. */
export interface WebSocketTraffic {
  messagesSent: number
  bytesSent: number
  messagesReceived: number
  bytesReceived: number
  /** Connections closed because the far side sent a text frame. */
  refusedText: number
  /** Connections closed because the far side sent a frame over maxMessageBytes. */
  refusedTooLarge: number
  /** Connections closed because frames waiting for a message handler passed maxBufferedBytes. */
  refusedBacklog: number
  /** Connections closed because the far side broke the WebSocket protocol (an unmasked client frame, a bad opcode...). */
  refusedMalformed: number
  /**
   * Connections this side closed whose far side kept sending data instead of its close frame
   * (past MAX_BYTES_AFTER_CLOSE): dropped at once rather than read to the end.
   */
  terminatedAfterClose: number
}

/** What a connection needs from the transport that made it. */
export interface ConnectionOwner {
  readonly settings: WebSocketSettings
  readonly localAddress: string
  readonly counters: WebSocketTraffic
  /** The socket is gone: nothing of this connection is left to release. */
  released(connection: WebSocketConnection): void
}

/** Why the transport itself ended a connection, as CloseInfo.reason says it. */
export const REFUSED_TEXT = 'refused a text frame'
export const REFUSED_TOO_LARGE = 'refused a frame over maxMessageBytes'
export const REFUSED_BACKLOG = 'frames waiting for a message handler passed maxBufferedBytes'
export const REFUSED_MALFORMED = 'refused a malformed frame'

/** Data a closing connection reads while it waits for the far side's close frame; past it, the TCP connection is dropped. */
export const MAX_BYTES_AFTER_CLOSE = 65_536

let connectionCount = 0

export class WebSocketConnection implements Connection {
  readonly id = `ws-${++connectionCount}`
  /** Resolves once the socket is closed (or given up on after closeTimeoutMs). */
  readonly gone: Promise<void>

  private isClosed = false
  private closeInfo: CloseInfo | undefined
  private isCloseNotified = false
  private messageHandler: MessageHandler | undefined
  private closeHandler: CloseHandler | undefined
  private drainHandler: DrainHandler | undefined
  /** Frames that arrived with no handler to take them (or while earlier ones were being handed over). */
  private readonly waiting: Uint8Array[] = []
  private waitingBytes = 0
  private isDeliveryScheduled = false
  private drainTimer: ReturnType<typeof setTimeout> | undefined
  private lingerTimer: ReturnType<typeof setTimeout> | undefined
  private isReleased = false
  private resolveGone!: () => void
  /** This side stopped reading: the far side's close frame may sit behind whatever it sent meanwhile. */
  private isReadingPaused = false
  /** Bytes of data frames read after this side closed, while waiting for the far side's close frame. */
  private bytesAfterClose = 0
  /** Read-side flow control, only where the socket has it (ws in Node; a browser's WebSocket cannot stop reading). */
  readonly pauseReading?: () => void
  readonly resumeReading?: () => void

  constructor(
    private readonly owner: ConnectionOwner,
    private readonly socket: WebSocketLike,
    readonly remoteAddress: string,
    readonly direction: 'inbound' | 'outbound',
    /** ws writes an unmasked frame from the sender's own memory, so server-side frames are copied. */
    private readonly copiesOnSend: boolean,
  ) {
    this.gone = new Promise((resolve) => (this.resolveGone = resolve))
    socket.binaryType = 'arraybuffer'
    socket.addEventListener('message', this.onSocketMessage)
    socket.addEventListener('close', this.onSocketClose)
    socket.addEventListener('error', this.onSocketError)
    if (typeof socket.pause === 'function' && typeof socket.resume === 'function') {
      this.pauseReading = () => {
        if (this.isReleased) return
        this.isReadingPaused = true
        socket.pause?.()
      }
      this.resumeReading = () => {
        if (this.isReleased) return
        this.isReadingPaused = false
        socket.resume?.()
      }
    }
  }

  get localAddress(): string {
    return this.owner.localAddress
  }

  get isOpen(): boolean {
    return !this.isClosed
  }

  get maxMessageBytes(): number {
    return this.owner.settings.maxMessageBytes
  }

  get bufferedAmount(): number {
    return this.isReleased ? 0 : this.socket.bufferedAmount
  }

  send(frame: Uint8Array): boolean {
    if (this.isClosed) throw new TransportError('TRANSPORT_CLOSED', `connection ${this.id} to ${this.remoteAddress} is closed`)
    if (!(frame instanceof Uint8Array)) throw new TransportError('TRANSPORT_INVALID_OPTION', `send() takes a Uint8Array, got ${String(frame)}`)
    const settings = this.owner.settings
    const size = frame.byteLength
    if (size > settings.maxMessageBytes) {
      throw new TransportError('TRANSPORT_TOO_LARGE', `a frame of ${size} bytes is over this connection's maxMessageBytes (${settings.maxMessageBytes})`)
    }
    const buffered = this.socket.bufferedAmount
    if (buffered + size > settings.maxBufferedBytes) {
      throw new TransportError('TRANSPORT_BUFFER_FULL', `connection ${this.id} has ${buffered} bytes buffered; ${size} more would pass maxBufferedBytes (${settings.maxBufferedBytes})`)
    }
    this.socket.send(this.copiesOnSend ? frame.slice() : frame)
    const counters = this.owner.counters
    counters.messagesSent++
    counters.bytesSent += size
    if (this.socket.bufferedAmount <= settings.highWaterMarkBytes) return true
    if (this.drainTimer === undefined) this.drainTimer = setTimeout(this.pollDrain, settings.drainPollMs)
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
    this.end({ initiator: 'local', reason: String(reason) }, CLOSE_NORMAL)
  }

  // -------------------------------------------------------------------------------------

  private readonly onSocketMessage = (event: SocketMessageEvent): void => {
    if (this.isClosed) return this.readAfterClose(event.data)
    const data = event.data
    const counters = this.owner.counters
    if (!(data instanceof ArrayBuffer)) {
      // binaryType is 'arraybuffer', so anything else is a text frame.
      counters.refusedText++
      this.end({ initiator: 'local', reason: REFUSED_TEXT }, CLOSE_REFUSED_DATA)
      return
    }
    const settings = this.owner.settings
    if (data.byteLength > settings.maxMessageBytes) {
      // Reached only through a WebSocket class without a receive limit (ws refuses these itself).
      counters.refusedTooLarge++
      this.end({ initiator: 'local', reason: REFUSED_TOO_LARGE }, CLOSE_REFUSED_SIZE)
      return
    }
    counters.messagesReceived++
    counters.bytesReceived += data.byteLength
    const frame = new Uint8Array(data)
    const handler = this.messageHandler
    if (handler !== undefined && this.waiting.length === 0) {
      handler(frame)
      return
    }
    this.waiting.push(frame)
    this.waitingBytes += frame.byteLength
    if (this.waitingBytes > settings.maxBufferedBytes) {
      counters.refusedBacklog++
      this.end({ initiator: 'local', reason: REFUSED_BACKLOG }, CLOSE_REFUSED_SIZE)
    }
  }

  private readonly onSocketError = (event: SocketErrorEvent): void => {
    // The close event follows; ws says first why it is failing the connection (its codes are 'WS_ERR_*').
    const code = (event.error as { code?: unknown } | undefined)?.code
    if (this.isClosed || typeof code !== 'string' || !code.startsWith('WS_ERR_')) return
    if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      this.owner.counters.refusedTooLarge++
      this.end({ initiator: 'local', reason: REFUSED_TOO_LARGE }, CLOSE_REFUSED_SIZE)
    } else {
      this.owner.counters.refusedMalformed++
      this.end({ initiator: 'local', reason: REFUSED_MALFORMED }, CLOSE_REFUSED_DATA)
    }
  }

  private readonly onSocketClose = (event: SocketCloseEvent): void => {
    if (!this.isClosed) {
      const initiator = event.code === CLOSE_ABNORMAL ? 'network' : 'remote'
      this.isClosed = true
      this.closeInfo = { initiator, reason: event.reason ?? '' }
      this.stopDrain()
      // Frames that arrived before the close are still handed over, then the close.
      this.scheduleDelivery()
    }
    this.release()
  }

  /**
   * A data frame after this side closed, read only because the far side's close frame may be
   * behind it. A peer that keeps sending (a flood cut off by a ban) would have this side read,
   * unmask and copy everything it queued, megabytes, before the close frame: past
   * MAX_BYTES_AFTER_CLOSE the TCP connection is dropped instead.
   */
  private readAfterClose(data: unknown): void {
    if (this.isReleased) return
    this.bytesAfterClose += data instanceof ArrayBuffer ? data.byteLength : 0
    if (this.bytesAfterClose <= MAX_BYTES_AFTER_CLOSE || this.socket.terminate === undefined) return
    this.owner.counters.terminatedAfterClose++
    this.socket.terminate()
    this.release()
  }

  /** Closes this side: frames waiting are dropped, the close frame follows what was sent. */
  private end(info: CloseInfo, code: number): void {
    this.isClosed = true
    this.closeInfo = info
    this.waiting.length = 0
    this.waitingBytes = 0
    this.stopDrain()
    this.scheduleDelivery()
    if (this.isReleased) return
    this.socket.close(code, closeReason(info.reason))
    if (this.isReadingPaused && this.socket.terminate !== undefined) {
      // Its close frame would come behind everything queued while this side did not read (a
      // flood, typically): waiting for it means reading all that. Drop the TCP connection now.
      this.socket.terminate()
      this.release()
      return
    }
    if (this.lingerTimer === undefined) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = undefined
        this.socket.terminate?.()
        this.release()
      }, this.owner.settings.closeTimeoutMs)
    }
  }

  private release(): void {
    if (this.isReleased) return
    this.isReleased = true
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer)
    this.lingerTimer = undefined
    this.socket.removeEventListener('message', this.onSocketMessage)
    this.socket.removeEventListener('close', this.onSocketClose)
    // The error listener stays: ws may still report a late socket error, which must not throw.
    this.owner.released(this)
    this.resolveGone()
  }

  /** Hands over waiting frames and then the close, from a microtask: never inside the owner's call. */
  private scheduleDelivery(): void {
    if (this.isDeliveryScheduled) return
    if (this.waiting.length === 0 && !(this.isClosed && this.closeHandler !== undefined && !this.isCloseNotified)) return
    this.isDeliveryScheduled = true
    queueMicrotask(this.deliver)
  }

  private readonly deliver = (): void => {
    this.isDeliveryScheduled = false
    // Handlers may close or replace themselves, so state is read afresh on every pass.
    while (this.waiting.length > 0) {
      const handler = this.messageHandler
      if (handler === undefined) return
      const frame = this.waiting.shift() as Uint8Array
      this.waitingBytes -= frame.byteLength
      handler(frame)
    }
    if (this.isClosed && !this.isCloseNotified && this.closeHandler !== undefined) {
      this.isCloseNotified = true
      this.closeHandler(this.closeInfo as CloseInfo)
    }
  }

  private readonly pollDrain = (): void => {
    this.drainTimer = undefined
    if (this.isClosed) return
    if (this.socket.bufferedAmount > this.owner.settings.lowWaterMarkBytes) {
      this.drainTimer = setTimeout(this.pollDrain, this.owner.settings.drainPollMs)
      return
    }
    this.drainHandler?.()
  }

  private stopDrain(): void {
    if (this.drainTimer !== undefined) clearTimeout(this.drainTimer)
    this.drainTimer = undefined
  }
}
