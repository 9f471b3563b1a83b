// Known answers for a mutable DHT record (src/dht/records.ts): the user key hash, the DHT key
// derived from owner and user key, the wire value, the bytes the owner signs, the signature,
// and the store message (wire type 0x34) carrying the record (kind 2).

import { buildMutableRecord, checkRecord, mutableSignedPayload } from '../../src/dht/records.js'
import { decodeMessage } from '../../src/wire/codec.js'
import { StoreRejectReason, type MutableRecord, type StoreMessage } from '../../src/wire/messages.js'
import { fromHex, identityOf, signAndEncode, signerVector, tagHex, toHex, uintHex, type Part, type SignedWireCase, type SignerVector } from './vector-file.js'

/** A user key as dht.put takes it: a string (hashed as UTF-8) or bytes (hex here). */
export type UserKeyInput = { readonly text: string } | { readonly hex: string }

export interface MutableRecordInput {
  readonly userKey: UserKeyInput
  /** The application value, hex. */
  readonly value: string
  /** u64, decimal. */
  readonly seq: string
  /** The owner's clock when it signed, whole milliseconds; the record lives until signedAtMs + ttlMs. */
  readonly signedAtMs: number
  readonly ttlMs: number
  /** The store message's request id; not part of the record. */
  readonly requestId: number
}

/** The signer is the record's owner: publicKey = signer.publicKey. */
export interface MutableRecordCase extends SignedWireCase<MutableRecordInput> {
  /** SHA-256 of the user key's bytes. */
  readonly userKeyHash: string
  /** The preimage of the DHT key. */
  readonly keyParts: readonly Part[]
  /** SHA-256 of the key parts. */
  readonly key: string
  /** userKeyHash ‖ value: what the record's value field holds. */
  readonly wireValue: string
}

export function userKeyOf(input: UserKeyInput): string | Uint8Array {
  return 'text' in input ? input.text : fromHex(input.hex)
}

export function keyLayout(signer: SignerVector, userKeyHash: string): Part[] {
  return [
    ['tag', tagHex('wasmesh/dht/mutable/v1')],
    ['owner public key', signer.publicKey],
    ['user key hash', userKeyHash],
  ]
}

/** The signed bytes as docs/protocol.md lays them out. */
export function mutableRecordLayout(key: string, wireValue: string, input: MutableRecordInput): Part[] {
  return [
    ['tag', tagHex('wasmesh/dht-mutable-record/2')],
    ['key', key],
    ['seq u64', uintHex(BigInt(input.seq), 8)],
    ['signedAtMs u64', uintHex(input.signedAtMs, 8)],
    ['ttlMs u32', uintHex(input.ttlMs, 4)],
    ['value (user key hash ‖ application value)', wireValue],
  ]
}

export function mutableRecordOf(vector: MutableRecordCase): MutableRecord {
  const { signer, input } = vector
  return {
    kind: 'mutable', key: fromHex(vector.key), value: fromHex(vector.wireValue), ttlMs: input.ttlMs,
    publicKey: fromHex(signer.publicKey), seq: BigInt(input.seq), signedAtMs: input.signedAtMs, signature: fromHex(vector.signature),
  }
}

export function storeMessageOf(requestId: number, record: MutableRecord): StoreMessage {
  return { type: 'store', requestId, record }
}

/** The whole case, computed by the library (buildMutableRecord, as dht.put does) from the owner's seed and the inputs. */
export async function mutableRecordCase(name: string, seed: string, input: MutableRecordInput): Promise<MutableRecordCase> {
  const signer = signerVector(seed)
  const record = await buildMutableRecord(identityOf(seed), userKeyOf(input.userKey), fromHex(input.value), BigInt(input.seq), input.ttlMs, input.signedAtMs)
  const key = toHex(record.key)
  const wireValue = toHex(record.value)
  const userKeyHash = wireValue.slice(0, 64)
  const signed = await signAndEncode(seed, mutableSignedPayload(record.key, record.seq, record.signedAtMs, record.ttlMs, record.value), () => storeMessageOf(input.requestId, record))
  if (signed.signature !== toHex(record.signature)) throw new Error(`${name}: buildMutableRecord signed other bytes than mutableSignedPayload gives`)
  return {
    name, signer, input, userKeyHash, keyParts: keyLayout(signer, userKeyHash), key, wireValue,
    signedParts: mutableRecordLayout(key, wireValue, input), ...signed,
  }
}

/**
 * What a storing node checks of a record of either kind: well formed, its key the hash of its
 * value (immutable) or derived from its owner and signed by it (mutable).
 */
export async function isStorableRecord(encoded: Uint8Array): Promise<boolean> {
  const message = decodeMessage(encoded)
  return message.type === 'store' && (await checkRecord(message.record)) === StoreRejectReason.NONE
}
