// The reader, the writer and the field codecs at the exact edges of every bound, and what their
// errors say: a value at its bound is taken and one past it refused, each refusal names the field
// and the figures (the field names are how a peer's bug is found), and sizes are exactly what is
// written. The codec-level tests reach these through whole messages; these pin each edge alone.

import { describe, expect, it } from 'vitest'
import { WasmeshError } from '../../src/util/wasmesh-error.js'
import { WireError } from '../../src/wire/errors.js'
import {
  checkBool,
  checkFixed,
  checkTimestamp,
  checkU64,
  checkUint,
  MAX_TIMESTAMP_MS,
  measureCapabilities,
  measureIdList,
  measureMessageRefs,
  measurePayload,
  measurePeers,
  measureRecord,
  measureText,
  measureTextList,
  peerEntries,
  readCapabilities,
  readIdList,
  readMessageRefs,
  readPayload,
  readPeers,
  readRecord,
  readText,
  readTextList,
  readTimestamp,
  writeCapabilities,
  writeIdList,
  writeMessageRefs,
  writePayload,
  writePeers,
  writeRecord,
  writeText,
  writeTextList,
  writeTimestamp,
} from '../../src/wire/fields.js'
import { DEFAULT_WIRE_LIMITS, MAX_CAPABILITIES, MAX_CAPABILITY_BYTES, MAX_PEERS_PER_REPLY, MAX_RECORD_VALUE_BYTES, resolveWireLimits } from '../../src/wire/limits.js'
import type { DhtRecord, PeerInfo } from '../../src/wire/messages.js'
import { WireReader } from '../../src/wire/reader.js'
import { utf8Length, WireWriter } from '../../src/wire/writer.js'
import { refusal } from './wire-error.js'

const reader = (...bytes: number[]) => new WireReader(Uint8Array.from(bytes), 4_096)
const id = (fill: number) => new Uint8Array(32).fill(fill)

/** What `write` writes into a writer of exactly `size` bytes (finish() checks the size). */
function written(size: number, write: (writer: WireWriter) => void): Uint8Array {
  const writer = new WireWriter(size)
  write(writer)
  return writer.finish()
}

