// One end of an in-memory connection. Each end owns the frames it sent that are still in
// flight (a FrameQueue) and at most one clock timer, due when the first of them arrives;
// that timer delivers every frame due by then and re-arms for the next. So a frame costs a
// queue slot and a copy, not a closure or a timer of its own, and 10,000 nodes with 10
// connections each hold at most 100,000 delivery timers however much they send.

import type { TimerHandle } from '../../util/clock.js'
import { TransportError } from '../errors.js'
import type { CloseHandler, CloseInfo, Connection, DrainHandler, MessageHandler } from '../transport.js'
import type { Fabric } from './fabric.js'
import { CLOSE_NOTICE, FrameQueue } from './frame-queue.js'
import type { Link } from './link.js'
import type { MemoryTransport } from './transport.js'

export class MemoryConnection implements Connection {
  /** @internal The other end. */
  peer!: MemoryConnection
  /** @internal Frames to the other end are dropped while the link is cut. */
  isCut: boolean
  /** @internal Frames sent from here on, in order, are delivered no earlier than this. */
  lastDeliverAt: number

  private isClosed = false
  private closeInfo: CloseInfo | undefined
  private isCloseNotified = false
  private closeTimer: TimerHandle | undefined
  private messageHandler: MessageHandler | undefined
  private closeHandler: CloseHandler | undefined
  private drainHandler: DrainHandler | undefined

  /** The outbound direction of the link: immutable, and one object shared by every end on default settings. */
  private link: Link

  private readonly queue = new FrameQueue()
  /** Bytes of the frames in `queue` (in flight, or waiting for the other end to read). */
  private queuedBytes = 0
  private deliverTimer: TimerHandle | undefined
  private readonly deliverBound = () => this.deliver()
  private isDelivering = false
  /** The queue waits because the other end has no message handler yet, or paused its reading. */
  private isPaused = false
  /** This end stopped reading (pauseReading): what is sent to it waits in the sender's queue. */
  private isReadingPaused = false
  /** When the outgoing pipe has sent everything accepted so far (bandwidth-limited links). */
  private txFreeAt = 0
  private needsDrain = false
  private drainTimer: TimerHandle | undefined

  constructor(
    private readonly fabric: Fabric,
    /** @internal */ readonly transport: MemoryTransport,
    readonly id: string,
    readonly remoteAddress: string,
    readonly direction: 'inbound' | 'outbound',
    link: Link,
    isCut: boolean,
  ) {
    this.link = link
    this.isCut = isCut
    this.lastDeliverAt = fabric.clock.now()
  }

  get localAddress(): string {
    return this.transport.localAddress
  }

  get isOpen(): boolean {
    return !this.isClosed
  }

  get maxMessageBytes(): number {
    return this.fabric.maxMessageBytes
  }

  /**
   * The bytes a bandwidth-limited link has yet to carry, plus, while the other end is not
   * reading (it has no message handler, or paused its reading), every byte sent to it that waits: the receive
   * window of a real link, so a peer that never reads pushes back as it would over a socket.
   */
  get bufferedAmount(): number {
    const unread = this.isPaused ? this.queuedBytes : 0
    const bytesPerMs = this.link.bytesPerMs
    if (bytesPerMs === 0) return unread
    const backlog = (this.txFreeAt - this.fabric.clock.now()) * bytesPerMs
    return (backlog > 0 ? Math.round(backlog) : 0) + unread
  }

