// Known answers for a direct message's acknowledgement (wire type 0x22): its id (the
// message's with the hop count in the low byte), the bytes the target signs
// (src/routing/envelope.ts ackSignedBytes), the signature, and the message and frame.

import { keyMatchesPeerId, verifySignature } from '../../src/peers/identity.js'
import { ackSignedBytes } from '../../src/routing/envelope.js'
import { withLowByte } from '../../src/routing/message-id.js'
import { decodeMessage } from '../../src/wire/codec.js'
import type { DirectAckMessage } from '../../src/wire/messages.js'
import { fromHex, signAndEncode, signerVector, tagHex, u64Hex, uintHex, type Part, type SignedWireCase, type SignerVector } from './vector-file.js'

export interface DirectAckInput {
  /** The id of the direct message acknowledged, u64 as 0x-prefixed hex. */
  readonly directMessageId: string
  /** The hops that message took, which the ack id carries in its low byte. */
  readonly hops: number
  /** The origin of the direct message, hex. */
  readonly origin: string
  /** Not signed: relays lower it. */
  readonly ttl: number
}

/** The signer is the direct message's target: target = signer.peerId, targetKey = signer.publicKey. */
export interface DirectAckCase extends SignedWireCase<DirectAckInput> {
  /** withLowByte(directMessageId, hops), u64 as 0x-prefixed hex. */
  readonly ackId: string
}

/** The signed bytes as docs/protocol.md lays them out. */
export function directAckLayout(signer: SignerVector, ackId: string, input: DirectAckInput): Part[] {
  return [
    ['tag', tagHex('wasmesh/routing/direct-ack/v1')],
    ['ack id u64', uintHex(BigInt(ackId), 8)],
    ['origin id', input.origin],
    ['target id', signer.peerId],
  ]
}

export function directAckMessage(signer: SignerVector, ackId: string, input: DirectAckInput, signature: string): DirectAckMessage {
  return {
    type: 'directAck',
    messageId: BigInt(ackId),
    origin: fromHex(input.origin),
    target: fromHex(signer.peerId),
    targetKey: fromHex(signer.publicKey),
    ttl: input.ttl,
    signature: fromHex(signature),
  }
}

/** The whole case, computed by the library from the signer's seed and the inputs. */
export async function directAckCase(name: string, seed: string, input: DirectAckInput): Promise<DirectAckCase> {
  const signer = signerVector(seed)
  const ackId = u64Hex(withLowByte(BigInt(input.directMessageId), input.hops))
  const bytes = ackSignedBytes(BigInt(ackId), fromHex(input.origin), fromHex(signer.peerId))
  const signed = await signAndEncode(seed, bytes, (signature) => directAckMessage(signer, ackId, input, signature))
  return { name, signer, input, ackId, signedParts: directAckLayout(signer, ackId, input), ...signed }
}

/** What an origin checks of an ack: the key names the target id, and the signature holds. */
export async function isAuthenticDirectAck(encoded: Uint8Array): Promise<boolean> {
  const ack = decodeMessage(encoded)
  if (ack.type !== 'directAck' || !keyMatchesPeerId(ack.targetKey, ack.target)) return false
  return verifySignature(ack.targetKey, ackSignedBytes(ack.messageId, ack.origin, ack.target), ack.signature)
}