describe('WireReader at its edges', () => {
  it('reads big-endian integers and tracks its offset and what is left', () => {
    const r = reader(0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f)
    expect([r.offset, r.remaining]).toEqual([0, 15])
    expect(r.u8('a')).toBe(0x01)
    expect(r.u16('b')).toBe(0x0203)
    expect(r.u32('c')).toBe(0x04050607)
    expect([r.offset, r.remaining]).toEqual([7, 8])
    expect(r.u64('d')).toBe(0x08090a0b0c0d0e0fn)
    expect([r.offset, r.remaining]).toEqual([15, 0])
  })

  it('takes a read of exactly the bytes left and names the field, offset and shortfall of one more', () => {
    const r = reader(1, 2, 3, 4, 5)
    r.u8('first')
    refusal(() => r.bytesCopy(5, 'payload'), 'WIRE_TRUNCATED', 'payload: needs 5 bytes at offset 1, 4 left')
    refusal(() => r.u64('seq'), 'WIRE_TRUNCATED', 'seq: needs 8 bytes at offset 1, 4 left')
    expect(r.u32('rest')).toBe(0x02030405)
    refusal(() => r.u8('tail'), 'WIRE_TRUNCATED', 'tail: needs 1 bytes at offset 5, 0 left')
    refusal(() => r.u16('tail'), 'WIRE_TRUNCATED', 'tail: needs 2 bytes at offset 5, 0 left')
  })

  it('copies bytes out, so the decoded value never aliases the frame', () => {
    const source = Uint8Array.of(7, 8, 9)
    const r = new WireReader(source, 0)
    const copy = r.bytesCopy(3, 'data')
    source[0] = 0
    expect([...copy]).toEqual([7, 8, 9])
  })

  it('says how many bytes a region left unread, and restores the outer limit after it', () => {
    const r = reader(1, 2, 3, 4, 5)
    const outer = r.enter(3)
    expect(r.remaining).toBe(3)
    r.u8('x')
    refusal(() => r.leave(outer, 'ping'), 'WIRE_TRAILING_BYTES', 'ping: 2 bytes left over after the last field')
    r.u16('y')
    r.leave(outer, 'ping')
    expect(r.remaining).toBe(2)
  })

  it('names the field and the byte of a boolean that is neither 0 nor 1', () => {
    refusal(() => reader(2).bool('isReply'), 'WIRE_BAD_FIELD', 'isReply must be 0 or 1, got 2')
    refusal(() => reader(255).bool('isReply'), 'WIRE_BAD_FIELD', 'isReply must be 0 or 1, got 255')
  })

  it('takes a count of exactly its cap, its entry budget and the bytes left; one more of each is refused with the figures', () => {
    // The cap.
    expect(reader(8, ...new Array(8).fill(0)).count(1, 8, 1, 'topics')).toBe(8)
    refusal(() => reader(9, ...new Array(9).fill(0)).count(1, 8, 1, 'topics'), 'WIRE_COUNT_EXCEEDED', 'topics: 9 entries, at most 8 allowed')
    // The frame's entry budget, spent across counts.
    const budget = new WireReader(Uint8Array.of(3, 0, 0, 0, 2, 0, 0, 1, 0), 5)
    expect(budget.count(1, 8, 1, 'a')).toBe(3)
    budget.u16('x')
    budget.u8('x')
    expect(budget.count(1, 8, 1, 'b')).toBe(2)
    budget.u16('x')
    refusal(() => budget.count(1, 8, 1, 'c'), 'WIRE_COUNT_EXCEEDED', "c: 1 entries overrun the frame's entry budget (0 left)")
    refusal(() => new WireReader(Uint8Array.of(5, ...new Array(5).fill(0)), 4).count(1, 8, 1, 'list'), 'WIRE_COUNT_EXCEEDED', "list: 5 entries overrun the frame's entry budget (4 left)")
    expect(new WireReader(Uint8Array.of(4, 0, 0, 0, 0), 4).count(1, 8, 1, 'list')).toBe(4)
    // The bytes left against the smallest entry.
    expect(reader(2, 0, 0, 0, 0, 0, 0).count(1, 8, 3, 'peers')).toBe(2)
    refusal(() => reader(2, 0, 0, 0, 0, 0).count(1, 8, 3, 'peers'), 'WIRE_TRUNCATED', 'peers: 2 entries need at least 6 bytes, 5 left')
    // A u16 count.
    expect(reader(0x01, 0x00, ...new Array(256).fill(0)).count(2, 256, 1, 'refs')).toBe(256)
    refusal(() => reader(0x01, 0x01).count(2, 256, 1, 'refs'), 'WIRE_COUNT_EXCEEDED', 'refs: 257 entries, at most 256 allowed')
  })

  it('decodes ASCII and multi-byte UTF-8 on both paths, and names a malformed field with its cause', () => {
    expect(reader(0x21, 0x7f).utf8(2, 't')).toBe('!\x7f')
    expect(reader(0xc3, 0xa9).utf8(2, 't')).toBe('é')
    // A byte-order mark is a character of the field, kept, not eaten as a decoder would by default.
    expect(reader(0xef, 0xbb, 0xbf, 0x61).utf8(4, 't')).toBe('\ufeffa')
    const short = refusal(() => reader(0x61, 0x80).utf8(2, 'topic'), 'WIRE_BAD_UTF8', 'topic is not well-formed UTF-8')
    expect(short.cause).toBeInstanceOf(TypeError)
    const long = new Array(100).fill(0x61)
    long[99] = 0xff
    refusal(() => reader(...long).utf8(100, 'address'), 'WIRE_BAD_UTF8', 'address is not well-formed UTF-8')
    expect(reader(...long.slice(0, 99)).utf8(99, 'address')).toBe('a'.repeat(99))
  })

  it('takes printable ASCII from 0x21 to 0x7e and names the first byte outside it', () => {
    expect(reader(0x21, 0x7e).printableAscii(2, 'capability')).toBe('!~')
    refusal(() => reader(0x61, 0x20).printableAscii(2, 'capability'), 'WIRE_BAD_FIELD', 'capability must be printable ASCII, byte 1 is 32')
    refusal(() => reader(0x7f).printableAscii(1, 'capability'), 'WIRE_BAD_FIELD', 'capability must be printable ASCII, byte 0 is 127')
  })
})

