// Known answers for an immutable DHT record (src/dht/records.ts): nothing is signed, the key is
// SHA-256 of the value, and the store message (wire type 0x34) carries it.

import { buildImmutableRecord } from '../../src/dht/records.js'
import { encodeMessage } from '../../src/wire/codec.js'
import { encodeFrame } from '../../src/wire/frame.js'
import type { ImmutableRecord, StoreMessage } from '../../src/wire/messages.js'
import { fromHex, toHex } from './vector-file.js'

export interface ImmutableRecordInput {
  /** Hex. */
  readonly value: string
  readonly ttlMs: number
  /** The store message's request id; not part of the record. */
  readonly requestId: number
}

export interface ImmutableRecordCase {
  readonly name: string
  readonly input: ImmutableRecordInput
  /** SHA-256 of the value. */
  readonly key: string
  /** encodeMessage of the store message: type 0x34, body length u32, body. */
  readonly message: string
  /** encodeFrame of the message alone. */
  readonly frame: string
}

export function immutableStoreMessage(key: string, input: ImmutableRecordInput): StoreMessage {
  const record: ImmutableRecord = { kind: 'immutable', key: fromHex(key), value: fromHex(input.value), ttlMs: input.ttlMs }
  return { type: 'store', requestId: input.requestId, record }
}

/** The whole case, computed by the library (buildImmutableRecord, as dht.putImmutable does) from the inputs. */
export function immutableRecordCase(name: string, input: ImmutableRecordInput): ImmutableRecordCase {
  const record = buildImmutableRecord(fromHex(input.value), input.ttlMs)
  const message: StoreMessage = { type: 'store', requestId: input.requestId, record }
  return { name, input, key: toHex(record.key), message: toHex(encodeMessage(message)), frame: toHex(encodeFrame([message])) }
}
