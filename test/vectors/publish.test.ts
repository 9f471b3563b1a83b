import { describe, expect, it } from 'vitest'
import { isAuthenticPublish, publishLayout, publishMessage, publishSignedBytes, type PublishCase } from './publish.js'
import { acceptedFlips, itEncodesTo, itPinsTheSignature, readVectorFile, span, utf8Hex } from './vector-file.js'

const { cases } = readVectorFile<PublishCase>('publish.json')

describe.each(cases)('publish vector: $name', (vector) => {
  itPinsTheSignature(vector, 'signedBytes()', () => publishLayout(vector.signer, vector.input), () => publishSignedBytes(vector.signer, vector.input))
  itEncodesTo(vector, () => publishMessage(vector.signer, vector.input, vector.signature))

  it('on the wire only the ttl and the path ids can change without breaking the signature: relays rewrite those', async () => {
    // type u8, body length u32, topic (u16 length + UTF-8), origin 32, originKey 32, seq 8, timestampMs 8, ttl, path count, path ids.
    const ttlAt = 5 + 2 + utf8Hex(vector.input.topic).length / 2 + 32 + 32 + 8 + 8
    const pathIds = span(ttlAt + 2, 32 * vector.input.path.length)
    expect(await acceptedFlips(vector.message, isAuthenticPublish)).toEqual([ttlAt, ...pathIds])
  })
})