describe('WireWriter and utf8Length at their edges', () => {
  it('counts UTF-8 bytes at every boundary of the encoding', () => {
    const cases: [string, number][] = [
      ['\x7f', 1], ['\x80', 2], ['\u07ff', 2], ['\u0800', 3], ['\ud7ff', 3], ['\ue000', 3], ['\uffff', 3],
      ['\ud800\udc00', 4], ['\udbff\udfff', 4], ['a\u00e9\u4e2d\ud83d\ude00', 1 + 2 + 3 + 4],
    ]
    for (const [text, length] of cases) {
      expect(utf8Length(text, 't'), JSON.stringify(text)).toBe(length)
      expect(utf8Length(text, 't')).toBe(new TextEncoder().encode(text).length)
    }
  })

  it('names the index of a lone surrogate, leading or trailing', () => {
    refusal(() => utf8Length('ab\ud800', 'topic'), 'WIRE_BAD_UTF8', 'topic has a lone surrogate at index 2')
    refusal(() => utf8Length('\udbffx', 'topic'), 'WIRE_BAD_UTF8', 'topic has a lone surrogate at index 0')
    refusal(() => utf8Length('\ud800\ud800', 'topic'), 'WIRE_BAD_UTF8', 'topic has a lone surrogate at index 0')
    refusal(() => utf8Length('\ud800\ue000', 'topic'), 'WIRE_BAD_UTF8', 'topic has a lone surrogate at index 0')
    refusal(() => utf8Length('x\udc00', 'topic'), 'WIRE_BAD_UTF8', 'topic has a lone surrogate at index 1')
    refusal(() => utf8Length('\udfff', 'topic'), 'WIRE_BAD_UTF8', 'topic has a lone surrogate at index 0')
  })

  it('writes big-endian integers, raw bytes and UTF-8 of both kinds, and tracks its offset', () => {
    const writer = new WireWriter(1 + 2 + 4 + 8 + 2 + 2 + 3)
    writer.u8(0xab)
    writer.u16(0x0102)
    writer.u32(0x03040506)
    expect(writer.offset).toBe(7)
    writer.u64(0x0708090a0b0c0d0en)
    writer.bytesRaw(Uint8Array.of(0xee, 0xff))
    writer.utf8('é', 2)
    writer.utf8('abc', 3)
    expect([...writer.finish()]).toEqual([0xab, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xee, 0xff, 0xc3, 0xa9, 0x61, 0x62, 0x63])
  })

  it('reports writing fewer bytes than measured as a codec bug, with both figures', () => {
    const writer = new WireWriter(4)
    writer.u16(1)
    expect(() => writer.finish()).toThrow('wire writer: measured 4 bytes but wrote 2 (a codec bug)')
  })
})

