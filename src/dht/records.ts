// DHT records: how keys are derived, how a mutable record is signed, and the checks every
// record passes before it is stored or returned (on the storing node and again on get).
// Immutable: key = SHA-256(value).
// Mutable (BEP 44 style, the key bound to its owner):
//   userKeyHash = SHA-256(user key)                       (a string as UTF-8)
//   key         = SHA-256(MUTABLE_KEY_TAG ‖ owner public key (32) ‖ userKeyHash (32))
//   wire value  = userKeyHash (32) ‖ application value     (so at most 16 KiB − 32 of application value)
// signed by the owner's Ed25519 key over (MUTABLE_RECORD_TAG, key, seq, signedAtMs, ttlMs, wire
// value); a higher seq wins. The record lives until signedAtMs + ttlMs, by its owner's word:
// wherever and whenever it is stored, it expires then (an old record fed to a node later is
// as dead as everywhere else), and storers and readers refuse it once that time has passed by
// their own clock, or while signedAtMs is further ahead of it than the clock-skew allowance. The wire DhtRecord has no salt field, so the userKeyHash rides at the front of
// the signed value: every storer (and every reader) recomputes the key from record.publicKey and
// that prefix and refuses a record whose key differs with KEY_MISMATCH. A record under a key can
// therefore only come from that key's owner: nobody can squat another owner's key, and two owners
// using the same user key get two different DHT keys. Readers need the owner's public key to
// derive the key; get() strips the prefix again (mutableValueOf).

