// Known answers for a relay publish (wire type 0x15): the bytes its origin signs
// (src/relay/envelope.ts signedBytes), the signature, and the message and frame carrying it.

import { keyMatchesPeerId, verifySignature } from '../../src/peers/identity.js'
import { signedBytes } from '../../src/relay/envelope.js'
import { decodeMessage } from '../../src/wire/codec.js'
import type { PublishMessage } from '../../src/wire/messages.js'
import { fromHex, signAndEncode, signerVector, tagHex, uintHex, utf8Hex, type Part, type SignedWireCase, type SignerVector } from './vector-file.js'

export interface PublishInput {
  readonly topic: string
  /** u64, decimal. */
  readonly seq: string
  /** The origin's clock when it signed, whole milliseconds. */
  readonly timestampMs: number
  /** Not signed: relays lower it. */
  readonly ttl: number
  /** Ids of the recent relays, hex. Not signed: relays append to it. */
  readonly path: readonly string[]
  readonly data: string
}

/** The signer is the origin: origin = signer.peerId, originKey = signer.publicKey. */
export type PublishCase = SignedWireCase<PublishInput>

/** The signed bytes as docs/protocol.md lays them out. */
export function publishLayout(signer: SignerVector, input: PublishInput): Part[] {
  const topic = utf8Hex(input.topic)
  return [
    ['tag', tagHex('wasmesh/relay/publish/v2')],
    ['topic length u16 (UTF-8 bytes)', uintHex(topic.length / 2, 2)],
    ['topic UTF-8', topic],
    ['origin id', signer.peerId],
    ['seq u64', uintHex(BigInt(input.seq), 8)],
    ['timestampMs u64', uintHex(input.timestampMs, 8)],
    ['data', input.data],
  ]
}

export function publishSignedBytes(signer: SignerVector, input: PublishInput): Uint8Array {
  return signedBytes(input.topic, fromHex(signer.peerId), BigInt(input.seq), input.timestampMs, fromHex(input.data))
}

export function publishMessage(signer: SignerVector, input: PublishInput, signature: string): PublishMessage {
  return {
    type: 'publish',
    topic: input.topic,
    origin: fromHex(signer.peerId),
    originKey: fromHex(signer.publicKey),
    seq: BigInt(input.seq),
    timestampMs: input.timestampMs,
    ttl: input.ttl,
    path: input.path.map(fromHex),
    data: fromHex(input.data),
    signature: fromHex(signature),
  }
}

/** The whole case, computed by the library from the signer's seed and the inputs. */
export async function publishCase(name: string, seed: string, input: PublishInput): Promise<PublishCase> {
  const signer = signerVector(seed)
  const signed = await signAndEncode(seed, publishSignedBytes(signer, input), (signature) => publishMessage(signer, input, signature))
  return { name, signer, input, signedParts: publishLayout(signer, input), ...signed }
}

/** What a relay checks of a publish's origin: the key names the origin id, and the signature holds. */
export async function isAuthenticPublish(encoded: Uint8Array): Promise<boolean> {
  const message = decodeMessage(encoded)
  if (message.type !== 'publish' || !keyMatchesPeerId(message.originKey, message.origin)) return false
  return verifySignature(message.originKey, signedBytes(message.topic, message.origin, message.seq, message.timestampMs, message.data), message.signature)
}