describe('field checks at their edges', () => {
  it('takes integers from 0 to the max, and names the field, the range and the value of any other', () => {
    expect(() => checkUint('ttl', 0, 255)).not.toThrow()
    expect(() => checkUint('ttl', 255, 255)).not.toThrow()
    refusal(() => checkUint('ttl', 256, 255), 'WIRE_BAD_FIELD', 'ttl must be an integer from 0 to 255, got 256')
    refusal(() => checkUint('ttl', -1, 255), 'WIRE_BAD_FIELD', 'ttl must be an integer from 0 to 255, got -1')
    refusal(() => checkUint('ttl', 1.5, 255), 'WIRE_BAD_FIELD', 'ttl must be an integer from 0 to 255, got 1.5')
  })

  it('takes u64 bigints from 0n to 2n ** 64n - 1n only', () => {
    expect(() => checkU64('seq', 0n)).not.toThrow()
    expect(() => checkU64('seq', 2n ** 64n - 1n)).not.toThrow()
    refusal(() => checkU64('seq', 2n ** 64n), 'WIRE_BAD_FIELD', 'seq must be a bigint from 0n to 2n ** 64n - 1n, got 18446744073709551616n')
    refusal(() => checkU64('seq', -1n), 'WIRE_BAD_FIELD', 'seq must be a bigint from 0n to 2n ** 64n - 1n, got -1n')
    refusal(() => checkU64('seq', 5 as unknown as bigint), 'WIRE_BAD_FIELD', 'seq must be a bigint from 0n to 2n ** 64n - 1n, got 5')
  })

  it('takes timestamps from 0 to 2**53 - 1 ms, written and read back as u64', () => {
    expect(() => checkTimestamp('at', 0)).not.toThrow()
    expect(() => checkTimestamp('at', MAX_TIMESTAMP_MS)).not.toThrow()
    const range = `an integer number of milliseconds from 0 to ${Number.MAX_SAFE_INTEGER}`
    refusal(() => checkTimestamp('at', -1), 'WIRE_BAD_FIELD', `at must be ${range}, got -1`)
    refusal(() => checkTimestamp('at', MAX_TIMESTAMP_MS + 1), 'WIRE_BAD_FIELD', `at must be ${range}, got ${MAX_TIMESTAMP_MS + 1}`)
    refusal(() => checkTimestamp('at', 0.5), 'WIRE_BAD_FIELD', `at must be ${range}, got 0.5`)
    const bytes = written(8, (writer) => writeTimestamp(writer, MAX_TIMESTAMP_MS))
    expect(readTimestamp(new WireReader(bytes, 0), 'at')).toBe(MAX_TIMESTAMP_MS)
    const past = Uint8Array.of(0, 0x20, 0, 0, 0, 0, 0, 0) // 2**53
    refusal(() => readTimestamp(new WireReader(past, 0), 'signedAtMs'), 'WIRE_BAD_FIELD', `signedAtMs must be at most ${MAX_TIMESTAMP_MS} ms, got ${2 ** 53}`)
  })

  it('takes fixed-size byte fields of exactly their length, and booleans only', () => {
    expect(() => checkFixed('origin', id(1), 32)).not.toThrow()
    refusal(() => checkFixed('origin', new Uint8Array(31), 32), 'WIRE_BAD_FIELD', 'origin must be a Uint8Array of 32 bytes, got Uint8Array(31)')
    refusal(() => checkFixed('origin', [1, 2] as unknown as Uint8Array, 2), 'WIRE_BAD_FIELD', 'origin must be a Uint8Array of 2 bytes, got 1,2')
    expect(() => checkBool('isReply', false)).not.toThrow()
    refusal(() => checkBool('isReply', 1 as unknown as boolean), 'WIRE_BAD_FIELD', 'isReply must be a boolean, got 1')
  })
})

