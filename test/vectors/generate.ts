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
import { handshakeCase } from './handshake-auth.js'
import { identityCase } from './identity.js'
import { publishCase } from './publish.js'
import { ALICE_SEED, BOB_SEED, joinParts, REGENERATE, signerVector, toHex, utf8Hex, writeVectorFile, type Part } from './vector-file.js'

const folder = join(process.cwd(), 'test', 'vectors')
if (!existsSync(join(folder, 'generate.ts'))) {
  console.error('run from the repository root: node build/run-ts.mjs test/vectors/generate.ts')
  process.exit(2)
}

// RFC 8032 section 7.1, tests 1 and 2: the signatures the RFC gives for its messages.
const RFC_TEST_1_SIGNATURE = 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'
const RFC_TEST_2_SIGNATURE = '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'

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

const identities = [
  await identityCase('alice: RFC 8032 test 1, the empty message', ALICE_SEED, ''),
  await identityCase('bob: RFC 8032 test 2, one byte', BOB_SEED, '72'),
]
if (identities[0].signature !== RFC_TEST_1_SIGNATURE || identities[1].signature !== RFC_TEST_2_SIGNATURE) {
  throw new Error("Identity.sign disagrees with RFC 8032's signatures: no vector written")
}
write('identity.json', 'Identities: the Ed25519 keys of RFC 8032 section 7.1 that every vector signs with, their peer ids (SHA-256 of the public key) and exported form (docs/protocol.md, "Signed bytes"). Bytes lowercase hex.', identities)

write('publish.json', 'Relay publish, wire type 0x15: what its origin signs (docs/protocol.md, "Signed bytes"). u64 values are decimal strings, bytes lowercase hex.', [
  // 10 UTF-8 bytes in 9 characters: the length prefix counts bytes. The seq is what a node
  // starting at 1,700,000,000,000 ms gives its first publish (milliseconds << 16), signed 2.5 s later.
  await publishCase('a UTF-8 topic, a first seq, a path of two', ALICE_SEED, {
    topic: 'chat/café', seq: '111411200000000000', timestampMs: 1_700_000_002_500, ttl: 7, path: [alice.peerId, bob.peerId], data: utf8Hex('hello, mesh'),
  }),
  await publishCase('empty data, the largest seq and timestamp, an empty path', BOB_SEED, {
    topic: 'a', seq: '18446744073709551615', timestampMs: Number.MAX_SAFE_INTEGER, ttl: 1, path: [], data: '',
  }),
])

// A greedy first attempt with the default maxTtl (16) two hops in, and a flooded retry with
// the default floodTtl (3) that has just left its origin.
const directs = [
  await directCase('alice to bob, greedy, first attempt, two hops in', ALICE_SEED, {
    messageIdFields: { sendId: 0x0123_4567_89ab, isFlood: false, attempt: 0, low: 16 }, target: bob.peerId, timestampMs: 1_700_000_000_000, ttl: 14, data: utf8Hex('ping'),
  }),
  await directCase('bob to alice, flooded retry, empty data, at time 0', BOB_SEED, {
    messageIdFields: { sendId: 2 ** 48 - 1, isFlood: true, attempt: 1, low: 3 }, target: alice.peerId, timestampMs: 0, ttl: 3, data: '',
  }),
]
write('direct.json', 'Routed direct message, wire type 0x23: its message id and what its origin signs (docs/protocol.md, "Signed bytes"). u64 ids are 0x-prefixed hex, bytes lowercase hex.', directs)

write('direct-ack.json', 'Acknowledgement of a direct message, wire type 0x22: what the target signs (docs/protocol.md, "Signed bytes"). u64 ids are 0x-prefixed hex, bytes lowercase hex.', [
  // Bob acknowledges the first direct vector, which reached him in 3 hops.
  await directAckCase("bob acknowledges alice's greedy message after 3 hops", BOB_SEED, {
    directMessageId: directs[0].messageId, hops: 3, origin: alice.peerId, ttl: 16,
  }),
])

write('dht-mutable-record.json', 'Mutable DHT record (kind 2), carried by store (0x34) and value (0x33): its key derivation and what its owner signs; it lives until signedAtMs + ttlMs (docs/protocol.md, "Signed bytes"). u64 values are decimal strings, bytes lowercase hex.', [
  await mutableRecordCase('a UTF-8 user key, seq 1, an hour', ALICE_SEED, {
    userKey: { text: 'profile/zoë' }, value: utf8Hex('{"name":"alice"}'), seq: '1', signedAtMs: 1_700_000_000_000, ttlMs: 3_600_000, requestId: 7,
  }),
  // The top bit of seq set (an unsigned u64), the largest ttlMs a u32 holds and the largest signedAtMs.
  await mutableRecordCase('a binary user key, an empty value, seq 2^63, the largest ttl and signed time', BOB_SEED, {
    userKey: { hex: '00ff00ff' }, value: '', seq: '9223372036854775808', signedAtMs: Number.MAX_SAFE_INTEGER, ttlMs: 0xffff_ffff, requestId: 0xfedc_ba98,
  }),
])

write('dht-immutable-record.json', 'Immutable DHT record, carried by store (0x34) and value (0x33): nothing is signed, its key is SHA-256 of its value (docs/protocol.md, "Signed bytes"). Bytes lowercase hex.', [
  immutableRecordCase('a day-long value', { value: utf8Hex('hello, immutable world'), ttlMs: 86_400_000, requestId: 0xfedc_ba98 }),
])

// Nonces 00 01 … 1f and ff fe … e0; versions that overlap at 1.
const ascending = Array.from({ length: 32 }, (_, i) => i)
const nonceA = Uint8Array.from(ascending)
const nonceB = Uint8Array.from(ascending, (i) => 0xff - i)
write('handshake-auth.json', 'Handshake, hello (0x01) then auth (0x02) from each side: the canonical hello that is hashed and the transcript each side signs (docs/protocol.md, "Signed bytes"). Bytes lowercase hex.', [
  await handshakeCase(
    'versions 1 and 1-2, capabilities and listen addresses',
    { seed: ALICE_SEED, hello: { protocolVersion: 1, minVersion: 1, capabilities: ['wasmesh:transient'], nonce: toHex(nonceA), listenAddresses: ['memory://alice'] } },
    { seed: BOB_SEED, hello: { protocolVersion: 2, minVersion: 1, capabilities: ['dht', 'relay'], nonce: toHex(nonceB), listenAddresses: ['ws://127.0.0.1:7777'] } },
  ),
  await handshakeCase(
    'no capabilities, no listen addresses',
    { seed: BOB_SEED, hello: { protocolVersion: 1, minVersion: 0, capabilities: [], nonce: toHex(nonceB), listenAddresses: [] } },
    { seed: ALICE_SEED, hello: { protocolVersion: 1, minVersion: 1, capabilities: [], nonce: toHex(nonceA), listenAddresses: [] } },
  ),
])
