// Takes arriving chunks (chunk-format.ts) apart into frames, reassembling split ones. It
// trusts nothing: every length is checked against the chunk before it is read, a split frame
// is refused from its announced length before anything is buffered, and it holds at most one
// frame in progress, so what it buffers is bounded by maxMessageBytes.

import { FLAG_FIRST, FLAG_GOODBYE, FLAG_LAST, FLAGS_RESERVED, WHOLE } from './chunk-format.js'

/**
 * How a read ended: every segment read ('ok'); the far side's goodbye ('goodbye', reason in
 * `detail`); the chunk broke the format ('malformed', what was wrong in `detail`); a frame
 * over maxMessageBytes ('too-large', in `detail`); or the frame sink asked to stop ('stopped').
 */
export type ReadOutcome = 'ok' | 'goodbye' | 'malformed' | 'too-large' | 'stopped'

/** Takes one frame; returns false to stop reading (the connection closed). */
export type FrameSink = (frame: Uint8Array) => boolean

export class ChunkReader {
  /** Why the last read() ended other than 'ok'. */
  detail = ''
  /** The split frame being reassembled, allocated at its announced length. */
  private partial: Uint8Array | undefined
  private partialFill = 0
  /** Where read() is in the chunk: varints advance it. */
  private at = 0
  private readonly decoder = new TextDecoder()

  constructor(private readonly maxMessageBytes: number) {}

  /** Bytes of the split frame in progress (its announced length), 0 when none. */
  get heldBytes(): number {
    return this.partial === undefined ? 0 : this.partial.length
  }

  read(chunk: Uint8Array, sink: FrameSink): ReadOutcome {
    const end = chunk.length
    if (end === 0) return this.malformed('an empty channel message')
    this.at = 0
    while (this.at < end) {
      const flags = chunk[this.at++]
      if ((flags & FLAGS_RESERVED) !== 0) return this.malformed(`reserved flag bits set (0x${flags.toString(16)})`)
      let announced = 0
      if (flags === FLAG_FIRST) {
        announced = this.varint(chunk, end)
        if (announced < 0) return this.malformed('a truncated or over-long frame length')
      }
      const length = this.varint(chunk, end)
      if (length < 0) return this.malformed('a truncated or over-long segment length')
      const start = this.at
      if (length > end - start) return this.malformed(`a segment of ${length} bytes runs past the end of its ${end}-byte channel message`)
      this.at = start + length
      if (flags === WHOLE) {
        if (this.partial !== undefined) return this.malformed('a whole frame inside a split one')
        if (length > this.maxMessageBytes) return this.tooLarge(length)
        // A view, not a copy: nobody else holds the channel message, and allocating an
        // ArrayBuffer per 100-byte frame cost five times the rest of receiving it (~1 µs).
        // A handler that keeps small frames long should copy them, or each pins its chunk.
        if (!sink(chunk.subarray(start, start + length))) return this.stopped()
      } else if (flags === FLAG_FIRST) {
        if (this.partial !== undefined) return this.malformed('a frame begun inside a split one')
        if (announced > this.maxMessageBytes) return this.tooLarge(announced)
        if (length >= announced) return this.malformed(`a first fragment of ${length} bytes for a frame of ${announced}`)
        this.partial = new Uint8Array(announced)
        this.partial.set(chunk.subarray(start, start + length))
        this.partialFill = length
      } else if ((flags & FLAG_GOODBYE) !== 0) {
        if (flags !== FLAG_GOODBYE) return this.malformed(`a goodbye with other flags (0x${flags.toString(16)})`)
        this.partial = undefined
        this.detail = this.decoder.decode(chunk.subarray(start, start + length))
        return 'goodbye'
      } else {
        // A middle (no flag) or last fragment of the split frame in progress.
        const partial = this.partial
        if (partial === undefined) return this.malformed('a fragment with no frame begun')
        if (length > partial.length - this.partialFill) return this.malformed(`fragments past the announced ${partial.length} bytes of their frame`)
        partial.set(chunk.subarray(start, start + length), this.partialFill)
        this.partialFill += length
        if (flags === FLAG_LAST) {
          if (this.partialFill !== partial.length) return this.malformed(`a frame ended at ${this.partialFill} of its announced ${partial.length} bytes`)
          this.partial = undefined
          if (!sink(partial)) return this.stopped()
        }
      }
    }
    return 'ok'
  }

  /** An unsigned LEB128 of at most 4 bytes at `this.at`, or -1 when the chunk ends inside it or it runs longer. */
  private varint(chunk: Uint8Array, end: number): number {
    let value = 0
    for (let shift = 0; shift < 28; shift += 7) {
      if (this.at >= end) return -1
      const byte = chunk[this.at++]
      value += (byte & 0x7f) * 2 ** shift
      if (byte < 0x80) return value
    }
    return -1
  }

  private malformed(detail: string): ReadOutcome {
    this.detail = detail
    this.partial = undefined
    return 'malformed'
  }

  private tooLarge(bytes: number): ReadOutcome {
    this.detail = `a frame of ${bytes} bytes is over maxMessageBytes (${this.maxMessageBytes})`
    this.partial = undefined
    return 'too-large'
  }

  private stopped(): ReadOutcome {
    this.partial = undefined
    return 'stopped'
  }
}