  send(frame: Uint8Array): boolean {
    if (this.isClosed) {
      throw new TransportError('TRANSPORT_CLOSED', `connection ${this.id} to ${this.remoteAddress} is closed`)
    }
    if (!(frame instanceof Uint8Array)) {
      throw new TransportError('TRANSPORT_INVALID_OPTION', `send() takes a Uint8Array, got ${String(frame)}`)
    }
    const fabric = this.fabric
    const size = frame.byteLength
    if (size > fabric.maxMessageBytes) {
      throw new TransportError('TRANSPORT_TOO_LARGE', `a frame of ${size} bytes is over this connection's maxMessageBytes (${fabric.maxMessageBytes})`)
    }
    const now = fabric.clock.now()
    if (this.isPaused && this.bufferedAmount + size > fabric.maxBufferedBytes) {
      throw new TransportError('TRANSPORT_BUFFER_FULL', `connection ${this.id}: the other end reads nothing and ${this.bufferedAmount} bytes wait; ${size} more would pass maxBufferedBytes (${fabric.maxBufferedBytes})`)
    }
    let departAt = now
    const link = this.link
    const bytesPerMs = link.bytesPerMs
    if (bytesPerMs > 0) {
      // The pipe sends frames back to back at its rate, so the backlog is (txFreeAt - now) * rate.
      const start = this.txFreeAt > now ? this.txFreeAt : now
      if ((start - now) * bytesPerMs + size > fabric.maxBufferedBytes) {
        throw new TransportError('TRANSPORT_BUFFER_FULL', `connection ${this.id} has ${this.bufferedAmount} bytes buffered; ${size} more would pass maxBufferedBytes (${fabric.maxBufferedBytes})`)
      }
      departAt = this.txFreeAt = start + size / bytesPerMs
    }
    fabric.messagesSent++
    fabric.bytesSent += size
    this.transport.messagesSent++
    this.transport.bytesSent += size
    if (this.isCut) {
      fabric.droppedCut++
    } else if (link.loss > 0 && fabric.random.nextFloat() < link.loss) {
      fabric.droppedLoss++
    } else {
      let at = departAt + link.latencyMs
      if (link.jitterMs > 0) at += fabric.random.nextFloat() * link.jitterMs
      // Never overtake the frame sent before, whatever jitter drew.
      if (at < this.lastDeliverAt) at = this.lastDeliverAt
      this.lastDeliverAt = at
      this.queue.push(fabric.copyFrames ? fabric.copy(frame) : frame, at)
      this.queuedBytes += size
      this.armDelivery(now)
    }
    if (this.isPaused && this.bufferedAmount > fabric.highWaterMarkBytes) {
      // Drained once the other end reads again (resume).
      this.needsDrain = true
      return false
    }
    if (bytesPerMs > 0 && (this.txFreeAt - now) * bytesPerMs > fabric.highWaterMarkBytes) {
      this.needsDrain = true
      if (this.drainTimer === undefined) this.armDrain(now)
      return false
    }
    return true
  }

  onMessage(handler: MessageHandler): void {
    this.messageHandler = handler
    if (this.peer.isPaused && !this.isReadingPaused) this.peer.resume()
  }

  /** Frames sent to this end wait in the other end's queue (its bufferedAmount, up to maxBufferedBytes) until resumeReading(). */
  pauseReading(): void {
    this.isReadingPaused = true
  }

  resumeReading(): void {
    if (!this.isReadingPaused) return
    this.isReadingPaused = false
    if (this.peer.isPaused && this.messageHandler !== undefined) this.peer.resume()
  }

  onClose(handler: CloseHandler): void {
    this.closeHandler = handler
    if (this.isClosed) this.notifyClose()
  }

  onDrain(handler: DrainHandler): void {
    this.drainHandler = handler
  }

  close(reason = ''): void {
    if (this.isClosed) return
    this.markClosed({ initiator: 'local', reason: String(reason) })
    // A closed other end needs no notice (and what this end sent it was dropped when it closed).
    if (!this.isCut && !this.peer.isClosed) {
      // The close notice travels like a frame: behind everything sent before it.
      const now = this.fabric.clock.now()
      const link = this.link
      let at = (link.bytesPerMs > 0 && this.txFreeAt > now ? this.txFreeAt : now) + link.latencyMs
      if (link.jitterMs > 0) at += this.fabric.random.nextFloat() * link.jitterMs
      if (at < this.lastDeliverAt) at = this.lastDeliverAt
      this.lastDeliverAt = at
      this.queue.push(CLOSE_NOTICE, at)
      this.armDelivery(now)
    }
    // Frames on their way to this end, or waiting for its handler, will never be read: they
    // are dropped now, not when each would have arrived (a slow link may hold minutes of them).
    this.peer.dropQueue()
    this.peer.finishIfDone()
    this.finishIfDone()
  }

  // -------------------------------------------------------------------------------------
  // Used by the network.

  /** @internal The close notice from the other end arrived. */
  closedByRemote(reason: string): void {
    if (this.isClosed) return
    this.markClosed({ initiator: 'remote', reason })
    // Anything still in flight from here would reach a closed end: drop it now.
    this.dropQueue()
    this.finishIfDone()
  }

  /** @internal The network reset the connection under both ends: nothing more is delivered. */
  reset(reason: string): void {
    this.dropQueue()
    if (!this.isClosed) this.markClosed({ initiator: 'network', reason })
    this.finishIfDone()
  }

  /** @internal The link was cut or healed. Cutting drops the frames in flight. */
  setCut(isCut: boolean): void {
    if (isCut === this.isCut) return
    this.isCut = isCut
    if (!isCut) return
    const dropped = this.queue.clear()
    this.queuedBytes = 0
    this.fabric.droppedCut += dropped
    this.disarmDelivery()
    this.finishIfDone()
  }

