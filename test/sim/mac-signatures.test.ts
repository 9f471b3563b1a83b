// The signature stand-in refuses what Ed25519 refuses from anyone without the simulation's key:
// altered messages, another key's signatures, made-up bytes, a MAC under another key.

import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MacSignatures } from '../../src/sim/mac-signatures.js'

const key = new Uint8Array(32).fill(7)
const scheme = new MacSignatures(key)
const alice = new Uint8Array(32).fill(1)
const bob = new Uint8Array(32).fill(2)
const bytes = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max })

describe('MacSignatures', () => {
  it('signs in 64 bytes, the last 32 zero, and verifies its own signature', () => {
    const signature = scheme.sign(alice, new Uint8Array([1, 2, 3]))
    expect(signature).toHaveLength(64)
    expect(signature.subarray(32).every((byte) => byte === 0)).toBe(true)
    expect(scheme.verify(alice, new Uint8Array([1, 2, 3]), signature)).toBe(true)
    // Deterministic, and a copy of the key is kept: changing the caller's array changes nothing.
    const copy = key.slice()
    const other = new MacSignatures(copy)
    copy.fill(0)
    expect(other.sign(alice, new Uint8Array([1, 2, 3]))).toEqual(signature)
  })

  it('is HMAC-SHA256 under the key over (public key || message), call after call on the same scheme', () => {
    fc.assert(
      fc.property(bytes(300), fc.boolean(), (message, byAlice) => {
        const publicKey = byAlice ? alice : bob
        const expected = createHmac('sha256', key).update(publicKey).update(message).digest()
        expect(Buffer.from(scheme.sign(publicKey, message).subarray(0, 32)).equals(expected)).toBe(true)
      }),
      { numRuns: 200 },
    )
  })

  it('refuses an altered message, the signature of another key, and one made under another MAC key', () => {
    fc.assert(
      fc.property(bytes(300), fc.nat(), fc.integer({ min: 1, max: 255 }), (message, at, flip) => {
        const signature = scheme.sign(alice, message)
        expect(scheme.verify(alice, message, signature)).toBe(true)
        if (message.length > 0) {
          const altered = message.slice()
          altered[at % altered.length] ^= flip
          expect(scheme.verify(alice, altered, signature)).toBe(false)
        }
        expect(scheme.verify(alice, new Uint8Array([...message, 0]), signature)).toBe(false)
        expect(scheme.verify(bob, message, signature)).toBe(false)
        expect(scheme.verify(alice, message, scheme.sign(bob, message))).toBe(false)
        expect(scheme.verify(alice, message, new MacSignatures(new Uint8Array(32).fill(8)).sign(alice, message))).toBe(false)
      }),
      { numRuns: 300 },
    )
  })

  it('refuses random signatures, any flipped bit, and wrong lengths of signature or key', () => {
    const message = new Uint8Array([9, 9, 9])
    const signature = scheme.sign(alice, message)
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (random) => {
        expect(scheme.verify(alice, message, random)).toBe(false)
      }),
      { numRuns: 300 },
    )
    for (let bit = 0; bit < 512; bit++) {
      const flipped = signature.slice()
      flipped[bit >> 3] ^= 1 << (bit & 7)
      expect(scheme.verify(alice, message, flipped)).toBe(false)
    }
    expect(scheme.verify(alice, message, signature.subarray(0, 32))).toBe(false)
    expect(scheme.verify(alice, message, new Uint8Array([...signature, 0]))).toBe(false)
    expect(scheme.verify(alice.subarray(0, 31), message, scheme.sign(alice.subarray(0, 31), message))).toBe(false)
  })
})
