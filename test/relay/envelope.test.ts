import { describe, expect, it } from 'vitest'
import { PUBLISH_TAG, signedBytes } from '../../src/relay/envelope.js'
import { loadCoreSync } from '../../src/core/load-core.js'
import { keyMatchesPeerId as keyMatchesOrigin } from '../../src/peers/identity.js'
import { Identity } from '../../src/peers/identity.js'
import { SeededRandom } from '../../src/util/random.js'

describe('relay envelope', () => {
  const identity = Identity.generate(new SeededRandom(1))

  it('signed bytes open with the publish domain tag and separate topic from origin', () => {
    const origin = new Uint8Array(32).fill(1)
    const data = Uint8Array.of(9)
    const bytes = signedBytes('ab', origin, 5n, 1_000, data)
    expect(bytes.subarray(0, PUBLISH_TAG.length)).toEqual(PUBLISH_TAG)
    // Moving a byte between topic and origin changes the signed bytes (the topic is length-prefixed).
    const shifted = new Uint8Array(32).fill(1)
    expect(signedBytes('a', shifted, 5n, 1_000, data)).not.toEqual(bytes)
    expect(signedBytes('ab', origin, 6n, 1_000, data)).not.toEqual(bytes)
    expect(signedBytes('ab', origin, 5n, 1_001, data)).not.toEqual(bytes) // the timestamp is signed
  })

  it('the origin key must hash to the origin id', () => {
    expect(keyMatchesOrigin(identity.publicKey, identity.peerId)).toBe(true)
    expect(keyMatchesOrigin(identity.publicKey, new Uint8Array(32))).toBe(false)
    expect(keyMatchesOrigin(identity.publicKey.subarray(0, 31), identity.peerId)).toBe(false)
  })

  it('dedup keys depend on origin, seq and the per-node secret', () => {
    const a = loadCoreSync().createKeyedHasher(new Uint8Array(16).fill(1))
    const b = loadCoreSync().createKeyedHasher(new Uint8Array(16).fill(2))
    const origin = identity.peerId
    expect(a.keyOf(0, origin, 1n)).toBe(a.keyOf(0, origin, 1n))
    expect(a.keyOf(0, origin, 1n)).not.toBe(a.keyOf(0, origin, 2n))
    expect(a.keyOf(0, origin, 1n)).not.toBe(b.keyOf(0, origin, 1n))
    expect(a.keyOf(0, origin, 1n) < 2n ** 64n).toBe(true)
  })
})