  /** @internal New link settings, for frames sent from now on. */
  setLink(link: Link): void {
    this.link = link
  }

  // -------------------------------------------------------------------------------------

  private markClosed(info: CloseInfo): void {
    this.isClosed = true
    this.closeInfo = info
    this.fabric.openConnections--
    this.needsDrain = false
    if (this.drainTimer !== undefined) {
      this.fabric.clock.clearTimeout(this.drainTimer)
      this.drainTimer = undefined
    }
    this.notifyClose()
  }

  /** Calls the close handler once, from a timer: never inside the call that closed. */
  private notifyClose(): void {
    if (this.isCloseNotified || this.closeTimer !== undefined || this.closeHandler === undefined) return
    this.closeTimer = this.fabric.clock.setTimeout(() => {
      this.closeTimer = undefined
      this.isCloseNotified = true
      const handler = this.closeHandler as CloseHandler
      handler(this.closeInfo as CloseInfo)
    }, 0)
  }

  private dropQueue(): void {
    this.fabric.droppedClosed += this.queue.clear()
    this.queuedBytes = 0
    this.disarmDelivery()
  }

  private disarmDelivery(): void {
    this.isPaused = false
    if (this.deliverTimer !== undefined) {
      this.fabric.clock.clearTimeout(this.deliverTimer)
      this.deliverTimer = undefined
    }
  }

  /** Arms the delivery timer for the first queued frame, unless one is armed or waiting. */
  private armDelivery(now: number): void {
    if (this.deliverTimer !== undefined || this.isPaused || this.isDelivering || this.queue.size === 0) return
    const delay = this.queue.firstTime() - now
    this.deliverTimer = this.fabric.clock.setTimeout(this.deliverBound, delay > 0 ? delay : 0)
  }

  private resume(): void {
    this.isPaused = false
    this.armDelivery(this.fabric.clock.now())
  }

  /** Delivers every frame due by now to the other end, in order, then re-arms. */
  private deliver(): void {
    this.deliverTimer = undefined
    const fabric = this.fabric
    const queue = this.queue
    const peer = this.peer
    const now = fabric.clock.now()
    this.isDelivering = true
    try {
      // Handlers may send, close, cut or reset, so state is read afresh on every pass.
      while (queue.size > 0 && queue.firstTime() <= now) {
        const frame = queue.first()
        if (frame === CLOSE_NOTICE) {
          queue.shift()
          peer.closedByRemote((this.closeInfo as CloseInfo).reason)
          continue
        }
        if (peer.isClosed) {
          queue.shift()
          this.queuedBytes -= frame.byteLength
          fabric.droppedClosed++
          continue
        }
        const handler = peer.messageHandler
        if (handler === undefined || peer.isReadingPaused) {
          this.isPaused = true
          break
        }
        queue.shift()
        this.queuedBytes -= frame.byteLength
        fabric.messagesDelivered++
        fabric.bytesDelivered += frame.byteLength
        peer.transport.messagesReceived++
        peer.transport.bytesReceived += frame.byteLength
        handler(frame)
      }
    } finally {
      this.isDelivering = false
      this.armDelivery(now)
      // The other end read what waited: a sender told to wait hears it may go on.
      if (this.needsDrain && !this.isPaused && !this.isClosed && this.drainTimer === undefined && this.bufferedAmount <= fabric.lowWaterMarkBytes) {
        this.drainTimer = fabric.clock.setTimeout(() => this.drainDue(), 0)
      }
      this.finishIfDone()
    }
  }

  private armDrain(now: number): void {
    const drainAt = this.txFreeAt - this.fabric.lowWaterMarkBytes / this.link.bytesPerMs
    this.drainTimer = this.fabric.clock.setTimeout(() => this.drainDue(), drainAt > now ? drainAt - now : 0)
  }

  private drainDue(): void {
    this.drainTimer = undefined
    if (this.isClosed || !this.needsDrain) return
    const now = this.fabric.clock.now()
    // Compare times, as armDrain computed them, so rounding cannot re-arm at the same instant forever.
    if (this.isPaused) return // resume() and the delivery after it drain
    const bytesPerMs = this.link.bytesPerMs
    if (bytesPerMs > 0 && now < this.txFreeAt - this.fabric.lowWaterMarkBytes / bytesPerMs) {
      this.armDrain(now)
      return
    }
    this.needsDrain = false
    this.drainHandler?.()
  }

  /** Once closed and with nothing left in flight, the network forgets this end. */
  private finishIfDone(): void {
    if (this.isClosed && this.queue.size === 0) this.fabric.forget(this)
  }
}
