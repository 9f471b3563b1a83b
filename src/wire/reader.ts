// A bounded cursor over untrusted bytes. Every read checks the bytes left before touching
// them and throws WireError on any overrun; counts are checked against their cap, the frame's
// entry budget and the bytes left before the caller loops over them, so no length or count
// an attacker writes can make the decoder loop or allocate past the bytes it was given.

import { WireError } from './errors.js'

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Longest run decoded by the plain-JavaScript ASCII path; longer strings go to TextDecoder. */
const ASCII_FAST_PATH_BYTES = 64

export class WireReader {
  private readonly bytes: Uint8Array
  private readonly view: DataView
  private position: number
  private limit: number
  private entriesLeft: number

  /** Reads `bytes`, allowing `maxEntries` repeated-field entries over its whole life. */
  constructor(bytes: Uint8Array, maxEntries: number) {
    this.bytes = bytes
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.position = 0
    this.limit = bytes.length
    this.entriesLeft = maxEntries
  }

  get offset(): number {
    return this.position
  }

  /** Bytes left before the current limit. */
  get remaining(): number {
    return this.limit - this.position
  }

  /**
   * Narrows reads to the next `length` bytes (a message body) and returns the outer limit
   * for `leave`. The caller has checked `length <= remaining`.
   */
  enter(length: number): number {
    const outer = this.limit
    this.limit = this.position + length
    return outer
  }

  /** Ends a region opened by `enter`: every byte of it must have been read. */
  leave(outer: number, what: string): void {
    if (this.position !== this.limit) {
      throw new WireError('WIRE_TRAILING_BYTES', `${what}: ${this.limit - this.position} bytes left over after the last field`)
    }
    this.limit = outer
  }

  /** Throws when `length` bytes are not left. */
  need(length: number, field: string): void {
    if (length > this.limit - this.position) {
      throw new WireError('WIRE_TRUNCATED', `${field}: needs ${length} bytes at offset ${this.position}, ${this.limit - this.position} left`)
    }
  }

  u8(field: string): number {
    this.need(1, field)
    return this.bytes[this.position++]
  }

  u16(field: string): number {
    this.need(2, field)
    const value = this.view.getUint16(this.position)
    this.position += 2
    return value
  }

  u32(field: string): number {
    this.need(4, field)
    const value = this.view.getUint32(this.position)
    this.position += 4
    return value
  }

  u64(field: string): bigint {
    this.need(8, field)
    const value = this.view.getBigUint64(this.position)
    this.position += 8
    return value
  }

  /** A byte that must be 0 or 1, so every value has exactly one encoding. */
  bool(field: string): boolean {
    const value = this.u8(field)
    if (value > 1) throw new WireError('WIRE_BAD_FIELD', `${field} must be 0 or 1, got ${value}`)
    return value === 1
  }

  /** A copy of the next `length` bytes: decoded messages never pin the frame they came from. */
  bytesCopy(length: number, field: string): Uint8Array {
    this.need(length, field)
    const start = this.position
    this.position += length
    return this.bytes.slice(start, this.position)
  }

  /**
   * A count of repeated entries, read as u8 or u16. It must be within `max`, within what is
   * left of the frame's entry budget, and `count * minEntryBytes` must fit in the bytes left,
   * all checked before the caller decodes a single entry.
   */
  count(width: 1 | 2, max: number, minEntryBytes: number, field: string): number {
    const count = width === 1 ? this.u8(field) : this.u16(field)
    if (count > max) throw new WireError('WIRE_COUNT_EXCEEDED', `${field}: ${count} entries, at most ${max} allowed`)
    if (count > this.entriesLeft) {
      throw new WireError('WIRE_COUNT_EXCEEDED', `${field}: ${count} entries overrun the frame's entry budget (${this.entriesLeft} left)`)
    }
    if (count * minEntryBytes > this.limit - this.position) {
      throw new WireError('WIRE_TRUNCATED', `${field}: ${count} entries need at least ${count * minEntryBytes} bytes, ${this.limit - this.position} left`)
    }
    this.entriesLeft -= count
    return count
  }

  /** `length` bytes of well-formed UTF-8 (fatal decoding; a byte-order mark is kept, not eaten). */
  utf8(length: number, field: string): string {
    this.need(length, field)
    const start = this.position
    const end = start + length
    this.position = end
    const bytes = this.bytes
    if (length <= ASCII_FAST_PATH_BYTES) {
      let text = ''
      let i = start
      for (; i < end && bytes[i] < 0x80; i++) text += String.fromCharCode(bytes[i])
      if (i === end) return text
    }
    try {
      return utf8Decoder.decode(bytes.subarray(start, end))
    } catch (error) {
      throw new WireError('WIRE_BAD_UTF8', `${field} is not well-formed UTF-8`, { cause: error })
    }
  }

  /** `length` bytes of printable ASCII (0x21 to 0x7e). */
  printableAscii(length: number, field: string): string {
    this.need(length, field)
    const start = this.position
    this.position += length
    let text = ''
    for (let i = start; i < this.position; i++) {
      const byte = this.bytes[i]
      if (byte < 0x21 || byte > 0x7e) throw new WireError('WIRE_BAD_FIELD', `${field} must be printable ASCII, byte ${i - start} is ${byte}`)
      text += String.fromCharCode(byte)
    }
    return text
  }
}
