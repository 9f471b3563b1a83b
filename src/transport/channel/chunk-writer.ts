// Packs outgoing frames into chunks (chunk-format.ts): small frames of the same turn share a
// chunk, a frame larger than what is left of one is split across chunks. Where the chunks go
// is the emit callback's business (the connection sends them or holds them in its queue).

import { FLAG_FIRST, FLAG_GOODBYE, FLAG_LAST, varintBytes, WHOLE, writeVarint } from './chunk-format.js'

/**
 * Takes a finished chunk (a view of the writer's buffer). Returns true when it is done with
 * the bytes (it sent them, and the channel copied them), so the writer may reuse its buffer;
 * false when it keeps them, so the writer starts a new one.
 */
export type ChunkSink = (chunk: Uint8Array) => boolean

/** Below this much room a chunk is sent as it is rather than given a fragment (headers of up to 9 bytes, then payload). */
const MIN_FRAGMENT_ROOM = 16

export class ChunkWriter {
  private buffer: Uint8Array
  private fill = 0
  /**
   * A frame up to this size that does not fit what is left of the chunk starts the next chunk
   * instead of being split: splitting a small frame costs the receiver a copy to save at most
   * an eighth of a chunk.
   */
  private readonly unsplitBytes: number

  constructor(
    private readonly chunkBytes: number,
    private readonly emit: ChunkSink,
  ) {
    this.buffer = new Uint8Array(chunkBytes)
    this.unsplitBytes = chunkBytes >>> 3
  }

  /** Bytes written to the chunk being filled, not yet emitted. */
  get pendingBytes(): number {
    return this.fill
  }

  write(frame: Uint8Array): void {
    const size = frame.length
    const whole = 1 + varintBytes(size) + size
    let room = this.chunkBytes - this.fill
    if (whole > room && this.fill > 0 && (whole <= this.unsplitBytes || room < MIN_FRAGMENT_ROOM)) {
      this.emitChunk()
      room = this.chunkBytes
    }
    if (whole <= room) {
      const buffer = this.buffer
      buffer[this.fill] = WHOLE
      const at = writeVarint(buffer, this.fill + 1, size)
      buffer.set(frame, at)
      this.fill = at + size
      if (this.fill === this.chunkBytes) this.emitChunk()
      return
    }
    this.writeFragments(frame)
  }

  /** Appends a goodbye segment (`reason` at most MAX_GOODBYE_BYTES); flush() sends it. */
  writeGoodbye(reason: Uint8Array): void {
    if (1 + varintBytes(reason.length) + reason.length > this.chunkBytes - this.fill) this.emitChunk()
    this.buffer[this.fill] = FLAG_GOODBYE
    const at = writeVarint(this.buffer, this.fill + 1, reason.length)
    this.buffer.set(reason, at)
    this.fill = at + reason.length
  }

  /** Emits the chunk being filled, if it holds anything. */
  flush(): void {
    if (this.fill > 0) this.emitChunk()
  }

  /** Forgets what was written and not emitted (the connection closed under it). */
  discard(): void {
    this.fill = 0
  }

  private writeFragments(frame: Uint8Array): void {
    const size = frame.length
    let offset = 0
    while (offset < size) {
      const room = this.chunkBytes - this.fill
      const remaining = size - offset
      const buffer = this.buffer
      let at = this.fill + 1
      let length: number
      if (offset > 0 && 1 + varintBytes(remaining) + remaining <= room) {
        buffer[this.fill] = FLAG_LAST
        length = remaining
      } else if (offset === 0) {
        buffer[this.fill] = FLAG_FIRST
        at = writeVarint(buffer, at, size)
        // The length's own varint is at most as long as room's, so this always fits.
        length = room - (at - this.fill) - varintBytes(room)
      } else {
        buffer[this.fill] = 0
        length = room - 1 - varintBytes(room)
      }
      at = writeVarint(buffer, at, length)
      buffer.set(frame.subarray(offset, offset + length), at)
      this.fill = at + length
      offset += length
      // A fragment that is not the last takes its chunk to the end (or as near as its header allows).
      if (offset < size || this.fill === this.chunkBytes) this.emitChunk()
    }
  }

  private emitChunk(): void {
    const chunk = this.fill === this.chunkBytes ? this.buffer : this.buffer.subarray(0, this.fill)
    this.fill = 0
    if (!this.emit(chunk)) this.buffer = new Uint8Array(this.chunkBytes)
  }
}
