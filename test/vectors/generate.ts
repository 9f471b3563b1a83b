// Writes the known-answer vectors (test/vectors/*.json) from the library as it is now. Run it
// only for a deliberate protocol change, which needs a new domain tag or message type anyway:
// the tests compare the library against the committed files and never regenerate them.
//   node build/run-ts.mjs test/vectors/generate.ts        (from the repository root)

import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { immutableRecordCase } from './dht-immutable-record.js'
import { mutableRecordCase } from './dht-mutable-record.js'
import { directAckCase } from './direct-ack.js'
import { directCase } from './direct.js'
import { publishCase } from './publish.js'
import { ALICE_SEED, BOB_SEED, joinParts, REGENERATE, signerVector, utf8Hex, writeVectorFile, type Part } from './vector-file.js'

const folder = join(process.cwd(), 'test', 'vectors')
if (!existsSync(join(folder, 'generate.ts'))) {
  console.error('run from the repository root: node build/run-ts.mjs test/vectors/generate.ts')
  process.exit(2)
}

const alice = signerVector(ALICE_SEED)
const bob = signerVector(BOB_SEED)

interface Signed {
  readonly name: string
  readonly signedParts?: readonly Part[]
  readonly signedBytes?: string
}

/** Writes one file, refusing to when the library's signed bytes are not the documented layout. */
function write(name: string, about: string, cases: readonly Signed[]): void {
  for (const vector of cases) {
    if (vector.signedParts !== undefined && joinParts(vector.signedParts) !== vector.signedBytes) {
      throw new Error(`${name}, ${vector.name}: the library's signed bytes differ from the documented layout; fix one of them first`)
    }
  }
  writeVectorFile(folder, name, { about, regenerate: REGENERATE, cases })
  console.error(`wrote ${join('test', 'vectors', name)} (${cases.length} cases)`)
}

write('publish.json', 'Relay publish, wire type 0x12: what its origin signs (docs/protocol.md, "Signed bytes"). u64 values are decimal strings, bytes lowercase hex.', [
  // 10 UTF-8 bytes in 9 characters: the length prefix counts bytes. The seq is what a node
  // starting at 1,700,000,000,000 ms gives its first publish (milliseconds << 16).
  await publishCase('a UTF-8 topic, a first seq, a path of two', ALICE_SEED, {
    topic: 'chat/café', seq: '111411200000000000', ttl: 7, path: [alice.peerId, bob.peerId], data: utf8Hex('hello, mesh'),
  }),
  await publishCase('empty data, the largest seq, an empty path', BOB_SEED, {
    topic: 'a', seq: '18446744073709551615', ttl: 1, path: [], data: '',
  }),
])

// A greedy first attempt with the default maxTtl (16) two hops in, and a flooded retry with
// the default floodTtl (3) that has just left its origin.
const directs = [
  await directCase('alice to bob, greedy, first attempt, two hops in', ALICE_SEED, {
    messageIdFields: { sendId: 0x0123_4567_89ab, isFlood: false, attempt: 0, low: 16 }, target: bob.peerId, ttl: 14, data: utf8Hex('ping'),
  }),
  await directCase('bob to alice, flooded retry, empty data', BOB_SEED, {
    messageIdFields: { sendId: 2 ** 48 - 1, isFlood: true, attempt: 1, low: 3 }, target: alice.peerId, ttl: 3, data: '',
  }),
]
write('direct.json', 'Routed direct message, wire type 0x20: its message id and what its origin signs (docs/protocol.md, "Signed bytes"). u64 ids are 0x-prefixed hex, bytes lowercase hex.', directs)

write('direct-ack.json', 'Acknowledgement of a direct message, wire type 0x22: what the target signs (docs/protocol.md, "Signed bytes"). u64 ids are 0x-prefixed hex, bytes lowercase hex.', [
  // Bob acknowledges the first direct vector, which reached him in 3 hops.
  await directAckCase("bob acknowledges alice's greedy message after 3 hops", BOB_SEED, {
    directMessageId: directs[0].messageId, hops: 3, origin: alice.peerId, ttl: 16,
  }),
])

write('dht-mutable-record.json', 'Mutable DHT record, carried by store (0x34) and value (0x33): its key derivation and what its owner signs (docs/protocol.md, "Signed bytes"). u64 values are decimal strings, bytes lowercase hex.', [
  await mutableRecordCase('a UTF-8 user key, seq 1, an hour', ALICE_SEED, {
    userKey: { text: 'profile/zoë' }, value: utf8Hex('{"name":"alice"}'), seq: '1', ttlMs: 3_600_000, requestId: 7,
  }),
  // The top bit of seq set (an unsigned u64) and the largest ttlMs a u32 holds.
  await mutableRecordCase('a binary user key, an empty value, seq 2^63, the largest ttl', BOB_SEED, {
    userKey: { hex: '00ff00ff' }, value: '', seq: '9223372036854775808', ttlMs: 0xffff_ffff, requestId: 0xfedc_ba98,
  }),
])

write('dht-immutable-record.json', 'Immutable DHT record, carried by store (0x34) and value (0x33): nothing is signed, its key is SHA-256 of its value (docs/protocol.md, "Signed bytes"). Bytes lowercase hex.', [
  immutableRecordCase('a day-long value', { value: utf8Hex('hello, immutable world'), ttlMs: 86_400_000, requestId: 0xfedc_ba98 }),
])
