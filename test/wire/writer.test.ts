import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { WireWriter, utf8Length } from '../../src/wire/writer.js'
import { codeOf } from './wire-error.js'

describe('utf8Length', () => {
  it('agrees with TextEncoder on every well-formed string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => {
      expect(utf8Length(text, 'text')).toBe(new TextEncoder().encode(text).length)
    }), { numRuns: 2_000 })
  })

  it('refuses a lone surrogate, leading or trailing, with WIRE_BAD_UTF8', () => {
    for (const text of ['\uD800', '\uDFFF', 'a\uD800', '\uDC00a', '\uD800\uD800', '\uDBFF']) {
      expect(codeOf(() => utf8Length(text, 'text'))).toBe('WIRE_BAD_UTF8')
    }
  })
})

describe('WireWriter', () => {
  it('writes big-endian integers and UTF-8 into exactly the measured size', () => {
    const writer = new WireWriter(1 + 2 + 4 + 8 + 3 + 2)
    writer.u8(0xab)
    writer.u16(0x0102)
    writer.u32(0x03040506)
    writer.u64(0x0708090a0b0c0d0en)
    writer.utf8('€', 3)
    writer.utf8('ok', 2)
    expect(Buffer.from(writer.finish()).toString('hex')).toBe('ab' + '0102' + '03040506' + '0708090a0b0c0d0e' + 'e282ac' + '6f6b')
  })

  it('reports a measure/write mismatch as a codec bug', () => {
    const writer = new WireWriter(4)
    writer.u16(1)
    expect(() => writer.finish()).toThrow(/codec bug/)
  })
})
