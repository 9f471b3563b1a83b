import { describe, expect, it } from 'vitest'
import { ackSignedBytes } from '../../src/routing/envelope.js'
import { parseMessageId, withLowByte } from '../../src/routing/message-id.js'
import { directAckLayout, directAckMessage, isAuthenticDirectAck, type DirectAckCase } from './direct-ack.js'
import { acceptedFlips, fromHex, itEncodesTo, itPinsTheSignature, readVectorFile, u64Hex } from './vector-file.js'

const { cases } = readVectorFile<DirectAckCase>('direct-ack.json')

describe.each(cases)('direct ack vector: $name', (vector) => {
  const { input } = vector

  it("the ack id is the message's with the hop count in its low byte", () => {
    expect(u64Hex(withLowByte(BigInt(input.directMessageId), input.hops))).toBe(vector.ackId)
    expect(parseMessageId(BigInt(vector.ackId))).toEqual({ ...parseMessageId(BigInt(input.directMessageId)), low: input.hops })
  })

  itPinsTheSignature(vector, 'ackSignedBytes()', () => directAckLayout(vector.signer, vector.ackId, input), () =>
    ackSignedBytes(BigInt(vector.ackId), fromHex(input.origin), fromHex(vector.signer.peerId)),
  )
  itEncodesTo(vector, () => directAckMessage(vector.signer, vector.ackId, input, vector.signature))

  it('on the wire only the ttl can change without breaking the signature: relays lower it', async () => {
    // type u8, body length u32, messageId 8, origin 32, target 32, targetKey 32, ttl.
    expect(await acceptedFlips(vector.message, isAuthenticDirectAck)).toEqual([5 + 8 + 32 + 32 + 32])
  })
})
