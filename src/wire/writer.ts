// A writer into a buffer of exactly the size the encoder measured first. Measuring before
// writing (see message-codecs.ts) validates every field up front and gives each message one
// allocation of the right size: no growth copies, no slack retained by queued frames.

import { WireError } from './errors.js'

const utf8Encoder = new TextEncoder()

export class WireWriter {
  readonly bytes: Uint8Array
  private readonly view: DataView
  private position = 0

  constructor(size: number) {
    this.bytes = new Uint8Array(size)
    this.view = new DataView(this.bytes.buffer)
  }

  get offset(): number {
    return this.position
  }

  u8(value: number): void {
    this.bytes[this.position++] = value
  }

  u16(value: number): void {
    this.view.setUint16(this.position, value)
    this.position += 2
  }

  u32(value: number): void {
    this.view.setUint32(this.position, value)
    this.position += 4
  }

  u64(value: bigint): void {
    this.view.setBigUint64(this.position, value)
    this.position += 8
  }

  bytesRaw(value: Uint8Array): void {
    this.bytes.set(value, this.position)
    this.position += value.length
  }

  /** Writes `text`, whose UTF-8 length the caller measured as `length`. */
  utf8(text: string, length: number): void {
    if (length === text.length) {
      // All ASCII: one byte per code unit.
      for (let i = 0; i < length; i++) this.bytes[this.position + i] = text.charCodeAt(i)
    } else {
      utf8Encoder.encodeInto(text, this.bytes.subarray(this.position, this.position + length))
    }
    this.position += length
  }

  /** The written bytes; every measured byte must have been written. */
  finish(): Uint8Array {
    if (this.position !== this.bytes.length) {
      throw new Error(`wire writer: measured ${this.bytes.length} bytes but wrote ${this.position} (a codec bug)`)
    }
    return this.bytes
  }
}

/**
 * The UTF-8 length of `text`, counted without encoding it. Throws WIRE_BAD_UTF8 on a lone
 * surrogate, which TextEncoder would silently replace with U+FFFD so the peer would decode a
 * different string than was sent (and a signature over it would fail far from the cause).
 */
export function utf8Length(text: string, field: string): number {
  let length = 0
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit < 0x80) length += 1
    else if (unit < 0x800) length += 2
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0
      if (next < 0xdc00 || next > 0xdfff) throw new WireError('WIRE_BAD_UTF8', `${field} has a lone surrogate at index ${i}`)
      length += 4
      i++
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      throw new WireError('WIRE_BAD_UTF8', `${field} has a lone surrogate at index ${i}`)
    } else length += 3
  }
  return length
}
