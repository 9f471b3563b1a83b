import { describe, expect, it } from 'vitest'
import { directSignedBytes } from '../../src/routing/envelope.js'
import { composeMessageId, parseMessageId } from '../../src/routing/message-id.js'
import { directLayout, directMessage, isAuthenticDirect, type DirectCase } from './direct.js'
import { acceptedFlips, fromHex, itEncodesTo, itPinsTheSignature, readVectorFile, u64Hex } from './vector-file.js'

const { cases } = readVectorFile<DirectCase>('direct.json')

describe.each(cases)('direct vector: $name', (vector) => {
  const { input } = vector

  it('the message id packs send id, flood flag, attempt and initial TTL as the vector says', () => {
    expect(u64Hex(composeMessageId(input.messageIdFields))).toBe(vector.messageId)
    expect(parseMessageId(BigInt(vector.messageId))).toEqual(input.messageIdFields)
  })

  itPinsTheSignature(vector, 'directSignedBytes()', () => directLayout(vector.signer, vector.messageId, input), () =>
    directSignedBytes(BigInt(vector.messageId), fromHex(vector.signer.peerId), fromHex(input.target), input.timestampMs, fromHex(input.data)),
  )
  itEncodesTo(vector, () => directMessage(vector.signer, vector.messageId, input, vector.signature))

  it('on the wire only the ttl can change without breaking the signature: relays lower it', async () => {
    // type u8, body length u32, messageId 8, origin 32, target 32, originKey 32, timestampMs 8, ttl.
    expect(await acceptedFlips(vector.message, isAuthenticDirect)).toEqual([5 + 8 + 32 + 32 + 32 + 8])
  })
})
