// Encodings of the fields messages share (bounded strings, id lists, payloads, peer infos,
// DHT records), each as measure (validate and size), write (trusting measure) and read
// (bounded, from untrusted bytes). Layouts, all integers big-endian:
//   text        u16 length (1..max) + UTF-8
//   text list   count (u8 or u16, capped) + text*
//   capability  u8 length (1..32) + printable ASCII; list: u8 count + capability*
//   id list     u8 count (capped) + 32 bytes*
//   msg refs    u16 count (capped) + (origin 32, seq u64)*
//   payload     u32 length (capped) + bytes
//   peer info   id 32 + addresses (u8 count <= 8 + text*); list: u8 count <= 20 + peer info*
//   timestamp   u64 milliseconds (Unix epoch on the real clock), at most 2**53 - 1
//   record      key 32, kind u8 (0 immutable, 2 mutable), ttlMs u32, value payload,
//               then for mutable only: publicKey 32, seq u64, signedAtMs timestamp, signature 64
//               (kind 1 was the mutable record of the first layout, without signedAtMs: retired)

import { WireError } from './errors.js'
import {
  ID_BYTES,
  MAX_ADDRESS_BYTES,
  MAX_ADDRESSES_PER_PEER,
  MAX_CAPABILITIES,
  MAX_CAPABILITY_BYTES,
  MAX_PEERS_PER_REPLY,
  MAX_RECORD_VALUE_BYTES,
  MESSAGE_REF_BYTES,
  PUBLIC_KEY_BYTES,
  SIGNATURE_BYTES,
} from './limits.js'
import type { DhtRecord, MessageRef, PeerInfo } from './messages.js'
import type { WireReader } from './reader.js'
import { utf8Length, type WireWriter } from './writer.js'
import { describeValue } from '../util/validate.js'

const U64_MAX = 0xffff_ffff_ffff_ffffn

// ---------------------------------------------------------------------------------------
// Encode-side checks: a message that would not decode is refused when it is encoded, where
// the bug is, rather than by the peer.

function badField(field: string, expected: string, value: unknown): WireError {
  return new WireError('WIRE_BAD_FIELD', `${field} must be ${expected}, got ${describeValue(value)}`)
}

export function checkUint(field: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw badField(field, `an integer from 0 to ${max}`, value)
}

export function checkU64(field: string, value: bigint): void {
  if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) throw badField(field, 'a bigint from 0n to 2n ** 64n - 1n', value)
}

/** The largest timestamp: milliseconds stay exact numbers (2**53 ms is the year 287,396). */
export const MAX_TIMESTAMP_MS = Number.MAX_SAFE_INTEGER

export function checkTimestamp(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw badField(field, `an integer number of milliseconds from 0 to ${MAX_TIMESTAMP_MS}`, value)
}

export function writeTimestamp(writer: WireWriter, value: number): void {
  writer.u64(BigInt(value))
}

export function readTimestamp(reader: WireReader, field: string): number {
  const value = reader.u64(field)
  if (value > BigInt(MAX_TIMESTAMP_MS)) throw new WireError('WIRE_BAD_FIELD', `${field} must be at most ${MAX_TIMESTAMP_MS} ms, got ${value}`)
  return Number(value)
}

export function checkFixed(field: string, value: Uint8Array, length: number): void {
  if (!(value instanceof Uint8Array) || value.length !== length) throw badField(field, `a Uint8Array of ${length} bytes`, value)
}

export function checkBool(field: string, value: boolean): void {
  if (typeof value !== 'boolean') throw badField(field, 'a boolean', value)
}

function checkCount(field: string, list: readonly unknown[], max: number): void {
  if (!Array.isArray(list)) throw badField(field, 'an array', list)
  if (list.length > max) throw new WireError('WIRE_COUNT_EXCEEDED', `${field} has ${list.length} entries, at most ${max} allowed`)
}

// ---------------------------------------------------------------------------------------
// text: u16 length + UTF-8

export function measureText(field: string, text: string, maxBytes: number): number {
  if (typeof text !== 'string') throw badField(field, 'a string', text)
  // UTF-8 is never shorter than UTF-16 code units: a long string fails before it is scanned.
  if (text.length > maxBytes) throw badField(field, `1 to ${maxBytes} bytes of UTF-8`, `${text.length} code units`)
  const length = utf8Length(text, field)
  if (length < 1 || length > maxBytes) throw badField(field, `1 to ${maxBytes} bytes of UTF-8`, `${length} bytes`)
  return 2 + length
}

export function writeText(writer: WireWriter, text: string): void {
  const length = utf8Length(text, 'text')
  writer.u16(length)
  writer.utf8(text, length)
}

export function readText(reader: WireReader, maxBytes: number, field: string): string {
  const length = reader.u16(field)
  if (length < 1 || length > maxBytes) throw new WireError('WIRE_BAD_FIELD', `${field} must be 1 to ${maxBytes} bytes, got ${length}`)
  return reader.utf8(length, field)
}

