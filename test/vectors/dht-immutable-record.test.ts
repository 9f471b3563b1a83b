import { describe, expect, it } from 'vitest'
import { buildImmutableRecord, checkRecord, immutableKeyOf } from '../../src/dht/records.js'
import { StoreRejectReason } from '../../src/wire/messages.js'
import { isStorableRecord } from './dht-mutable-record.js'
import { immutableStoreMessage, type ImmutableRecordCase } from './dht-immutable-record.js'
import { acceptedFlips, fromHex, itEncodesTo, readVectorFile, sha256Hex, span, toHex } from './vector-file.js'

const { cases } = readVectorFile<ImmutableRecordCase>('dht-immutable-record.json')

describe.each(cases)('immutable DHT record vector: $name', (vector) => {
  const { input } = vector

  it('the key is SHA-256 of the value, and buildImmutableRecord(), which dht.putImmutable uses, makes that record', async () => {
    expect(sha256Hex(input.value)).toBe(vector.key)
    expect(toHex(immutableKeyOf(fromHex(input.value)))).toBe(vector.key)
    const record = buildImmutableRecord(fromHex(input.value), input.ttlMs)
    expect(record).toEqual(immutableStoreMessage(vector.key, input).record)
    expect(await checkRecord(record, undefined, fromHex(vector.key))).toBe(StoreRejectReason.NONE)
  })

  itEncodesTo(vector, () => immutableStoreMessage(vector.key, input))

  it('in a store message only the request id and the ttl can change without the record being refused: nothing signs them', async () => {
    // type u8, body length u32, requestId u32, key 32, kind u8, ttlMs u32, value.
    expect(await acceptedFlips(vector.message, isStorableRecord)).toEqual([...span(5, 4), ...span(5 + 4 + 32 + 1, 4)])
  })
})
