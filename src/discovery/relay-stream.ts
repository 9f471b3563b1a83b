// One relayed stream through a bootstrap server, as the data channel a ChannelConnection
// wraps (the part of RTCDataChannel it uses): messages in order, a bufferedAmount, and
// 'bufferedamountlow'. The server keeps no state per stream, so flow control is the ends':
// each side grants the other a window of bytes and more credit as it reads, and a sender
// holds what its window does not cover. Whatever the server holds for a stream is at most
// that window, and a peer that sends past it is cut off (it is not playing by the rules).

import type { Clock } from '../util/clock.js'
import type { ChannelListener, DataChannelLike, DataChannelState } from '../transport/channel/data-channel.js'
import { encodeRelayClose, encodeRelayFrame, relayCloseReason, type RelayFrame } from './relay-frame.js'

/** Where a stream's frames go: the client's connection to the server. */
export interface RelayLink {
  /** Sends a relay frame; false when it could not be sent (closed, or the buffer is full). */
  sendRelayFrame(bytes: Uint8Array): boolean
}

type EventName = 'message' | 'bufferedamountlow' | 'close' | 'error'

/** Why a stream closed, when this side closed it. */
export const RELAY_WINDOW_BROKEN = 'the peer sent past the window it was granted'
export const RELAY_LINK_FAILED = 'the connection to the server refused a frame'

export class RelayStream implements DataChannelLike {
  readonly peer: string
  readonly stream: number
  readonly isOpener: boolean
  binaryType = 'arraybuffer'
  bufferedAmountLowThreshold = 0
  #state: DataChannelState = 'connecting'
  readonly #link: RelayLink
  readonly #clock: Clock
  readonly #windowBytes: number
  /** Bytes we may still send before the peer grants more. */
  #sendCredit = 0
  /** Bytes the peer may still send us; below 0 it broke the window. */
  #receiveAllowance: number
  /** Bytes read since the last credit we granted. */
  #unacknowledged = 0
  readonly #queue: Uint8Array[] = []
  #queuedBytes = 0
  readonly #listeners: Record<EventName, Set<ChannelListener>> = { message: new Set(), bufferedamountlow: new Set(), close: new Set(), error: new Set() }
  /** Why it closed, as the far side or the server said (or this side decided). */
  closeReason = ''

  constructor(link: RelayLink, peer: string, stream: number, isOpener: boolean, windowBytes: number, clock: Clock) {
    this.#link = link
    this.peer = peer
    this.stream = stream
    this.isOpener = isOpener
    this.#windowBytes = windowBytes
    this.#receiveAllowance = windowBytes
    this.#clock = clock
  }

  get readyState(): DataChannelState {
    return this.#state
  }

  get bufferedAmount(): number {
    return this.#queuedBytes
  }

  /** Sends this side's open (the dialler) and grants its window. */
  sendOpen(): boolean {
    return this.#post(encodeRelayFrame('open', this.isOpener, this.peer, this.stream, this.#windowBytes))
  }

  /** The listener took the stream: grants its window and opens. */
  accept(peerWindow: number): boolean {
    if (this.#state !== 'connecting') return false
    this.#sendCredit = peerWindow
    this.#state = 'open'
    return this.isOpener || this.#post(encodeRelayFrame('accept', false, this.peer, this.stream, this.#windowBytes))
  }

  send(data: Uint8Array): void {
    if (this.#state !== 'open') throw new DOMException(`the relayed stream is ${this.#state}`, 'InvalidStateError')
    this.#queue.push(data.slice())
    this.#queuedBytes += data.length
    this.#pump()
  }

  close(): void {
    this.#end(undefined, true)
  }

  addEventListener(type: EventName, listener: ChannelListener): void {
    this.#listeners[type]?.add(listener)
  }

  removeEventListener(type: EventName, listener: ChannelListener): void {
    this.#listeners[type]?.delete(listener)
  }

  /** A frame of this stream from the peer (the transport routes it here). */
  receive(frame: RelayFrame): void {
    if (this.#state === 'closed') return
    switch (frame.kind) {
      case 'data':
        if (this.#state !== 'open') return
        this.#receiveAllowance -= frame.body.length
        if (this.#receiveAllowance < 0) return this.#end(RELAY_WINDOW_BROKEN, true, new Error(RELAY_WINDOW_BROKEN))
        this.#emit('message', { data: frame.body.slice().buffer })
        this.#unacknowledged += frame.body.length
        // Credit in steps of a quarter window: fewer frames, and the sender never stalls a whole window.
        if (this.#unacknowledged >= this.#windowBytes / 4 && this.#state === 'open') {
          this.#receiveAllowance += this.#unacknowledged
          if (!this.#post(encodeRelayFrame('credit', this.isOpener, this.peer, this.stream, this.#unacknowledged))) return
          this.#unacknowledged = 0
        }
        return
      case 'credit': {
        const wasAbove = this.#queuedBytes > this.bufferedAmountLowThreshold
        this.#sendCredit += frame.amount
        this.#pump()
        if (wasAbove && this.#queuedBytes <= this.bufferedAmountLowThreshold && this.#state === 'open') this.#emit('bufferedamountlow', {})
        return
      }
      case 'close':
        return this.#end(relayCloseReason(frame) || 'closed by the peer', false)
      default:
        // A second open or accept for a stream that exists: not ours to act on.
        return
    }
  }

  /** The link to the server is gone: the stream ends without a word to the peer. */
  fail(reason: string): void {
    this.#end(reason, false)
  }

  #pump(): void {
    while (this.#state === 'open' && this.#queue.length > 0 && this.#queue[0].length <= this.#sendCredit) {
      const data = this.#queue.shift()!
      this.#queuedBytes -= data.length
      this.#sendCredit -= data.length
      if (!this.#post(encodeRelayFrame('data', this.isOpener, this.peer, this.stream, 0, data))) return
    }
  }

  #post(bytes: Uint8Array): boolean {
    if (this.#link.sendRelayFrame(bytes)) return true
    this.#end(RELAY_LINK_FAILED, false, new Error(RELAY_LINK_FAILED))
    return false
  }

  /** Closes once: tells the peer when `tellPeer`, and fires 'error' (if any) then 'close' from a timer, never inside the caller's call. */
  #end(reason: string | undefined, tellPeer: boolean, error?: Error): void {
    if (this.#state === 'closed') return
    const wasStarted = this.#state !== 'connecting' || this.isOpener
    this.#state = 'closed'
    this.closeReason = reason ?? 'closed'
    this.#queue.length = 0
    this.#queuedBytes = 0
    if (tellPeer && wasStarted) this.#link.sendRelayFrame(encodeRelayClose(this.isOpener, this.peer, this.stream, reason ?? 'closed'))
    this.#clock.setTimeout(() => {
      if (error !== undefined) this.#emit('error', { error })
      this.#emit('close', {})
    }, 0)
  }

  #emit(type: EventName, event: object): void {
    for (const listener of [...this.#listeners[type]]) listener(event)
  }
}
