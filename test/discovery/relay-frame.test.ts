// The relay frame codec (docs/protocol.md, "Relay frames"): what it writes reads back the
// same, and any bytes at all either decode to a frame or to undefined, never a throw.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeRelayFrame, encodeRelayClose, encodeRelayFrame, MAX_RELAY_REASON_BYTES, readdressRelayFrame, relayCloseReason, RELAY_KINDS, type RelayKind } from '../../src/discovery/relay-frame.js'

const id = fc.stringMatching(/^[A-Za-z0-9._~-]{1,128}$/)
const kinds = Object.keys(RELAY_KINDS) as RelayKind[]

describe('relay frames', () => {
  it('round-trip every kind: the id, the stream, who opened it, the window or credit, the data', () => {
    fc.assert(fc.property(fc.constantFrom(...kinds), fc.boolean(), id, fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.uint8Array({ maxLength: 300 }), (kind, isFromOpener, peer, stream, amount, data) => {
        const body = kind === 'data' ? data : kind === 'close' ? data.subarray(0, MAX_RELAY_REASON_BYTES) : new Uint8Array(0)
        const frame = decodeRelayFrame(encodeRelayFrame(kind, isFromOpener, peer, stream, amount, body))
        const hasAmount = kind === 'open' || kind === 'accept' || kind === 'credit'
        expect(frame).toEqual({ kind, isFromOpener, peer, stream, amount: hasAmount ? amount : 0, body: hasAmount ? new Uint8Array(0) : body })
      }))
  })

  it('the exact bytes: marker, kind with the opener flag, id, stream, body', () => {
    expect([...encodeRelayFrame('open', true, 'bob', 7, 65_536)]).toEqual([0, 0x81, 3, 98, 111, 98, 0, 0, 0, 7, 0, 1, 0, 0])
    expect([...encodeRelayFrame('data', false, 'al', 1, 0, Uint8Array.of(9))]).toEqual([0, 3, 2, 97, 108, 0, 0, 0, 1, 9])
    expect([...encodeRelayFrame('gone', false, 'al', 0)]).toEqual([0, 6, 2, 97, 108, 0, 0, 0, 0])
  })

  it('any bytes decode to a frame or to undefined, never a throw; a frame decodes to one that encodes back to the same bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, marked) => {
      const input = marked && bytes.length > 0 ? Uint8Array.of(0, ...bytes.subarray(1)) : bytes
      const frame = decodeRelayFrame(input)
      if (frame === undefined) return
      expect(encodeRelayFrame(frame.kind, frame.isFromOpener, frame.peer, frame.stream, frame.amount, frame.body)).toEqual(input)
    }), { numRuns: 20_000 })
  })

  it('refuses a bad id, a bad kind, a short frame, a window of the wrong size, an oversized reason, a gone with a body', () => {
    const good = encodeRelayFrame('credit', true, 'bob', 1, 5)
    for (const bad of [
      new Uint8Array(0), good.subarray(0, 7), Uint8Array.of(1, ...good.subarray(1)), Uint8Array.of(0, 0, ...good.subarray(2)), Uint8Array.of(0, 7, ...good.subarray(2)),
      Uint8Array.of(...good, 0), good.subarray(0, good.length - 1), encodeRelayFrame('credit', true, 'a b', 1, 5),
      encodeRelayFrame('close', true, 'bob', 1, 0, new Uint8Array(MAX_RELAY_REASON_BYTES + 1)), encodeRelayFrame('data', true, 'bob', 1, 0, new Uint8Array(1)).map((byte, i) => (i === 1 ? 6 : byte)),
    ]) expect(decodeRelayFrame(bad), String([...bad])).toBeUndefined()
  })

  it('a close carries its reason, cut to fit; readdressing swaps the id and keeps the rest', () => {
    expect(relayCloseReason(decodeRelayFrame(encodeRelayClose(true, 'bob', 3, 'refused'))!)).toBe('refused')
    expect(decodeRelayFrame(encodeRelayClose(true, 'bob', 3, 'é'.repeat(500)))).toBeDefined()
    const readdressed = decodeRelayFrame(readdressRelayFrame(encodeRelayFrame('data', true, 'bob', 9, 0, Uint8Array.of(1, 2)), 'a-much-longer-id'))
    expect(readdressed).toEqual({ kind: 'data', isFromOpener: true, peer: 'a-much-longer-id', stream: 9, amount: 0, body: Uint8Array.of(1, 2) })
  })
})
