// Known answers for a routed direct message (wire type 0x23): its 64-bit message id
// (src/routing/message-id.ts), the bytes its origin signs (src/routing/envelope.ts
// directSignedBytes), the signature, and the message and frame carrying it.

import { keyMatchesPeerId, verifySignature } from '../../src/peers/identity.js'
import { directSignedBytes } from '../../src/routing/envelope.js'
import { composeMessageId, type MessageIdFields } from '../../src/routing/message-id.js'
import { decodeMessage } from '../../src/wire/codec.js'
import type { DirectMessage } from '../../src/wire/messages.js'
import { fromHex, signAndEncode, signerVector, tagHex, u64Hex, uintHex, type Part, type SignedWireCase, type SignerVector } from './vector-file.js'

export interface DirectInput {
  /** The fields the router packs into the message id; `low` is the TTL the origin gave it. */
  readonly messageIdFields: MessageIdFields
  /** The target's peer id, hex. */
  readonly target: string
  /** The origin's clock when it signed this attempt, whole milliseconds. */
  readonly timestampMs: number
  /** Not signed: relays lower it. */
  readonly ttl: number
  readonly data: string
}

/** The signer is the origin: origin = signer.peerId, originKey = signer.publicKey. */
export interface DirectCase extends SignedWireCase<DirectInput> {
  /** composeMessageId(input.messageIdFields), u64 as 0x-prefixed hex. */
  readonly messageId: string
}

/** The signed bytes as docs/protocol.md lays them out. */
export function directLayout(signer: SignerVector, messageId: string, input: DirectInput): Part[] {
  return [
    ['tag', tagHex('wasmesh/routing/direct/v2')],
    ['message id u64', uintHex(BigInt(messageId), 8)],
    ['origin id', signer.peerId],
    ['target id', input.target],
    ['timestampMs u64', uintHex(input.timestampMs, 8)],
    ['data', input.data],
  ]
}

export function directMessage(signer: SignerVector, messageId: string, input: DirectInput, signature: string): DirectMessage {
  return {
    type: 'direct',
    messageId: BigInt(messageId),
    origin: fromHex(signer.peerId),
    target: fromHex(input.target),
    originKey: fromHex(signer.publicKey),
    timestampMs: input.timestampMs,
    ttl: input.ttl,
    data: fromHex(input.data),
    signature: fromHex(signature),
  }
}

/** The whole case, computed by the library from the signer's seed and the inputs. */
export async function directCase(name: string, seed: string, input: DirectInput): Promise<DirectCase> {
  const signer = signerVector(seed)
  const messageId = u64Hex(composeMessageId(input.messageIdFields))
  const bytes = directSignedBytes(BigInt(messageId), fromHex(signer.peerId), fromHex(input.target), input.timestampMs, fromHex(input.data))
  const signed = await signAndEncode(seed, bytes, (signature) => directMessage(signer, messageId, input, signature))
  return { name, signer, input, messageId, signedParts: directLayout(signer, messageId, input), ...signed }
}

/** What a target checks of a direct message: the key names the origin id, and the signature holds. */
export async function isAuthenticDirect(encoded: Uint8Array): Promise<boolean> {
  const message = decodeMessage(encoded)
  if (message.type !== 'direct' || !keyMatchesPeerId(message.originKey, message.origin)) return false
  return verifySignature(message.originKey, directSignedBytes(message.messageId, message.origin, message.target, message.timestampMs, message.data), message.signature)
}