describe('field codecs at their edges', () => {
  it('text: 1 to max bytes of UTF-8, counted in bytes, not code units', () => {
    expect(measureText('topic', 'abcd', 4)).toBe(6)
    expect(measureText('topic', 'éé', 4)).toBe(6)
    refusal(() => measureText('topic', 'abcde', 4), 'WIRE_BAD_FIELD', 'topic must be 1 to 4 bytes of UTF-8, got "5 code units"')
    refusal(() => measureText('topic', 'ééa', 4), 'WIRE_BAD_FIELD', 'topic must be 1 to 4 bytes of UTF-8, got "5 bytes"')
    refusal(() => measureText('topic', '', 4), 'WIRE_BAD_FIELD', 'topic must be 1 to 4 bytes of UTF-8, got "0 bytes"')
    refusal(() => measureText('topic', 7 as unknown as string, 4), 'WIRE_BAD_FIELD', 'topic must be a string, got 7')
    const bytes = written(6, (writer) => writeText(writer, 'éé'))
    expect([...bytes]).toEqual([0, 4, 0xc3, 0xa9, 0xc3, 0xa9])
    expect(readText(new WireReader(bytes, 0), 4, 'topic')).toBe('éé')
    refusal(() => readText(new WireReader(bytes, 0), 3, 'topic'), 'WIRE_BAD_FIELD', 'topic must be 1 to 3 bytes, got 4')
    refusal(() => readText(new WireReader(Uint8Array.of(0, 0), 0), 4, 'topic'), 'WIRE_BAD_FIELD', 'topic must be 1 to 4 bytes, got 0')
  })

  it('text lists: a u8 or u16 count, capped, each entry at least 3 bytes', () => {
    expect(measureTextList('topics', ['a', 'bc'], 1, 2, 8)).toBe(1 + 3 + 4)
    expect(measureTextList('topics', ['a'], 2, 2, 8)).toBe(2 + 3)
    refusal(() => measureTextList('topics', ['a', 'b', 'c'], 1, 2, 8), 'WIRE_COUNT_EXCEEDED', 'topics has 3 entries, at most 2 allowed')
    refusal(() => measureTextList('topics', 'ab' as unknown as string[], 1, 2, 8), 'WIRE_BAD_FIELD', 'topics must be an array, got "ab"')
    for (const width of [1, 2] as const) {
      const bytes = written(measureTextList('topics', ['a', 'bc'], width, 2, 8), (writer) => writeTextList(writer, ['a', 'bc'], width))
      expect(readTextList(new WireReader(bytes, 2), width, 2, 8, 'topics')).toEqual(['a', 'bc'])
    }
    refusal(() => readTextList(new WireReader(Uint8Array.of(2, 0, 1, 0x61, 0, 1), 4), 1, 2, 8, 'topics'), 'WIRE_TRUNCATED', 'topics: 2 entries need at least 6 bytes, 5 left')
  })

  it('capabilities: at most 16, each 1 to 32 printable ASCII bytes', () => {
    const sixteen = Array.from({ length: MAX_CAPABILITIES }, (_, i) => `c${i}`)
    const size = measureCapabilities('capabilities', sixteen)
    expect(size).toBe(1 + sixteen.reduce((sum, name) => sum + 1 + name.length, 0))
    refusal(() => measureCapabilities('capabilities', [...sixteen, 'x']), 'WIRE_COUNT_EXCEEDED', 'capabilities has 17 entries, at most 16 allowed')
    expect(measureCapabilities('capabilities', ['x'.repeat(MAX_CAPABILITY_BYTES)])).toBe(1 + 1 + 32)
    refusal(() => measureCapabilities('capabilities', [7 as unknown as string]), 'WIRE_BAD_FIELD', 'capabilities must be 1 to 32 printable ASCII characters, got 7')
    for (const bad of ['x'.repeat(33), '', 'a b', 'é']) {
      refusal(() => measureCapabilities('capabilities', [bad]), 'WIRE_BAD_FIELD', `capabilities must be 1 to 32 printable ASCII characters, got ${JSON.stringify(bad)}`)
    }
    const bytes = written(size, (writer) => writeCapabilities(writer, sixteen))
    expect(readCapabilities(new WireReader(bytes, 16), 'capabilities')).toEqual(sixteen)
    refusal(() => readCapabilities(new WireReader(Uint8Array.of(1, 0, 0x61), 1), 'capabilities'), 'WIRE_BAD_FIELD', 'capabilities must be 1 to 32 bytes, got 0')
    refusal(() => readCapabilities(new WireReader(Uint8Array.of(1, 33, ...new Array(33).fill(0x61)), 1), 'capabilities'), 'WIRE_BAD_FIELD', 'capabilities must be 1 to 32 bytes, got 33')
    expect(readCapabilities(new WireReader(Uint8Array.of(1, 32, ...new Array(32).fill(0x61)), 1), 'capabilities')).toEqual(['a'.repeat(32)])
    refusal(() => readCapabilities(new WireReader(Uint8Array.of(2, 1, 0x61), 2), 'capabilities'), 'WIRE_TRUNCATED', 'capabilities: 2 entries need at least 4 bytes, 2 left')
  })

  it('id lists: a u8 count, capped, 32 bytes each', () => {
    expect(measureIdList('path', [id(1), id(2)], 2)).toBe(1 + 64)
    refusal(() => measureIdList('path', [id(1), id(2), id(3)], 2), 'WIRE_COUNT_EXCEEDED', 'path has 3 entries, at most 2 allowed')
    refusal(() => measureIdList('path', [new Uint8Array(31)], 2), 'WIRE_BAD_FIELD', 'path must be a Uint8Array of 32 bytes, got Uint8Array(31)')
    const bytes = written(65, (writer) => writeIdList(writer, [id(1), id(2)]))
    expect(readIdList(new WireReader(bytes, 2), 2, 'path')).toEqual([id(1), id(2)])
    refusal(() => readIdList(new WireReader(bytes.subarray(0, 64), 2), 2, 'path'), 'WIRE_TRUNCATED', 'path: 2 entries need at least 64 bytes, 63 left')
  })

  it('message refs: a u16 count, capped, 40 bytes each', () => {
    const refs = [{ origin: id(1), seq: 1n }, { origin: id(2), seq: 2n ** 64n - 1n }]
    expect(measureMessageRefs('ids', refs, 2)).toBe(2 + 80)
    refusal(() => measureMessageRefs('ids', [...refs, refs[0]], 2), 'WIRE_COUNT_EXCEEDED', 'ids has 3 entries, at most 2 allowed')
    refusal(() => measureMessageRefs('ids', [null as never], 2), 'WIRE_BAD_FIELD', 'ids must be an { origin, seq } object, got null')
    refusal(() => measureMessageRefs('ids', [5 as never], 2), 'WIRE_BAD_FIELD', 'ids must be an { origin, seq } object, got 5')
    refusal(() => measureMessageRefs('ids', [{ origin: id(1), seq: -1n }], 2), 'WIRE_BAD_FIELD', /^ids must be a bigint/)
    const bytes = written(82, (writer) => writeMessageRefs(writer, refs))
    expect(readMessageRefs(new WireReader(bytes, 2), 2, 'ids')).toEqual(refs)
    refusal(() => readMessageRefs(new WireReader(bytes.subarray(0, 81), 2), 2, 'ids'), 'WIRE_TRUNCATED', 'ids: 2 entries need at least 80 bytes, 79 left')
  })

  it('payloads: a u32 length up to the max, refused past it before any byte is read', () => {
    expect(measurePayload('data', new Uint8Array(4), 4)).toBe(8)
    refusal(() => measurePayload('data', new Uint8Array(5), 4), 'WIRE_TOO_LARGE', 'data is 5 bytes, at most 4 allowed')
    refusal(() => measurePayload('data', 'abc' as unknown as Uint8Array, 4), 'WIRE_BAD_FIELD', 'data must be a Uint8Array, got "abc"')
    const bytes = written(8, (writer) => writePayload(writer, Uint8Array.of(9, 8, 7, 6)))
    expect([...bytes]).toEqual([0, 0, 0, 4, 9, 8, 7, 6])
    expect([...readPayload(new WireReader(bytes, 0), 4, 'data')]).toEqual([9, 8, 7, 6])
    refusal(() => readPayload(new WireReader(bytes, 0), 3, 'data'), 'WIRE_TOO_LARGE', 'data declares 4 bytes, at most 3 allowed')
  })

  it('peer lists: at most 20 peers of at most 8 addresses, each error naming the part', () => {
    const peer = (i: number, addresses = [`memory://${i}`]): PeerInfo => ({ id: id(i), addresses })
    const twenty = Array.from({ length: MAX_PEERS_PER_REPLY }, (_, i) => peer(i))
    const size = measurePeers('closer', twenty)
    expect(size).toBe(1 + twenty.reduce((sum, p) => sum + 32 + 1 + 2 + p.addresses[0].length, 0))
    refusal(() => measurePeers('closer', [...twenty, peer(20)]), 'WIRE_COUNT_EXCEEDED', 'closer has 21 entries, at most 20 allowed')
    refusal(() => measurePeers('closer', [7 as never]), 'WIRE_BAD_FIELD', 'closer must be a list of { id, addresses }, got 7')
    refusal(() => measurePeers('closer', [null as never]), 'WIRE_BAD_FIELD', 'closer must be a list of { id, addresses }, got null')
    refusal(() => measurePeers('closer', [{ id: new Uint8Array(3), addresses: [] }]), 'WIRE_BAD_FIELD', 'closer.id must be a Uint8Array of 32 bytes, got Uint8Array(3)')
    expect(measurePeers('closer', [peer(1, new Array(8).fill('a'))])).toBe(1 + 32 + 1 + 8 * 3)
    refusal(() => measurePeers('closer', [peer(1, new Array(9).fill('a'))]), 'WIRE_COUNT_EXCEEDED', 'closer.addresses has 9 entries, at most 8 allowed')
    expect(peerEntries([peer(1, ['a', 'b']), peer(2, ['c'])])).toBe(2 + 3)
    const bytes = written(size, (writer) => writePeers(writer, twenty))
    expect(readPeers(new WireReader(bytes, 4_096), 'closer')).toEqual(twenty)
    refusal(() => readPeers(new WireReader(Uint8Array.of(1, ...new Array(32).fill(0)), 8), 'closer'), 'WIRE_TRUNCATED', 'closer: 1 entries need at least 33 bytes, 32 left')
    // Two peers pass the count's 2 x 33 bytes, but the first one's address leaves the second id short.
    const first = [...id(1), 1, 0, 6, ...new TextEncoder().encode('ws://a')]
    refusal(() => readPeers(new WireReader(Uint8Array.of(2, ...first, ...new Array(25).fill(0)), 64), 'closer'), 'WIRE_TRUNCATED', 'closer.id: needs 32 bytes at offset 42, 25 left')
    refusal(() => readPeers(new WireReader(Uint8Array.of(1, ...new Array(32).fill(0), 9, ...new Array(27).fill(0)), 64), 'closer'), 'WIRE_COUNT_EXCEEDED', 'closer.addresses: 9 entries, at most 8 allowed')
  })
})

