// FrameCoalescer: messages go out in order, packed into frames that flush when the next
// message would not fit or when the deadline passes; close() leaves no timer behind; a
// message over the 1 MiB limit is refused, never dropped silently.

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { FrameCoalescer, prepareMessage, type FlushTimers } from '../../src/wire/coalescer.js'
import { decodeFrame } from '../../src/wire/frame.js'
import { MAX_DATA_BYTES, MAX_ENTRIES_PER_FRAME, MAX_MESSAGES_PER_FRAME } from '../../src/wire/limits.js'
import type { WireMessage } from '../../src/wire/messages.js'
import { smallMessage } from './arbitraries.js'
import { codeOf } from './wire-error.js'

/** Virtual timers: nothing runs until advance(). */
class FakeTimers implements FlushTimers {
  private now = 0
  private nextHandle = 1
  private readonly pending = new Map<number, { at: number; callback: () => void }>()
  setTimeout(callback: () => void, ms: number): number {
    const handle = this.nextHandle++
    this.pending.set(handle, { at: this.now + ms, callback })
    return handle
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number)
  }
  get active(): number {
    return this.pending.size
  }
  advance(ms: number): void {
    this.now += ms
    for (const [handle, timer] of [...this.pending].sort((a, b) => a[1].at - b[1].at)) {
      if (timer.at > this.now || !this.pending.has(handle)) continue
      this.pending.delete(handle)
      timer.callback()
    }
  }
}

function setup(options: { maxFrameBytes?: number; flushDelayMs?: number } = {}) {
  const timers = new FakeTimers()
  const frames: Uint8Array[] = []
  const coalescer = new FrameCoalescer({ ...options, timers, onFrame: (frame) => frames.push(frame) })
  return { timers, frames, coalescer, decoded: () => frames.map((frame) => decodeFrame(frame)) }
}

const ping = (requestId: number): WireMessage => ({ type: 'ping', requestId })
const publish = (dataBytes: number): WireMessage => ({
  type: 'publish', topic: 't', origin: new Uint8Array(32), originKey: new Uint8Array(32), seq: 1n, timestampMs: 0, ttl: 1, path: [], data: new Uint8Array(dataBytes), signature: new Uint8Array(64),
})

