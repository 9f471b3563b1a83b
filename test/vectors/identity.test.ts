import { describe, expect, it } from 'vitest'
import { Identity, peerIdOf } from '../../src/peers/identity.js'
import { publicKeyFromSeed } from '../../src/peers/identity-crypto.js'
import type { IdentityCase } from './identity.js'
import { expectEveryByteBound, expectSignature, fromHex, readVectorFile, sha256Hex, toHex } from './vector-file.js'

const { cases } = readVectorFile<IdentityCase>('identity.json')

describe.each(cases)('identity vector: $name', (vector) => {
  it('the seed gives the public key, and the peer id is SHA-256 of the public key', () => {
    expect(toHex(publicKeyFromSeed(fromHex(vector.seed)))).toBe(vector.publicKey)
    expect(sha256Hex(vector.publicKey)).toBe(vector.peerId)
    expect(toHex(peerIdOf(fromHex(vector.publicKey)))).toBe(vector.peerId)
  })

  it('the exported form loads to that key and id, and exports to itself', () => {
    const identity = Identity.load(vector.exported)
    expect(toHex(identity.publicKey)).toBe(vector.publicKey)
    expect(toHex(identity.peerId)).toBe(vector.peerId)
    expect(identity.export()).toEqual(vector.exported)
  })

  it("the key signs the RFC's message to the RFC's signature, on both backends", async () => {
    const signer = { seed: vector.seed, publicKey: vector.publicKey, peerId: vector.peerId }
    await expectSignature(signer, vector.message, vector.signature)
  })

  it('the signature verifies, and no longer does with any byte of the message, signature or key changed', async () => {
    await expectEveryByteBound(vector.publicKey, vector.message, vector.signature)
  })
})
