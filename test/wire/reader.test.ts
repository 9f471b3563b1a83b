import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { WireReader } from '../../src/wire/reader.js'
import { codeOf } from './wire-error.js'

describe('WireReader', () => {
  it('decodes UTF-8 exactly as a fatal TextDecoder that keeps the BOM, on the ASCII fast path and off it', () => {
    const reference = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), fc.boolean(), (bytes, ascii) => {
      const input = ascii ? bytes.map((byte) => byte & 0x7f) : bytes
      let expected: string | undefined
      try {
        expected = reference.decode(input)
      } catch {
        expected = undefined
      }
      const reader = new WireReader(input, 0)
      if (expected === undefined) expect(codeOf(() => reader.utf8(input.length, 'text'))).toBe('WIRE_BAD_UTF8')
      else expect(reader.utf8(input.length, 'text')).toBe(expected)
    }), { numRuns: 3_000 })
  })

  it('throws WIRE_TRUNCATED, never RangeError, when a read runs past the end', () => {
    const reader = new WireReader(Uint8Array.of(1, 2, 3), 0)
    expect(codeOf(() => reader.u32('field'))).toBe('WIRE_TRUNCATED')
    expect(codeOf(() => reader.u64('field'))).toBe('WIRE_TRUNCATED')
    expect(codeOf(() => reader.bytesCopy(4, 'field'))).toBe('WIRE_TRUNCATED')
    expect(reader.u16('field')).toBe(0x0102)
    expect(codeOf(() => reader.u16('field'))).toBe('WIRE_TRUNCATED')
  })

  it('confines reads to an entered region and requires it to be read whole', () => {
    const reader = new WireReader(Uint8Array.of(1, 2, 3, 4), 0)
    const outer = reader.enter(2)
    expect(codeOf(() => reader.u32('field'))).toBe('WIRE_TRUNCATED')
    reader.u8('field')
    expect(codeOf(() => reader.leave(outer, 'region'))).toBe('WIRE_TRAILING_BYTES')
    reader.u8('field')
    reader.leave(outer, 'region')
    expect(reader.u16('field')).toBe(0x0304)
  })

  it('checks a count against its cap, the entry budget and the bytes left, before any entry is read', () => {
    expect(codeOf(() => new WireReader(Uint8Array.of(9), 100).count(1, 8, 1, 'list'))).toBe('WIRE_COUNT_EXCEEDED')
    expect(codeOf(() => new WireReader(Uint8Array.of(5, 0, 0, 0, 0, 0), 4).count(1, 8, 1, 'list'))).toBe('WIRE_COUNT_EXCEEDED')
    expect(codeOf(() => new WireReader(Uint8Array.of(3, 0, 0), 100).count(1, 8, 1, 'list'))).toBe('WIRE_TRUNCATED')
    const reader = new WireReader(Uint8Array.of(2, 0, 0, 2, 0, 0), 3)
    expect(reader.count(1, 8, 1, 'list')).toBe(2)
    reader.u16('entries')
    expect(codeOf(() => reader.count(1, 8, 1, 'list'))).toBe('WIRE_COUNT_EXCEEDED')
  })

  it('accepts only 0 and 1 as booleans', () => {
    const reader = new WireReader(Uint8Array.of(0, 1, 2), 0)
    expect([reader.bool('flag'), reader.bool('flag')]).toEqual([false, true])
    expect(codeOf(() => reader.bool('flag'))).toBe('WIRE_BAD_FIELD')
  })
})