describe('DHT records at their edges', () => {
  const immutable = (valueBytes: number): DhtRecord => ({ kind: 'immutable', key: id(1), value: new Uint8Array(valueBytes), ttlMs: 0xffff_ffff })
  const mutable: DhtRecord = { kind: 'mutable', key: id(1), value: Uint8Array.of(5), ttlMs: 1_000, publicKey: id(2), seq: 2n ** 64n - 1n, signedAtMs: MAX_TIMESTAMP_MS, signature: new Uint8Array(64).fill(3) }

  it('measures each kind exactly, takes the largest value and a ttl of 2**32 - 1, and names the field of every bad part', () => {
    expect(measureRecord('record', immutable(MAX_RECORD_VALUE_BYTES))).toBe(32 + 1 + 4 + 4 + MAX_RECORD_VALUE_BYTES)
    expect(measureRecord('record', mutable)).toBe(32 + 1 + 4 + 4 + 1 + 32 + 8 + 8 + 64)
    refusal(() => measureRecord('record', immutable(MAX_RECORD_VALUE_BYTES + 1)), 'WIRE_TOO_LARGE', `record.value is ${MAX_RECORD_VALUE_BYTES + 1} bytes, at most ${MAX_RECORD_VALUE_BYTES} allowed`)
    refusal(() => measureRecord('record', null as never), 'WIRE_BAD_FIELD', 'record must be a DHT record, got null')
    refusal(() => measureRecord('record', { ...immutable(1), key: new Uint8Array(1) }), 'WIRE_BAD_FIELD', /^record\.key must be a Uint8Array of 32 bytes/)
    refusal(() => measureRecord('record', { ...immutable(1), ttlMs: 2 ** 32 }), 'WIRE_BAD_FIELD', `record.ttlMs must be an integer from 0 to ${2 ** 32 - 1}, got ${2 ** 32}`)
    refusal(() => measureRecord('record', { ...mutable, publicKey: new Uint8Array(1) }), 'WIRE_BAD_FIELD', /^record\.publicKey must be a Uint8Array of 32 bytes/)
    refusal(() => measureRecord('record', { ...mutable, seq: -1n }), 'WIRE_BAD_FIELD', /^record\.seq must be a bigint/)
    refusal(() => measureRecord('record', { ...mutable, signedAtMs: -1 }), 'WIRE_BAD_FIELD', /^record\.signedAtMs must be an integer number of milliseconds/)
    refusal(() => measureRecord('record', { ...mutable, signature: new Uint8Array(63) }), 'WIRE_BAD_FIELD', /^record\.signature must be a Uint8Array of 64 bytes/)
    refusal(() => measureRecord('record', { ...immutable(1), kind: 'other' } as never), 'WIRE_BAD_FIELD', `record.kind must be 'immutable' or 'mutable', got "other"`)
  })

  it('writes kind 0 and 2 and reads both back; kind 1 (retired) and others are refused by number', () => {
    for (const record of [immutable(3), mutable]) {
      const bytes = written(measureRecord('record', record), (writer) => writeRecord(writer, record))
      expect(bytes[32]).toBe(record.kind === 'immutable' ? 0 : 2)
      expect(readRecord(new WireReader(bytes, 0), 'record')).toEqual(record)
      for (const kind of [1, 3, 255]) {
        const changed = Uint8Array.from(bytes)
        changed[32] = kind
        refusal(() => readRecord(new WireReader(changed, 0), 'record'), 'WIRE_BAD_FIELD', `record.kind must be 0 (immutable) or 2 (mutable; 1 is retired), got ${kind}`)
      }
    }
  })

  it('names the field a record is cut short in', () => {
    const bytes = written(measureRecord('record', mutable), (writer) => writeRecord(writer, mutable))
    // Cut inside each field in turn: key 0-31, kind 32, ttlMs 33-36, value 37-41, publicKey 42-73, seq 74-81, signedAtMs 82-89, signature 90-153.
    const cuts: [number, string][] = [[10, 'record.key'], [32, 'record.kind'], [35, 'record.ttlMs'], [40, 'record.value'], [50, 'record.publicKey'], [80, 'record.seq'], [85, 'record.signedAtMs'], [100, 'record.signature']]
    for (const [length, field] of cuts) {
      refusal(() => readRecord(new WireReader(bytes.subarray(0, length), 0), 'record'), 'WIRE_TRUNCATED', new RegExp(`^${field.replace('.', '\\.')}: needs `))
    }
  })
})