import { sha256 } from '@noble/hashes/sha2.js'
import type { Identity } from '../peers/identity.js'
import { bytesEqual, verifySignature } from '../peers/identity.js'
import type { DhtRecord, ImmutableRecord, MutableRecord } from '../wire/messages.js'
import { StoreRejectReason } from '../wire/messages.js'
import { ID_BYTES, MAX_RECORD_VALUE_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '../wire/limits.js'

/** Verifies an Ed25519 signature; injectable so tests and the simulator can count or replace it. */
export type VerifyFn = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => Promise<boolean>

/** Opens every mutable record's signed payload, so a DHT signature is never valid for another purpose. */
export const MUTABLE_RECORD_TAG = new TextEncoder().encode('wasmesh/dht-mutable-record/2\0')

/** Opens the preimage of every mutable record's DHT key (domain separation from other SHA-256 uses). */
export const MUTABLE_KEY_TAG = new TextEncoder().encode('wasmesh/dht/mutable/v1\0')

/** Bytes of the SHA-256 of the user key that open a mutable record's wire value. */
export const USER_KEY_HASH_BYTES = 32

/** The largest application value of a mutable record: the wire limit less the user key hash. */
export const MAX_MUTABLE_VALUE_BYTES = MAX_RECORD_VALUE_BYTES - USER_KEY_HASH_BYTES

const U64_MAX = 0xffff_ffff_ffff_ffffn

/** SHA-256 of a user key's bytes (a string as UTF-8). */
export function userKeyHashOf(userKey: Uint8Array | string): Uint8Array {
  return sha256(typeof userKey === 'string' ? new TextEncoder().encode(userKey) : userKey)
}

/** The DHT key of a mutable record from its owner's public key and its user key hash: SHA-256(tag ‖ publicKey ‖ userKeyHash). */
export function mutableKeyFromHash(publicKey: Uint8Array, userKeyHash: Uint8Array): Uint8Array {
  const tag = MUTABLE_KEY_TAG
  const preimage = new Uint8Array(tag.length + publicKey.length + userKeyHash.length)
  preimage.set(tag, 0)
  preimage.set(publicKey, tag.length)
  preimage.set(userKeyHash, tag.length + publicKey.length)
  return sha256(preimage)
}

/** The DHT key of the mutable record `owner` (a 32-byte Ed25519 public key) puts under `userKey`. */
export function mutableKeyOf(owner: Uint8Array, userKey: Uint8Array | string): Uint8Array {
  return mutableKeyFromHash(owner, userKeyHashOf(userKey))
}

/** The application value of a mutable record: its wire value without the user key hash. */
export function mutableValueOf(record: MutableRecord): Uint8Array {
  return record.value.subarray(USER_KEY_HASH_BYTES)
}

/** The key of an immutable value: its SHA-256. */
export function immutableKeyOf(value: Uint8Array): Uint8Array {
  return sha256(value)
}

/** The bytes a mutable record's signature covers: tag, key 32, seq u64, signedAtMs u64, ttlMs u32, value (all big-endian). */
export function mutableSignedPayload(key: Uint8Array, seq: bigint, signedAtMs: number, ttlMs: number, value: Uint8Array): Uint8Array {
  const tag = MUTABLE_RECORD_TAG
  const out = new Uint8Array(tag.length + ID_BYTES + 8 + 8 + 4 + value.length)
  out.set(tag, 0)
  out.set(key, tag.length)
  const view = new DataView(out.buffer)
  view.setBigUint64(tag.length + ID_BYTES, seq)
  view.setBigUint64(tag.length + ID_BYTES + 8, BigInt(signedAtMs))
  view.setUint32(tag.length + ID_BYTES + 16, ttlMs)
  out.set(value, tag.length + ID_BYTES + 20)
  return out
}

/** When a mutable record stops living, by its owner's signature: signedAtMs + ttlMs. */
export function mutableExpiresAtMs(record: MutableRecord): number {
  return record.signedAtMs + record.ttlMs
}

/** The clock a record is judged by: this node's time, and how far ahead of it an owner's clock may be. */
export interface RecordClock {
  readonly nowMs: number
  readonly maxClockSkewMs: number
}

export function buildImmutableRecord(value: Uint8Array, ttlMs: number): ImmutableRecord {
  return { kind: 'immutable', key: immutableKeyOf(value), value, ttlMs }
}

/**
 * The mutable record `identity` puts under `userKey`: key derived from its public key, wire
 * value = SHA-256(userKey) ‖ `value`, signed at `signedAtMs` (the owner's clock, whole ms).
 */
export function buildMutableRecord(
  identity: Identity, userKey: Uint8Array | string, value: Uint8Array, seq: bigint, ttlMs: number, signedAtMs: number,
): Promise<MutableRecord> {
  const userKeyHash = userKeyHashOf(userKey)
  const wireValue = new Uint8Array(USER_KEY_HASH_BYTES + value.length)
  wireValue.set(userKeyHash, 0)
  wireValue.set(value, USER_KEY_HASH_BYTES)
  return signMutableRecord(identity, mutableKeyFromHash(identity.publicKey, userKeyHash), wireValue, seq, ttlMs, signedAtMs)
}

/** Signs a mutable record with `key` and wire `value` taken as given (no derivation: tests, tools, and republish). */
export async function signMutableRecord(identity: Identity, key: Uint8Array, value: Uint8Array, seq: bigint, ttlMs: number, signedAtMs: number): Promise<MutableRecord> {
  const signature = await identity.sign(mutableSignedPayload(key, seq, signedAtMs, ttlMs, value))
  return { kind: 'mutable', key, value, ttlMs, publicKey: identity.publicKey, seq, signedAtMs, signature }
}

/**
 * Why `record` must be refused (a StoreRejectReason), or NONE when it is well formed and its
 * key and signature check out. `expectedKey`, when given, is the key it was asked for. A
 * mutable record's key must be the one derived from its public key and the user key hash
 * opening its value (KEY_MISMATCH otherwise, checked before the costlier signature). With
 * `clock`, a mutable record whose signed lifetime is over is EXPIRED (signedAtMs + ttlMs at
 * or before nowMs), and one signed more than maxClockSkewMs ahead is FUTURE_TIMESTAMP.
 */
export async function checkRecord(record: DhtRecord, verify: VerifyFn = verifySignature, expectedKey?: Uint8Array, clock?: RecordClock): Promise<number> {
  if (record.value.length > MAX_RECORD_VALUE_BYTES) return StoreRejectReason.TOO_LARGE
  if (record.key.length !== ID_BYTES) return StoreRejectReason.KEY_MISMATCH
  if (expectedKey !== undefined && !bytesEqual(record.key, expectedKey)) return StoreRejectReason.KEY_MISMATCH
  if (record.kind === 'immutable') {
    return bytesEqual(immutableKeyOf(record.value), record.key) ? StoreRejectReason.NONE : StoreRejectReason.KEY_MISMATCH
  }
  if (record.publicKey.length !== PUBLIC_KEY_BYTES || record.signature.length !== SIGNATURE_BYTES) return StoreRejectReason.BAD_SIGNATURE
  if (record.seq < 0n || record.seq > U64_MAX) return StoreRejectReason.BAD_SIGNATURE
  if (!Number.isSafeInteger(record.signedAtMs) || record.signedAtMs < 0) return StoreRejectReason.BAD_SIGNATURE
  if (record.value.length < USER_KEY_HASH_BYTES) return StoreRejectReason.KEY_MISMATCH
  if (!bytesEqual(record.key, mutableKeyFromHash(record.publicKey, record.value.subarray(0, USER_KEY_HASH_BYTES)))) return StoreRejectReason.KEY_MISMATCH
  if (clock !== undefined) {
    if (mutableExpiresAtMs(record) <= clock.nowMs) return StoreRejectReason.EXPIRED
    if (record.signedAtMs - clock.nowMs > clock.maxClockSkewMs) return StoreRejectReason.FUTURE_TIMESTAMP
  }
  const isValid = await verify(record.publicKey, mutableSignedPayload(record.key, record.seq, record.signedAtMs, record.ttlMs, record.value), record.signature)
  return isValid ? StoreRejectReason.NONE : StoreRejectReason.BAD_SIGNATURE
}

/** Bytes a record is charged against quotas: its value plus what a stored record carries besides. */
export function recordCostBytes(record: DhtRecord): number {
  // key 32 + ttl and bookkeeping ~32; a mutable record adds public key 32, signature 64, seq 8, signedAtMs 8.
  return record.value.length + (record.kind === 'mutable' ? 176 : 64)
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
    case StoreRejectReason.EXPIRED: return 'expired'
    case StoreRejectReason.FUTURE_TIMESTAMP: return 'future-timestamp'
    default: return `unknown-${reason}`
  }
}
