import { describe, expect, it } from 'vitest'
import { HandshakeError, PeerError } from '../../src/peers/errors.js'
import { classifyDialFailure } from '../../src/peers/dial-failure.js'
import { isWorthRetrying } from '../../src/node/bootstrap.js'
import { TransportError } from '../../src/transport/errors.js'

const busy = new PeerError('PEER_BUSY', 'too many handshakes')
const timeout = new TransportError('TRANSPORT_TIMEOUT', 'no answer')
const refused = new TransportError('TRANSPORT_UNREACHABLE', 'refused')
const lostMidHandshake = new HandshakeError('HANDSHAKE_ABORTED', 'connection closed')
const badSignature = new HandshakeError('HANDSHAKE_BAD_SIGNATURE', 'forged')
const full = new PeerError('PEER_TOO_MANY_PEERS', 'full')

describe('classifyDialFailure', () => {
  it('tells busy, silent, unreachable and final answers apart', () => {
    expect(classifyDialFailure(busy)).toBe('busy')
    expect(classifyDialFailure(timeout)).toBe('silent')
    expect(classifyDialFailure(new HandshakeError('HANDSHAKE_TIMEOUT', 'slow'))).toBe('silent')
    expect(classifyDialFailure(lostMidHandshake)).toBe('silent')
    expect(classifyDialFailure(refused)).toBe('unreachable')
    expect(classifyDialFailure(new TransportError('TRANSPORT_BAD_ADDRESS', 'what'))).toBe('final')
    expect(classifyDialFailure(badSignature)).toBe('final')
    expect(classifyDialFailure(full)).toBe('final')
    expect(classifyDialFailure(new Error('anything else'))).toBe('final')
    expect(classifyDialFailure(undefined)).toBe('final')
  })

  it("reads connect()'s give-up error by the last attempt's failure", () => {
    const gaveUp = (cause: unknown) => new PeerError('PEER_UNREACHABLE', 'gave up', { cause })
    expect(classifyDialFailure(gaveUp(timeout))).toBe('silent')
    expect(classifyDialFailure(gaveUp(refused))).toBe('unreachable')
    expect(classifyDialFailure(gaveUp(badSignature))).toBe('final')
  })
})

describe("start()'s bootstrap dial", () => {
  it('retries busy and silent addresses only: an unreachable bootstrap address fails at once', () => {
    expect(isWorthRetrying(busy)).toBe(true)
    expect(isWorthRetrying(timeout)).toBe(true)
    expect(isWorthRetrying(lostMidHandshake)).toBe(true)
    expect(isWorthRetrying(refused)).toBe(false)
    expect(isWorthRetrying(full)).toBe(false)
  })
})
