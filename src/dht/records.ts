// DHT records: how keys are derived, how a mutable record is signed, and the checks every
// record passes before it is stored or returned (on the storing node and again on get).
// Immutable: key = SHA-256(value). Mutable (BEP 44 style): key = SHA-256(user key), signed by
// the owner's Ed25519 key over (domain tag, key, seq, ttlMs, value); a higher seq wins.

import { sha256 } from '@noble/hashes/sha2.js'
import type { Identity } from '../peers/identity.js'
import { bytesEqual, verifySignature } from '../peers/identity.js'
import type { DhtRecord, ImmutableRecord, MutableRecord } from '../wire/messages.js'
import { StoreRejectReason } from '../wire/messages.js'
import { ID_BYTES, MAX_RECORD_VALUE_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '../wire/limits.js'

/** Verifies an Ed25519 signature; injectable so tests and the simulator can count or replace it. */
export type VerifyFn = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => Promise<boolean>

/** Opens every mutable record's signed payload, so a DHT signature is never valid for another purpose. */
export const MUTABLE_RECORD_TAG = new TextEncoder().encode('wasmesh/dht-mutable-record/1\0')

const U64_MAX = 0xffff_ffff_ffff_ffffn

/** The DHT key of a user key: SHA-256 of its bytes (a string as UTF-8). */
export function dhtKeyOf(userKey: Uint8Array | string): Uint8Array {
  return sha256(typeof userKey === 'string' ? new TextEncoder().encode(userKey) : userKey)
}

/** The key of an immutable value: its SHA-256. */
export function immutableKeyOf(value: Uint8Array): Uint8Array {
  return sha256(value)
}

/** The bytes a mutable record's signature covers: tag, key 32, seq u64, ttlMs u32, value (all big-endian). */
export function mutableSignedPayload(key: Uint8Array, seq: bigint, ttlMs: number, value: Uint8Array): Uint8Array {
  const tag = MUTABLE_RECORD_TAG
  const out = new Uint8Array(tag.length + ID_BYTES + 8 + 4 + value.length)
  out.set(tag, 0)
  out.set(key, tag.length)
  const view = new DataView(out.buffer)
  view.setBigUint64(tag.length + ID_BYTES, seq)
  view.setUint32(tag.length + ID_BYTES + 8, ttlMs)
  out.set(value, tag.length + ID_BYTES + 12)
  return out
}

export function buildImmutableRecord(value: Uint8Array, ttlMs: number): ImmutableRecord {
  return { kind: 'immutable', key: immutableKeyOf(value), value, ttlMs }
}

/** A mutable record for `key` (already a DHT key), signed by `identity`. */
export async function buildMutableRecord(identity: Identity, key: Uint8Array, value: Uint8Array, seq: bigint, ttlMs: number): Promise<MutableRecord> {
  const signature = await identity.sign(mutableSignedPayload(key, seq, ttlMs, value))
  return { kind: 'mutable', key, value, ttlMs, publicKey: identity.publicKey, seq, signature }
}

/**
 * Why `record` must be refused (a StoreRejectReason), or NONE when it is well formed and its
 * key and signature check out. `expectedKey`, when given, is the key it was asked for.
 */
export async function checkRecord(record: DhtRecord, verify: VerifyFn = verifySignature, expectedKey?: Uint8Array): Promise<number> {
  if (record.value.length > MAX_RECORD_VALUE_BYTES) return StoreRejectReason.TOO_LARGE
  if (record.key.length !== ID_BYTES) return StoreRejectReason.KEY_MISMATCH
  if (expectedKey !== undefined && !bytesEqual(record.key, expectedKey)) return StoreRejectReason.KEY_MISMATCH
  if (record.kind === 'immutable') {
    return bytesEqual(immutableKeyOf(record.value), record.key) ? StoreRejectReason.NONE : StoreRejectReason.KEY_MISMATCH
  }
  if (record.publicKey.length !== PUBLIC_KEY_BYTES || record.signature.length !== SIGNATURE_BYTES) return StoreRejectReason.BAD_SIGNATURE
  if (record.seq < 0n || record.seq > U64_MAX) return StoreRejectReason.BAD_SIGNATURE
  const isValid = await verify(record.publicKey, mutableSignedPayload(record.key, record.seq, record.ttlMs, record.value), record.signature)
  return isValid ? StoreRejectReason.NONE : StoreRejectReason.BAD_SIGNATURE
}

/** Bytes a record is charged against quotas: its value plus what a stored record carries besides. */
export function recordCostBytes(record: DhtRecord): number {
  // key 32 + ttl and bookkeeping ~32; a mutable record adds public key 32, signature 64, seq 8.
  return record.value.length + (record.kind === 'mutable' ? 168 : 64)
}

/** Human names of StoreRejectReason codes, for error messages and stats. */
export function rejectReasonName(reason: number): string {
  switch (reason) {
    case StoreRejectReason.NONE: return 'none'
    case StoreRejectReason.QUOTA_EXCEEDED: return 'quota-exceeded'
    case StoreRejectReason.BAD_SIGNATURE: return 'bad-signature'
    case StoreRejectReason.STALE_SEQ: return 'stale-seq'
    case StoreRejectReason.KEY_MISMATCH: return 'key-mismatch'
    case StoreRejectReason.TOO_LARGE: return 'too-large'
    default: return `unknown-${reason}`
  }
}
