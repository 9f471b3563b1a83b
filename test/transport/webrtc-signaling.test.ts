// The signaling pieces of the WebRTC transport on their own: the in-process hub on a manual
// clock (order, copies, latency, answers for unknown ids, closing), and parseSignal against
// anything a stranger could send.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/util/clock.js'
import { MemorySignaling, parseSignal, parseWebRtcAddress, type SignalMessage } from '../../src/transport/webrtc/index.js'

const ID = 'conn-id-0000001'

describe('MemorySignaling', () => {
  it('delivers copies in the order sent, after latencyMs on its clock, never inside send()', () => {
    const clock = new ManualClock()
    const hub = new MemorySignaling({ clock, latencyMs: 20 })
    const alice = hub.connect('alice')
    const bob = hub.connect('bob')
    const got: [string, unknown][] = []
    bob.onMessage((from, message) => got.push([from, message]))
    const offer: SignalMessage = { type: 'offer', connectionId: ID, sdp: 'v=0' }
    alice.send('bob', offer)
    alice.send('bob', { type: 'bye', connectionId: ID, reason: 'done' })
    expect(got).toEqual([])
    clock.advance(19)
    expect(got).toEqual([])
    clock.advance(1)
    expect(got).toEqual([['alice', offer], ['alice', { type: 'bye', connectionId: ID, reason: 'done' }]])
    expect(got[0][1]).not.toBe(offer)
    expect(hub.stats()).toEqual({ delivered: 2, dropped: 0, endpoints: 2 })
  })

  it("answers a message to an id nobody holds with a bye 'unreachable' from that id, and never answers a bye", () => {
    const clock = new ManualClock()
    const hub = new MemorySignaling({ clock })
    const alice = hub.connect('alice')
    const got: [string, unknown][] = []
    alice.onMessage((from, message) => got.push([from, message]))
    alice.send('nobody', { type: 'offer', connectionId: ID, sdp: 'v=0' })
    alice.send('nobody', { type: 'bye', connectionId: ID, reason: 'x' })
    clock.runAll()
    expect(got).toEqual([['nobody', { type: 'bye', connectionId: ID, reason: 'unreachable' }]])
    expect(hub.stats().dropped).toBe(2)
  })

  it('an endpoint without a handler is silent; a closed one frees its id, sends nothing and gets nothing', () => {
    const clock = new ManualClock()
    const hub = new MemorySignaling({ clock })
    const alice = hub.connect('alice')
    const got: unknown[] = []
    alice.onMessage((_from, message) => got.push(message))
    const silent = hub.connect('silent')
    alice.send('silent', { type: 'offer', connectionId: ID, sdp: 'v=0' })
    clock.runAll()
    expect(got).toEqual([])
    silent.close()
    silent.close()
    silent.send('alice', { type: 'offer', connectionId: ID, sdp: 'v=0' })
    clock.runAll()
    expect(got).toEqual([])
    expect(() => hub.connect('silent')).not.toThrow()
    alice.send('silent', { type: 'offer', connectionId: ID, sdp: 'v=0' })
    hub.close()
    expect(clock.pending).toBe(0)
    expect(() => hub.connect('again')).toThrow(expect.objectContaining({ code: 'TRANSPORT_CLOSED' }))
  })

  it('drops what cannot be copied, as a wire would', () => {
    const clock = new ManualClock()
    const hub = new MemorySignaling({ clock })
    const alice = hub.connect('alice')
    hub.connect('bob').onMessage(() => {})
    alice.send('bob', { type: 'offer', connectionId: ID, sdp: 'v=0', extra: () => {} } as never)
    clock.runAll()
    expect(hub.stats()).toEqual({ delivered: 0, dropped: 1, endpoints: 2 })
  })

  it('refuses bad options', () => {
    expect(() => new MemorySignaling({ latencyMs: -1 })).toThrow(expect.objectContaining({ code: 'TRANSPORT_INVALID_OPTION' }))
    expect(() => new MemorySignaling(null as never)).toThrow(expect.objectContaining({ code: 'TRANSPORT_INVALID_OPTION' }))
  })
})

describe('parseSignal', () => {
  const limits = { maxSdpLength: 1_000 }

  it('never throws, and returns a message only with exactly its known fields', () => {
    fc.assert(fc.property(fc.anything(), (value) => {
      const parsed = parseSignal(value, limits)
      if (typeof parsed === 'string') {
        expect(['malformed', 'oversized']).toContain(parsed)
        return
      }
      const keys = { knock: ['type', 'connectionId'], ready: ['type', 'connectionId'], offer: ['type', 'connectionId', 'sdp'], answer: ['type', 'connectionId', 'sdp'], bye: ['type', 'connectionId', 'reason'],
        candidate: ['type', 'connectionId', 'candidate', 'sdpMid', 'sdpMLineIndex'] }[parsed.type]
      expect(Object.keys(parsed).sort()).toEqual([...keys].sort())
    }), { numRuns: 2_000 })
  })

  it('takes well-formed signals of every kind and refuses each bound and type by name', () => {
    const messages = fc.oneof(
      fc.record({ type: fc.constantFrom('offer', 'answer'), connectionId: fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/), sdp: fc.string({ minLength: 1, maxLength: 1_000 }) }),
      fc.record({ type: fc.constant('candidate'), connectionId: fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/), candidate: fc.string({ maxLength: 1_024 }), sdpMid: fc.string({ maxLength: 32 }), sdpMLineIndex: fc.option(fc.integer({ min: 0, max: 255 })) }),
      fc.record({ type: fc.constant('bye'), connectionId: fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/), reason: fc.string({ maxLength: 256 }) }),
      fc.record({ type: fc.constantFrom('knock', 'ready'), connectionId: fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/) }),
    )
    fc.assert(fc.property(messages, (message) => {
      expect(parseSignal({ ...message, junk: 1 }, limits)).toEqual(message)
    }), { numRuns: 500 })
    expect(parseSignal({ type: 'offer', connectionId: ID, sdp: 'v'.repeat(1_001) }, limits)).toBe('oversized')
    expect(parseSignal({ type: 'offer', connectionId: 'x'.repeat(65), sdp: 'v=0' }, limits)).toBe('malformed')
    expect(parseSignal({ type: 'candidate', connectionId: ID, candidate: 'c', sdpMid: null, sdpMLineIndex: 1.5 }, limits)).toBe('malformed')
  })

  it('webrtc addresses carry the signaling id', () => {
    expect(parseWebRtcAddress('webrtc://Peer_1.a~b-c')).toBe('Peer_1.a~b-c')
    expect(() => parseWebRtcAddress('webrtc://a%20b')).toThrow(expect.objectContaining({ code: 'TRANSPORT_BAD_ADDRESS' }))
  })
})
