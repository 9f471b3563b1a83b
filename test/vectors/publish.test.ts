import { describe, expect, it } from 'vitest'
import { decodeMessage, encodeMessage } from '../../src/wire/codec.js'
import { decodeFrame, encodeFrame } from '../../src/wire/frame.js'
import { isAuthenticPublish, publishLayout, publishMessage, publishSignedBytes, type PublishCase } from './publish.js'
import { acceptedFlips, expectEveryByteBound, expectSignature, fromHex, joinParts, span, toHex, readVectorFile, utf8Hex } from './vector-file.js'

const { cases } = readVectorFile<PublishCase>('publish.json')

describe.each(cases)('publish vector: $name', (vector) => {
  it('the signed bytes are the documented layout of the inputs', () => {
    expect(publishLayout(vector.signer, vector.input)).toEqual(vector.signedParts)
    expect(joinParts(vector.signedParts)).toBe(vector.signedBytes)
  })

  it('signedBytes() builds exactly those bytes', () => {
    expect(toHex(publishSignedBytes(vector.signer, vector.input))).toBe(vector.signedBytes)
  })

  it("the origin's key signs them to the vector's signature, on both backends", async () => {
    await expectSignature(vector.signer, vector.signedBytes, vector.signature)
  })

  it('the signature verifies, and no longer does with any byte of the signed bytes, signature or key changed', async () => {
    await expectEveryByteBound(vector.signer.publicKey, vector.signedBytes, vector.signature)
  })

  it("the message and its frame encode to the vector's bytes and decode back to the inputs", () => {
    const expected = publishMessage(vector.signer, vector.input, vector.signature)
    expect(toHex(encodeMessage(expected))).toBe(vector.message)
    expect(toHex(encodeFrame([expected]))).toBe(vector.frame)
    expect(decodeMessage(fromHex(vector.message))).toEqual(expected)
    expect(decodeFrame(fromHex(vector.frame))).toEqual([expected])
  })

  it('on the wire only the ttl and the path ids can change without breaking the signature: relays rewrite those', async () => {
    // type u8, body length u32, topic (u16 length + UTF-8), origin 32, originKey 32, seq 8, ttl, path count, path ids.
    const ttlAt = 5 + 2 + utf8Hex(vector.input.topic).length / 2 + 32 + 32 + 8
    const pathIds = span(ttlAt + 2, 32 * vector.input.path.length)
    expect(await acceptedFlips(vector.message, isAuthenticPublish)).toEqual([ttlAt, ...pathIds])
  })
})
