// Packs many small messages into one frame per transport message: a data channel carries
// 2,000-3,000 messages/s whatever their size, so frames, not bytes, are the budget. Messages
// are queued encoded; the frame goes out when the next message would not fit (bytes, message
// count or entry budget), or `flushDelayMs` after the first message queued, whichever is first.
// Backpressure (bufferedAmount) is the caller's: it decides when to call `onFrame`'s sink.

import { countEntries, encodeMessage } from './codec.js'
import { WireError } from './errors.js'
import { assembleFrame } from './frame.js'
import {
  DEFAULT_COALESCE_FRAME_BYTES,
  DEFAULT_FLUSH_DELAY_MS,
  FRAME_HEADER_BYTES,
  MAX_ENTRIES_PER_FRAME,
  MAX_FRAME_BYTES,
  MAX_MESSAGE_BYTES,
  MAX_MESSAGES_PER_FRAME,
} from './limits.js'
import type { DecodedMessage } from './messages.js'
import { checkInteger, checkTime, describeValue } from '../util/validate.js'

/**
 * The two timer functions the coalescer needs, called as methods of this object; handles are
 * opaque. A Clock with setTimeout and clearTimeout satisfies it, and so does `globalThis`
 * (browsers refuse their timer functions called on any other object, so pass `globalThis`
 * itself, not `{ setTimeout, clearTimeout }`).
 */
export interface FlushTimers {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** A message encoded once, to be queued on several coalescers (a relay's fan-out). */
export interface EncodedMessage {
  readonly bytes: Uint8Array
  /** Its repeated-field entries, counted against the frame's entry budget. */
  readonly entries: number
}

export interface FrameCoalescerOptions {
  /** Receives every frame, in order. A throw propagates to whoever triggered the flush. */
  readonly onFrame: (frame: Uint8Array) => void
  readonly timers: FlushTimers
  /**
   * Largest frame built, header included: the link's message size. 1,024 to 1,048,584;
   * default 65,536 (see DEFAULT_COALESCE_FRAME_BYTES). A larger message goes alone in its own frame.
   */
  readonly maxFrameBytes?: number
  /** How long the first queued message waits for company; 0 to 1,000 ms, default 2. */
  readonly flushDelayMs?: number
}

/** Encodes a message for `FrameCoalescer.pushEncoded`, for messages sent to many peers. */
export function prepareMessage(message: DecodedMessage): EncodedMessage {
  return { bytes: encodeMessage(message), entries: countEntries(message) }
}

const invalidOption = (message: string) => new WireError('WIRE_INVALID_OPTION', message)

export class FrameCoalescer {
  readonly maxFrameBytes: number
  readonly flushDelayMs: number
  private readonly onFrame: (frame: Uint8Array) => void
  private readonly timers: FlushTimers
  private queue: Uint8Array[] = []
  private queuedBytes = 0
  private queuedEntries = 0
  private timer: unknown = undefined
  private hasTimer = false
  private isClosed = false

  constructor(options: FrameCoalescerOptions) {
    if (typeof options?.onFrame !== 'function') throw invalidOption('onFrame must be a function')
    const timers = options.timers
    if (typeof timers?.setTimeout !== 'function' || typeof timers.clearTimeout !== 'function') {
      throw invalidOption('timers must have setTimeout and clearTimeout functions')
    }
    this.onFrame = options.onFrame
    this.timers = timers
    this.maxFrameBytes = checkInteger('maxFrameBytes', options.maxFrameBytes ?? DEFAULT_COALESCE_FRAME_BYTES, 1_024, MAX_FRAME_BYTES, invalidOption)
    this.flushDelayMs = checkTime('flushDelayMs', options.flushDelayMs ?? DEFAULT_FLUSH_DELAY_MS, invalidOption)
    if (this.flushDelayMs > 1_000) throw invalidOption(`flushDelayMs must be at most 1000, got ${this.flushDelayMs}`)
  }

  /** Messages waiting for the next frame. */
  get pendingMessages(): number {
    return this.queue.length
  }

  /** Bytes of the messages waiting (without the frame header). */
  get pendingBytes(): number {
    return this.queuedBytes
  }

  /**
   * Encodes and queues a message. Throws WireError when it does not encode (a field out of
   * bounds, or over the 1 MiB message limit): nothing is ever dropped silently.
   */
  push(message: DecodedMessage): void {
    this.pushEncoded(prepareMessage(message))
  }

  /** Queues a message encoded by prepareMessage. */
  pushEncoded(message: EncodedMessage): void {
    if (this.isClosed) throw new WireError('WIRE_CLOSED', 'this FrameCoalescer is closed')
    const { bytes, entries } = message
    if (bytes.length > MAX_MESSAGE_BYTES) {
      throw new WireError('WIRE_TOO_LARGE', `a message of ${bytes.length} bytes is over the ${MAX_MESSAGE_BYTES}-byte limit`)
    }
    if (FRAME_HEADER_BYTES + bytes.length > this.maxFrameBytes) {
      // Too large to share a frame: what is queued goes first, then this one alone.
      this.flush()
      this.onFrame(assembleFrame([bytes], bytes.length))
      return
    }
    if (
      FRAME_HEADER_BYTES + this.queuedBytes + bytes.length > this.maxFrameBytes ||
      this.queuedEntries + entries > MAX_ENTRIES_PER_FRAME
    ) {
      this.flush()
    }
    this.queue.push(bytes)
    this.queuedBytes += bytes.length
    this.queuedEntries += entries
    if (this.queue.length === MAX_MESSAGES_PER_FRAME) this.flush()
    else if (!this.hasTimer) {
      this.timer = this.timers.setTimeout(this.onDeadline, this.flushDelayMs)
      this.hasTimer = true
    }
  }

  /** Sends what is queued now, as one frame. */
  flush(): void {
    this.clearTimer()
    if (this.queue.length === 0) return
    const frame = assembleFrame(this.queue, this.queuedBytes)
    this.queue = []
    this.queuedBytes = 0
    this.queuedEntries = 0
    this.onFrame(frame)
  }

  /**
   * Stops the coalescer and clears its timer. Queued messages are flushed ('flush', the
   * default) or discarded ('drop', for a connection already gone). Later pushes throw WIRE_CLOSED.
   */
  close(pending: 'flush' | 'drop' = 'flush'): void {
    if (pending !== 'flush' && pending !== 'drop') throw invalidOption(`close takes 'flush' or 'drop', got ${describeValue(pending)}`)
    if (this.isClosed) return
    this.isClosed = true
    try {
      if (pending === 'flush') this.flush()
    } finally {
      this.clearTimer()
      this.queue = []
      this.queuedBytes = 0
      this.queuedEntries = 0
    }
  }

  private readonly onDeadline = (): void => {
    this.hasTimer = false
    this.flush()
  }

  private clearTimer(): void {
    if (!this.hasTimer) return
    this.timers.clearTimeout(this.timer)
    this.timer = undefined
    this.hasTimer = false
  }
}
