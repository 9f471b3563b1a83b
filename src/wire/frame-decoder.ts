// Splits a byte stream into whole frames for transports that may cut or join messages (a
// TCP-like stream). WebSocket and WebRTC deliver whole messages: decode those with
// decodeFrame directly. A frame's header is checked the moment its 8 bytes arrive, so an
// oversized or malformed frame is refused before its payload is buffered; the buffer then
// grows with the bytes received (never to more than twice them), not to the declared size,
// so a peer cannot pin 1 MiB per connection by sending a header alone (it holds at most
// 4 KiB or twice the bytes received, whichever is more).

import { checkBytesArgument } from './codec.js'
import { WireError } from './errors.js'
import { readFrameHeader } from './frame.js'
import { FRAME_HEADER_BYTES, resolveWireLimits, type WireLimits } from './limits.js'

/** Smallest buffer started for a frame that arrives in pieces. */
const MIN_PARTIAL_BYTES = 4_096

export interface FrameDecoderOptions {
  /** Lower limits than the defaults; see WireLimits. */
  readonly limits?: Partial<WireLimits>
}

export class FrameDecoder {
  private readonly limits: WireLimits
  /** Header bytes of the next frame while fewer than 8 have arrived. */
  private readonly headerBytes = new Uint8Array(FRAME_HEADER_BYTES)
  private headerFill = 0
  /** The frame being assembled (header included) once its header has been accepted. */
  private partial: Uint8Array | null = null
  private partialFill = 0
  private frameBytes = 0
  private isClosed = false

  constructor(options: FrameDecoderOptions = {}) {
    this.limits = resolveWireLimits(options.limits)
  }

  /** Bytes held for a frame not yet complete. */
  get bufferedBytes(): number {
    return this.partial === null ? this.headerFill : this.partialFill
  }

  /**
   * Takes the next bytes of the stream and returns every frame they complete, whole and
   * header included, ready for decodeFrame. A frame that arrived inside one chunk is a view
   * of that chunk (decode it before reusing the chunk's memory). Throws WireError when a
   * header is refused; the stream is then unusable and every later push throws WIRE_CLOSED.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.isClosed) throw new WireError('WIRE_CLOSED', 'this FrameDecoder was closed or failed on an earlier frame')
    checkBytesArgument(chunk)
    try {
      return this.split(chunk)
    } catch (error) {
      this.close()
      throw error
    }
  }

  /** Drops any partial frame; later pushes throw WIRE_CLOSED. */
  close(): void {
    this.isClosed = true
    this.partial = null
    this.partialFill = 0
    this.headerFill = 0
  }

  private split(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = []
    let offset = 0
    // Every turn consumes bytes or starts a buffer the next turn fills, so the loop is
    // bounded by the chunk's length.
    while (offset < chunk.length) {
      if (this.partial !== null) {
        offset += this.fill(chunk, offset)
        if (this.partialFill < this.frameBytes) break
        frames.push(this.partial)
        this.partial = null
        this.partialFill = 0
        continue
      }
      const available = chunk.length - offset
      if (this.headerFill === 0 && available >= FRAME_HEADER_BYTES) {
        // The common case: the header, and usually the whole frame, is inside this chunk.
        this.frameBytes = FRAME_HEADER_BYTES + readFrameHeader(chunk.subarray(offset, offset + FRAME_HEADER_BYTES), this.limits).payloadBytes
        if (available >= this.frameBytes) {
          frames.push(chunk.subarray(offset, offset + this.frameBytes))
          offset += this.frameBytes
        } else {
          this.start(Math.min(this.frameBytes, Math.max(available, MIN_PARTIAL_BYTES)))
        }
        continue
      }
      const taken = Math.min(FRAME_HEADER_BYTES - this.headerFill, available)
      this.headerBytes.set(chunk.subarray(offset, offset + taken), this.headerFill)
      this.headerFill += taken
      offset += taken
      if (this.headerFill < FRAME_HEADER_BYTES) break
      this.frameBytes = FRAME_HEADER_BYTES + readFrameHeader(this.headerBytes, this.limits).payloadBytes
      // A frame holds at least one message, so it is longer than its header: the payload
      // follows in this chunk or a later one.
      this.start(Math.min(this.frameBytes, MIN_PARTIAL_BYTES))
      this.fill(this.headerBytes, 0)
      this.headerFill = 0
    }
    return frames
  }

  private start(capacity: number): void {
    this.partial = new Uint8Array(capacity)
    this.partialFill = 0
  }

  /** Copies what the current frame still needs from `chunk`, growing its buffer geometrically. */
  private fill(chunk: Uint8Array, offset: number): number {
    const taken = Math.min(this.frameBytes - this.partialFill, chunk.length - offset)
    let partial = this.partial as Uint8Array
    if (this.partialFill + taken > partial.length) {
      const grown = new Uint8Array(Math.min(this.frameBytes, Math.max(partial.length * 2, this.partialFill + taken)))
      grown.set(partial.subarray(0, this.partialFill))
      this.partial = partial = grown
    }
    partial.set(chunk.subarray(offset, offset + taken), this.partialFill)
    this.partialFill += taken
    return taken
  }
}