// text list: count (u8 or u16) + text*

export function measureTextList(field: string, list: readonly string[], width: 1 | 2, maxCount: number, maxBytes: number): number {
  checkCount(field, list, maxCount)
  let size = width
  for (const text of list) size += measureText(field, text, maxBytes)
  return size
}

export function writeTextList(writer: WireWriter, list: readonly string[], width: 1 | 2): void {
  if (width === 1) writer.u8(list.length)
  else writer.u16(list.length)
  for (const text of list) writeText(writer, text)
}

export function readTextList(reader: WireReader, width: 1 | 2, maxCount: number, maxBytes: number, field: string): string[] {
  const count = reader.count(width, maxCount, 3, field)
  const list = new Array<string>(count)
  for (let i = 0; i < count; i++) list[i] = readText(reader, maxBytes, field)
  return list
}

// capabilities: u8 count + (u8 length + printable ASCII)*

export function measureCapabilities(field: string, list: readonly string[]): number {
  checkCount(field, list, MAX_CAPABILITIES)
  let size = 1
  for (const name of list) {
    if (typeof name !== 'string' || !/^[\x21-\x7e]{1,32}$/.test(name)) {
      throw badField(field, `1 to ${MAX_CAPABILITY_BYTES} printable ASCII characters`, name)
    }
    size += 1 + name.length
  }
  return size
}

export function writeCapabilities(writer: WireWriter, list: readonly string[]): void {
  writer.u8(list.length)
  for (const name of list) {
    writer.u8(name.length)
    writer.utf8(name, name.length)
  }
}

export function readCapabilities(reader: WireReader, field: string): string[] {
  const count = reader.count(1, MAX_CAPABILITIES, 2, field)
  const list = new Array<string>(count)
  for (let i = 0; i < count; i++) {
    const length = reader.u8(field)
    if (length < 1 || length > MAX_CAPABILITY_BYTES) {
      throw new WireError('WIRE_BAD_FIELD', `${field} must be 1 to ${MAX_CAPABILITY_BYTES} bytes, got ${length}`)
    }
    list[i] = reader.printableAscii(length, field)
  }
  return list
}

// id list: u8 count + 32 bytes*

export function measureIdList(field: string, list: readonly Uint8Array[], maxCount: number): number {
  checkCount(field, list, maxCount)
  for (const id of list) checkFixed(field, id, ID_BYTES)
  return 1 + ID_BYTES * list.length
}

export function writeIdList(writer: WireWriter, list: readonly Uint8Array[]): void {
  writer.u8(list.length)
  for (const id of list) writer.bytesRaw(id)
}

export function readIdList(reader: WireReader, maxCount: number, field: string): Uint8Array[] {
  const count = reader.count(1, maxCount, ID_BYTES, field)
  const list = new Array<Uint8Array>(count)
  for (let i = 0; i < count; i++) list[i] = reader.bytesCopy(ID_BYTES, field)
  return list
}

// message refs: u16 count + (origin 32, seq u64)*

export function measureMessageRefs(field: string, list: readonly MessageRef[], maxCount: number): number {
  checkCount(field, list, maxCount)
  for (const ref of list) {
    if (typeof ref !== 'object' || ref === null) throw badField(field, 'an { origin, seq } object', ref)
    checkFixed(field, ref.origin, ID_BYTES)
    checkU64(field, ref.seq)
  }
  return 2 + MESSAGE_REF_BYTES * list.length
}

export function writeMessageRefs(writer: WireWriter, list: readonly MessageRef[]): void {
  writer.u16(list.length)
  for (const ref of list) {
    writer.bytesRaw(ref.origin)
    writer.u64(ref.seq)
  }
}

export function readMessageRefs(reader: WireReader, maxCount: number, field: string): MessageRef[] {
  // The count is checked against its cap, the entry budget and the bytes left before any ref is read.
  const count = reader.count(2, maxCount, MESSAGE_REF_BYTES, field)
  const list = new Array<MessageRef>(count)
  for (let i = 0; i < count; i++) list[i] = { origin: reader.bytesCopy(ID_BYTES, field), seq: reader.u64(field) }
  return list
}

// payload: u32 length + bytes

export function measurePayload(field: string, data: Uint8Array, maxBytes: number): number {
  if (!(data instanceof Uint8Array)) throw badField(field, 'a Uint8Array', data)
  if (data.length > maxBytes) throw new WireError('WIRE_TOO_LARGE', `${field} is ${data.length} bytes, at most ${maxBytes} allowed`)
  return 4 + data.length
}

export function writePayload(writer: WireWriter, data: Uint8Array): void {
  writer.u32(data.length)
  writer.bytesRaw(data)
}

