import { describe, expect, it } from 'vitest'
import { buildMutableRecord, checkRecord, mutableKeyOf, mutableSignedPayload, userKeyHashOf } from '../../src/dht/records.js'
import { StoreRejectReason } from '../../src/wire/messages.js'
import { isStorableRecord, keyLayout, mutableRecordLayout, mutableRecordOf, storeMessageOf, userKeyOf, type MutableRecordCase } from './dht-mutable-record.js'
import { acceptedFlips, fromHex, identityOf, itEncodesTo, itPinsTheSignature, joinParts, readVectorFile, sha256Hex, span, toHex, utf8Hex } from './vector-file.js'

const { cases } = readVectorFile<MutableRecordCase>('dht-mutable-record.json')

describe.each(cases)('mutable DHT record vector: $name', (vector) => {
  const { signer, input } = vector
  const userKey = userKeyOf(input.userKey)

  it('the user key hash, the DHT key and the wire value are derived as documented', () => {
    expect(sha256Hex('text' in input.userKey ? utf8Hex(input.userKey.text) : input.userKey.hex)).toBe(vector.userKeyHash)
    expect(toHex(userKeyHashOf(userKey))).toBe(vector.userKeyHash)
    expect(keyLayout(signer, vector.userKeyHash)).toEqual(vector.keyParts)
    expect(sha256Hex(joinParts(vector.keyParts))).toBe(vector.key)
    expect(toHex(mutableKeyOf(fromHex(signer.publicKey), userKey))).toBe(vector.key)
    expect(vector.wireValue).toBe(vector.userKeyHash + input.value)
  })

  itPinsTheSignature(vector, 'mutableSignedPayload()', () => mutableRecordLayout(vector.key, vector.wireValue, input), () =>
    mutableSignedPayload(fromHex(vector.key), BigInt(input.seq), input.signedAtMs, input.ttlMs, fromHex(vector.wireValue)),
  )

  it("buildMutableRecord(), which dht.put uses, makes the vector's record, and a storing node accepts it", async () => {
    const record = await buildMutableRecord(identityOf(signer.seed), userKey, fromHex(input.value), BigInt(input.seq), input.ttlMs, input.signedAtMs)
    expect(record).toEqual(mutableRecordOf(vector))
    expect(await checkRecord(mutableRecordOf(vector), undefined, fromHex(vector.key))).toBe(StoreRejectReason.NONE)
  })

  itEncodesTo(vector, () => storeMessageOf(input.requestId, mutableRecordOf(vector)))

  it('in a store message only the request id can change without the record being refused', async () => {
    // type u8, body length u32, requestId u32, then the record: key, kind, ttlMs, value, publicKey, seq, signedAtMs, signature.
    expect(await acceptedFlips(vector.message, isStorableRecord)).toEqual(span(5, 4))
  })
})
