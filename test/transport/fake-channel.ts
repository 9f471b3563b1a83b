// A fake RTCDataChannel for the channel connection's unit tests: two linked ends whose
// messages move only when the test pumps them, and whose bufferedAmount falls only when the
// test says, so coalescing and backpressure are asserted by counts, never by wall time.

import type { ChannelListener, DataChannelLike } from '../../src/transport/channel/index.js'

type EventType = 'message' | 'bufferedamountlow' | 'close' | 'error'

export class FakeChannel implements DataChannelLike {
  readyState: string = 'open'
  binaryType = 'blob'
  bufferedAmountLowThreshold = 0
  /** Copies of every message sent, in order (never cleared: `sent.length` counts channel messages). */
  readonly sent: Uint8Array[] = []
  /** Messages sent and not yet pumped to the other end. */
  readonly inFlight: Uint8Array[] = []
  /** When set, send() throws this (a channel that went away under the connection). */
  failSend: Error | undefined
  /** Calls of send(), refused ones included. */
  sendCalls = 0
  peer: FakeChannel | undefined
  private buffered = 0
  private isCloseRequested = false
  private readonly listeners = new Map<EventType, Set<ChannelListener>>()

  get bufferedAmount(): number {
    return this.buffered
  }

  send(data: Uint8Array): void {
    this.sendCalls++
    if (this.failSend !== undefined) throw this.failSend
    if (this.readyState !== 'open') throw new Error(`send() on a channel in readyState ${this.readyState}`)
    // The W3C send() copies what it is given.
    const copy = data.slice()
    this.sent.push(copy)
    this.inFlight.push(copy)
    this.buffered += copy.length
  }

  close(): void {
    if (this.readyState !== 'open') return
    this.readyState = 'closing'
    this.isCloseRequested = true
  }

  addEventListener(type: EventType, listener: ChannelListener): void {
    let set = this.listeners.get(type)
    if (set === undefined) this.listeners.set(type, (set = new Set()))
    set.add(listener)
  }

  removeEventListener(type: EventType, listener: ChannelListener): void {
    this.listeners.get(type)?.delete(listener)
  }

  listenerCount(): number {
    let count = 0
    for (const set of this.listeners.values()) count += set.size
    return count
  }

  /** Dispatches an event to this end's listeners, as the channel would from its own callback. */
  emit(type: EventType, event: object = {}): void {
    for (const listener of [...(this.listeners.get(type) ?? [])]) listener(event)
  }

  /** A message arrives at this end (an ArrayBuffer copy of `data`, or whatever else is given). */
  receive(data: Uint8Array | unknown): void {
    if (this.readyState === 'closed') return
    const payload = data instanceof Uint8Array ? data.slice().buffer : data
    this.emit('message', { data: payload })
  }

  /** The channel passes `bytes` of its buffer to the network (all by default), firing bufferedamountlow on crossing the threshold. */
  drain(bytes = this.buffered): void {
    const before = this.buffered
    this.buffered = Math.max(0, before - bytes)
    if (before > this.bufferedAmountLowThreshold && this.buffered <= this.bufferedAmountLowThreshold) this.emit('bufferedamountlow')
  }

  /**
   * Moves up to `count` messages in flight to the other end, draining them from this end's
   * buffer; once all are moved, a requested close completes on both ends. Returns how many moved.
   */
  pump(count = Number.POSITIVE_INFINITY): number {
    let moved = 0
    while (moved < count && this.inFlight.length > 0) {
      const message = this.inFlight.shift() as Uint8Array
      this.drain(message.length)
      this.peer?.receive(message)
      moved++
    }
    if (this.inFlight.length === 0 && this.isCloseRequested) this.finishClose()
    return moved
  }

  /** The stream is gone on both ends: each fires 'close' once. */
  finishClose(): void {
    for (const end of [this, this.peer]) {
      if (end === undefined || end.readyState === 'closed') continue
      end.readyState = 'closed'
      end.inFlight.length = 0
      end.emit('close')
    }
  }
}

/** Two linked fake ends. */
export function fakeChannelPair(): { a: FakeChannel; b: FakeChannel; pumpAll(): number } {
  const a = new FakeChannel()
  const b = new FakeChannel()
  a.peer = b
  b.peer = a
  return {
    a,
    b,
    /** Pumps both ways until nothing is in flight; returns the messages moved. */
    pumpAll() {
      let total = 0
      for (let moved = -1; moved !== 0; ) {
        moved = a.pump() + b.pump()
        total += moved
      }
      return total
    },
  }
}

/** Lets queued microtasks (the connection's flush and deliveries) run. */
export const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