describe('wire limits and errors', () => {
  it('keeps the defaults for no limits or empty ones, and takes each limit from its least to its default', () => {
    expect(resolveWireLimits()).toBe(DEFAULT_WIRE_LIMITS)
    expect(resolveWireLimits({})).toEqual(DEFAULT_WIRE_LIMITS)
    const least = resolveWireLimits({ maxFrameBytes: 13, maxMessageBytes: 5, maxMessagesPerFrame: 1, maxEntriesPerFrame: 0 })
    expect(least).toEqual({ maxFrameBytes: 13, maxMessageBytes: 5, maxMessagesPerFrame: 1, maxEntriesPerFrame: 0 })
    expect(resolveWireLimits({ ...DEFAULT_WIRE_LIMITS })).toEqual(DEFAULT_WIRE_LIMITS)
    const cases: [Partial<Record<keyof typeof DEFAULT_WIRE_LIMITS, number>>, string][] = [
      [{ maxFrameBytes: 12 }, `maxFrameBytes must be an integer from 13 to ${DEFAULT_WIRE_LIMITS.maxFrameBytes}, got 12`],
      [{ maxFrameBytes: DEFAULT_WIRE_LIMITS.maxFrameBytes + 1 }, `maxFrameBytes must be an integer from 13 to ${DEFAULT_WIRE_LIMITS.maxFrameBytes}, got ${DEFAULT_WIRE_LIMITS.maxFrameBytes + 1}`],
      [{ maxMessageBytes: 4 }, `maxMessageBytes must be an integer from 5 to ${DEFAULT_WIRE_LIMITS.maxMessageBytes}, got 4`],
      [{ maxMessagesPerFrame: 0 }, `maxMessagesPerFrame must be an integer from 1 to ${DEFAULT_WIRE_LIMITS.maxMessagesPerFrame}, got 0`],
      [{ maxEntriesPerFrame: -1 }, `maxEntriesPerFrame must be an integer from 0 to ${DEFAULT_WIRE_LIMITS.maxEntriesPerFrame}, got -1`],
    ]
    for (const [limits, message] of cases) refusal(() => resolveWireLimits(limits), 'WIRE_INVALID_OPTION', message)
  })

  it('a WireError carries its code, its message and its cause, and is a WasmeshError', () => {
    const cause = new TypeError('bad byte')
    const error = new WireError('WIRE_BAD_UTF8', 'topic is not well-formed UTF-8', { cause })
    expect(error).toBeInstanceOf(WasmeshError)
    expect(error).toBeInstanceOf(Error)
    expect([error.code, error.message, error.cause]).toEqual(['WIRE_BAD_UTF8', 'topic is not well-formed UTF-8', cause])
    expect(new WireError('WIRE_CLOSED', 'closed').cause).toBeUndefined()
  })
})