describe('FrameCoalescer', () => {
  it('has the documented defaults', () => {
    const { coalescer } = setup()
    expect([coalescer.maxFrameBytes, coalescer.flushDelayMs]).toEqual([65_536, 2])
  })

  it('flushes on the deadline: messages queued within flushDelayMs share one frame', () => {
    const { timers, coalescer, frames, decoded } = setup({ flushDelayMs: 2 })
    coalescer.push(ping(1))
    timers.advance(1)
    coalescer.push(ping(2))
    coalescer.push(ping(3))
    expect(frames).toHaveLength(0)
    expect(timers.active).toBe(1)
    timers.advance(1)
    expect(decoded()).toEqual([[ping(1), ping(2), ping(3)]])
    expect(timers.active).toBe(0)
    expect(coalescer.pendingMessages).toBe(0)
  })

  it('flushes on size: a message that would overflow the frame sends the queue first', () => {
    const { timers, coalescer, decoded } = setup({ maxFrameBytes: 1_024 })
    const message = publish(168) // 5 + 311 bytes encoded
    for (let i = 0; i < 4; i++) coalescer.push(message)
    expect(decoded()).toEqual([[message, message, message]])
    expect(coalescer.pendingMessages).toBe(1)
    expect(timers.active).toBe(1)
    timers.advance(2)
    expect(decoded()).toEqual([[message, message, message], [message]])
    expect(timers.active).toBe(0)
  })

  it('sends a message larger than a frame alone, right after what was queued before it', () => {
    const { coalescer, decoded, frames } = setup({ maxFrameBytes: 1_024 })
    coalescer.push(ping(1))
    coalescer.push(publish(2_000))
    expect(decoded()).toEqual([[ping(1)], [publish(2_000)]])
    expect(frames[1].length).toBeGreaterThan(1_024)
    expect(coalescer.pendingMessages).toBe(0)
  })

  it('refuses a message over the 1 MiB limit with WireError and keeps the queue intact', () => {
    const { timers, coalescer, frames, decoded } = setup()
    coalescer.push(ping(1))
    expect(codeOf(() => coalescer.push(publish(MAX_DATA_BYTES + 1)))).toBe('WIRE_TOO_LARGE')
    expect(codeOf(() => coalescer.pushEncoded({ bytes: new Uint8Array(1_048_577), entries: 0 }))).toBe('WIRE_TOO_LARGE')
    expect(codeOf(() => coalescer.push({ type: 'ping', requestId: -1 }))).toBe('WIRE_BAD_FIELD')
    expect(frames).toHaveLength(0)
    timers.advance(2)
    expect(decoded()).toEqual([[ping(1)]])
  })

  it('sends a message of exactly the limit alone in a frame the decoder accepts', () => {
    const { coalescer, frames } = setup()
    const message = publish(MAX_DATA_BYTES)
    coalescer.push(message)
    expect(frames).toHaveLength(1)
    expect(decodeFrame(frames[0])).toHaveLength(1)
  })

  it('flushes at 1,024 messages without waiting for the deadline', () => {
    const { timers, coalescer, decoded } = setup()
    for (let i = 0; i < MAX_MESSAGES_PER_FRAME; i++) coalescer.push(ping(i))
    expect(decoded()[0]).toHaveLength(MAX_MESSAGES_PER_FRAME)
    expect(timers.active).toBe(0)
  })

  it('keeps each frame within the entry budget the decoder enforces', () => {
    const { coalescer, decoded } = setup()
    const subscribe: WireMessage = { type: 'subscribe', topics: Array.from({ length: 256 }, (_, i) => `t${i}`) }
    for (let i = 0; i < 17; i++) coalescer.push(subscribe)
    expect(decoded().map((frame) => frame.length)).toEqual([MAX_ENTRIES_PER_FRAME / 256])
  })

  it('close() flushes what is queued and clears the timer; later pushes throw WIRE_CLOSED', () => {
    const { timers, coalescer, decoded } = setup()
    coalescer.push(ping(1))
    expect(timers.active).toBe(1)
    coalescer.close()
    expect(timers.active).toBe(0)
    expect(decoded()).toEqual([[ping(1)]])
    expect(codeOf(() => coalescer.push(ping(2)))).toBe('WIRE_CLOSED')
    coalescer.close()
  })

  it("close('drop') discards what is queued and clears the timer", () => {
    const { timers, coalescer, frames } = setup()
    coalescer.push(ping(1))
    coalescer.close('drop')
    expect(timers.active).toBe(0)
    timers.advance(10)
    expect(frames).toHaveLength(0)
  })

  it('sends a message pushed from inside onFrame in a later frame', () => {
    const timers = new FakeTimers()
    const frames: Uint8Array[] = []
    const coalescer: FrameCoalescer = new FrameCoalescer({
      timers,
      onFrame: (frame) => {
        frames.push(frame)
        if (frames.length === 1) coalescer.push(ping(2))
      },
    })
    coalescer.push(ping(1))
    timers.advance(2)
    timers.advance(2)
    expect(frames.map((frame) => decodeFrame(frame))).toEqual([[ping(1)], [ping(2)]])
  })

  it('delivers any sequence of messages in order, in frames within the limits', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(smallMessage.map((message) => ({ message, waitMs: 0 })), fc.record({ message: smallMessage, waitMs: fc.integer({ min: 0, max: 3 }) })), { maxLength: 60 }),
        fc.integer({ min: 1_024, max: 4_096 }),
        (steps, maxFrameBytes) => {
          const { timers, coalescer, frames } = setup({ maxFrameBytes })
          for (const { message, waitMs } of steps) {
            coalescer.push(message)
            timers.advance(waitMs)
          }
          coalescer.close()
          expect(timers.active).toBe(0)
          const received = frames.flatMap((frame) => {
            const messages = decodeFrame(frame)
            if (messages.length > 1) expect(frame.length).toBeLessThanOrEqual(maxFrameBytes)
            return messages
          })
          expect(received).toEqual(steps.map((step) => step.message))
        },
      ),
      { numRuns: 200 },
    )
  })

  it('takes a message encoded once for many coalescers', () => {
    const a = setup()
    const b = setup()
    const encoded = prepareMessage({ type: 'subscribe', topics: ['x', 'y'] })
    expect(encoded.entries).toBe(2)
    a.coalescer.pushEncoded(encoded)
    b.coalescer.pushEncoded(encoded)
    a.coalescer.flush()
    b.coalescer.flush()
    expect(a.decoded()).toEqual(b.decoded())
  })

  it('works with the platform timers', async () => {
    const frames: Uint8Array[] = []
    const coalescer = new FrameCoalescer({ timers: globalThis, flushDelayMs: 1, onFrame: (frame) => frames.push(frame) })
    coalescer.push(ping(1))
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(frames.map((frame) => decodeFrame(frame))).toEqual([[ping(1)]])
    coalescer.close()
  })

  it('validates its options with WIRE_INVALID_OPTION', () => {
    const timers = new FakeTimers()
    const onFrame = () => {}
    for (const options of [
      { timers, onFrame, maxFrameBytes: 100 },
      { timers, onFrame, maxFrameBytes: 2_000_000 },
      { timers, onFrame, maxFrameBytes: 4_096.5 },
      { timers, onFrame, flushDelayMs: -1 },
      { timers, onFrame, flushDelayMs: 5_000 },
      { timers, onFrame: undefined },
      { timers: {}, onFrame },
    ]) {
      expect(codeOf(() => new FrameCoalescer(options as never))).toBe('WIRE_INVALID_OPTION')
    }
  })
})