export function readPayload(reader: WireReader, maxBytes: number, field: string): Uint8Array {
  const length = reader.u32(field)
  if (length > maxBytes) throw new WireError('WIRE_TOO_LARGE', `${field} declares ${length} bytes, at most ${maxBytes} allowed`)
  return reader.bytesCopy(length, field)
}

// peer infos: u8 count + (id 32 + u8 count + text*)*

export function measurePeers(field: string, peers: readonly PeerInfo[]): number {
  checkCount(field, peers, MAX_PEERS_PER_REPLY)
  let size = 1
  for (const peer of peers) {
    if (typeof peer !== 'object' || peer === null) throw badField(field, 'a list of { id, addresses }', peer)
    checkFixed(`${field}.id`, peer.id, ID_BYTES)
    size += ID_BYTES + measureTextList(`${field}.addresses`, peer.addresses, 1, MAX_ADDRESSES_PER_PEER, MAX_ADDRESS_BYTES)
  }
  return size
}

export function writePeers(writer: WireWriter, peers: readonly PeerInfo[]): void {
  writer.u8(peers.length)
  for (const peer of peers) {
    writer.bytesRaw(peer.id)
    writeTextList(writer, peer.addresses, 1)
  }
}

export function readPeers(reader: WireReader, field: string): PeerInfo[] {
  const count = reader.count(1, MAX_PEERS_PER_REPLY, ID_BYTES + 1, field)
  const peers = new Array<PeerInfo>(count)
  for (let i = 0; i < count; i++) {
    const id = reader.bytesCopy(ID_BYTES, `${field}.id`)
    const addresses = readTextList(reader, 1, MAX_ADDRESSES_PER_PEER, MAX_ADDRESS_BYTES, `${field}.addresses`)
    peers[i] = { id, addresses }
  }
  return peers
}

/** Repeated-field entries of a peer list, as counted against a frame's entry budget. */
export function peerEntries(peers: readonly PeerInfo[]): number {
  let entries = peers.length
  for (const peer of peers) entries += peer.addresses.length
  return entries
}

// DHT records

/** Record kinds on the wire; 1 (the mutable record without signedAtMs) is retired, never to be reused. */
const RECORD_KIND = { immutable: 0, mutable: 2 } as const

export function measureRecord(field: string, record: DhtRecord): number {
  if (typeof record !== 'object' || record === null) throw badField(field, 'a DHT record', record)
  checkFixed(`${field}.key`, record.key, ID_BYTES)
  checkUint(`${field}.ttlMs`, record.ttlMs, 0xffff_ffff)
  let size = ID_BYTES + 1 + 4 + measurePayload(`${field}.value`, record.value, MAX_RECORD_VALUE_BYTES)
  if (record.kind === 'mutable') {
    checkFixed(`${field}.publicKey`, record.publicKey, PUBLIC_KEY_BYTES)
    checkU64(`${field}.seq`, record.seq)
    checkTimestamp(`${field}.signedAtMs`, record.signedAtMs)
    checkFixed(`${field}.signature`, record.signature, SIGNATURE_BYTES)
    size += PUBLIC_KEY_BYTES + 8 + 8 + SIGNATURE_BYTES
  } else if (record.kind !== 'immutable') {
    throw badField(`${field}.kind`, "'immutable' or 'mutable'", (record as { kind: unknown }).kind)
  }
  return size
}

export function writeRecord(writer: WireWriter, record: DhtRecord): void {
  writer.bytesRaw(record.key)
  writer.u8(RECORD_KIND[record.kind])
  writer.u32(record.ttlMs)
  writePayload(writer, record.value)
  if (record.kind === 'mutable') {
    writer.bytesRaw(record.publicKey)
    writer.u64(record.seq)
    writeTimestamp(writer, record.signedAtMs)
    writer.bytesRaw(record.signature)
  }
}

export function readRecord(reader: WireReader, field: string): DhtRecord {
  const key = reader.bytesCopy(ID_BYTES, `${field}.key`)
  const kind = reader.u8(`${field}.kind`)
  if (kind !== RECORD_KIND.immutable && kind !== RECORD_KIND.mutable) {
    throw new WireError('WIRE_BAD_FIELD', `${field}.kind must be 0 (immutable) or 2 (mutable; 1 is retired), got ${kind}`)
  }
  const ttlMs = reader.u32(`${field}.ttlMs`)
  const value = readPayload(reader, MAX_RECORD_VALUE_BYTES, `${field}.value`)
  if (kind === RECORD_KIND.immutable) return { kind: 'immutable', key, value, ttlMs }
  const publicKey = reader.bytesCopy(PUBLIC_KEY_BYTES, `${field}.publicKey`)
  const seq = reader.u64(`${field}.seq`)
  const signedAtMs = readTimestamp(reader, `${field}.signedAtMs`)
  const signature = reader.bytesCopy(SIGNATURE_BYTES, `${field}.signature`)
  return { kind: 'mutable', key, value, ttlMs, publicKey, seq, signedAtMs, signature }
}
