// fast-check arbitraries for every wire message, spanning each field's whole range and
// hitting its bounds (empty and full lists, max-length strings, 0 and 2**64 - 1).

import fc from 'fast-check'
import {
  MAX_ADDRESS_BYTES,
  MAX_ADDRESSES_PER_PEER,
  MAX_CAPABILITIES,
  MAX_MESSAGE_REFS,
  MAX_PATH_ENTRIES,
  MAX_PEERS_PER_REPLY,
  MAX_RECORD_VALUE_BYTES,
  MAX_SUBSCRIPTIONS_PER_MESSAGE,
  MAX_TOPIC_BYTES,
} from '../../src/wire/limits.js'
import type { DhtRecord, MessageOfType, PeerInfo, WireMessage, WireMessageType } from '../../src/wire/messages.js'

const utf8 = new TextEncoder()

export const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length })
export const id = bytes(32)
export const signature = bytes(64)
export const u8 = fc.integer({ min: 0, max: 0xff })
export const u16 = fc.integer({ min: 0, max: 0xffff })
export const u32 = fc.oneof(
  fc.constantFrom(0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff),
  fc.tuple(u16, u16).map(([high, low]) => high * 0x1_0000 + low),
)
export const u64 = fc.oneof(fc.constantFrom(0n, 2n ** 63n, 2n ** 64n - 1n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))
/** Millisecond timestamps: 0 to 2**53 - 1, the edges included. */
export const timestamp = fc.oneof(fc.constantFrom(0, 1_700_000_000_000, Number.MAX_SAFE_INTEGER), fc.maxSafeNat())
export const payload = (maxLength: number) => fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength }))

/** 1 to maxBytes bytes of UTF-8: ASCII, any code point (BOM and 4-byte ones included), or exactly maxBytes. */
export const text = (maxBytes: number) =>
  fc.oneof(
    fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: Math.min(maxBytes, 40) }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: Math.floor(maxBytes / 4) }),
    fc.constantFrom('\uFEFFbom', '\u{1F600}', 'é'.repeat(maxBytes / 2), 'x'.repeat(maxBytes)),
  ).filter((s) => {
    const length = utf8.encode(s).length
    return length >= 1 && length <= maxBytes
  })

export const capability = fc.stringMatching(/^[\x21-\x7e]{1,32}$/)
const address = text(MAX_ADDRESS_BYTES)
const addresses = fc.array(address, { maxLength: MAX_ADDRESSES_PER_PEER })
export const topic = text(MAX_TOPIC_BYTES)

export const messageRef = fc.record({ origin: id, seq: u64 })
/** Empty, a few, or up to the cap (the full list is reached by the constant's length). */
export const messageRefs = fc.oneof(
  fc.array(messageRef, { maxLength: 4 }),
  fc.array(messageRef, { maxLength: MAX_MESSAGE_REFS }),
  fc.constant(Array.from({ length: MAX_MESSAGE_REFS }, (_, i) => ({ origin: new Uint8Array(32).fill(i & 0xff), seq: BigInt(i) }))),
)

export const peerInfo: fc.Arbitrary<PeerInfo> = fc.record({ id, addresses })
export const peers = fc.array(peerInfo, { maxLength: MAX_PEERS_PER_REPLY })

export const record: fc.Arbitrary<DhtRecord> = fc.oneof(
  fc.record({ kind: fc.constant('immutable' as const), key: id, value: payload(MAX_RECORD_VALUE_BYTES), ttlMs: u32 }),
  fc.record({
    kind: fc.constant('mutable' as const),
    key: id,
    value: payload(MAX_RECORD_VALUE_BYTES),
    ttlMs: u32,
    publicKey: id,
    seq: u64,
    signedAtMs: timestamp,
    signature,
  }),
)

export const messageArbitraries: { [T in WireMessageType]: fc.Arbitrary<MessageOfType<T>> } = {
  hello: fc.record({
    type: fc.constant('hello'),
    protocolVersion: u16,
    minVersion: u16,
    capabilities: fc.array(capability, { maxLength: MAX_CAPABILITIES }),
    publicKey: id,
    nonce: id,
    listenAddresses: addresses,
  }),
  auth: fc.record({ type: fc.constant('auth'), signature }),
  goodbye: fc.record({ type: fc.constant('goodbye'), reason: u8 }),
  redirect: fc.record({ type: fc.constant('redirect'), peers }),
  ping: fc.record({ type: fc.constant('ping'), requestId: u32 }),
  pong: fc.record({ type: fc.constant('pong'), requestId: u32 }),
  subscribe: fc.record({ type: fc.constant('subscribe'), topics: fc.array(topic, { maxLength: MAX_SUBSCRIPTIONS_PER_MESSAGE }) }),
  unsubscribe: fc.record({ type: fc.constant('unsubscribe'), topics: fc.array(topic, { maxLength: 8 }) }),
  publish: fc.record({
    type: fc.constant('publish'),
    topic,
    origin: id,
    originKey: id,
    seq: u64,
    timestampMs: timestamp,
    ttl: u8,
    path: fc.array(id, { maxLength: MAX_PATH_ENTRIES }),
    data: payload(4_096),
    signature,
  }),
  ihave: fc.record({ type: fc.constant('ihave'), refs: messageRefs }),
  iwant: fc.record({ type: fc.constant('iwant'), refs: messageRefs }),
  direct: fc.record({ type: fc.constant('direct'), messageId: u64, origin: id, target: id, originKey: id, timestampMs: timestamp, ttl: u8, data: payload(4_096), signature }),
  meshSignal: fc.record({ type: fc.constant('meshSignal'), messageId: u64, origin: id, target: id, originKey: id, timestampMs: timestamp, ttl: u8, data: payload(4_096), signature }),
  directAck: fc.record({ type: fc.constant('directAck'), messageId: u64, origin: id, target: id, targetKey: id, ttl: u8, signature }),
  findNode: fc.record({ type: fc.constant('findNode'), requestId: u32, target: id }),
  nodes: fc.record({ type: fc.constant('nodes'), requestId: u32, peers }),
  findValue: fc.record({ type: fc.constant('findValue'), requestId: u32, key: id }),
  value: fc.oneof(
    fc.record({ type: fc.constant('value'), requestId: u32, peers }),
    fc.record({ type: fc.constant('value'), requestId: u32, record, peers }),
  ),
  store: fc.record({ type: fc.constant('store'), requestId: u32, record }),
  storeResult: fc.record({ type: fc.constant('storeResult'), requestId: u32, ok: fc.boolean(), reason: u8 }),
}

export const anyMessage: fc.Arbitrary<WireMessage> = fc.oneof(...Object.values(messageArbitraries) as fc.Arbitrary<WireMessage>[])

/** Small messages, so that frames of many stay small enough to mutate exhaustively. */
export const smallMessage: fc.Arbitrary<WireMessage> = fc.oneof(
  messageArbitraries.ping,
  messageArbitraries.goodbye,
  messageArbitraries.findNode,
  messageArbitraries.directAck,
  messageArbitraries.storeResult,
  fc.record({ type: fc.constantFrom('ihave' as const, 'iwant' as const), refs: fc.array(messageRef, { maxLength: 2 }) }),
  fc.record({ type: fc.constant('subscribe' as const), topics: fc.array(fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }), { maxLength: 3 }) }),
  fc.record({ type: fc.constant('nodes' as const), requestId: u32, peers: fc.array(fc.record({ id, addresses: fc.array(fc.constantFrom('ws://a', 'memory://é'), { maxLength: 2 }) }), { maxLength: 2 }) }),
  fc.record({
    type: fc.constant('publish' as const),
    topic: fc.constantFrom('t', 'chat', '\u{1F600}'),
    origin: id,
    originKey: id,
    seq: u64,
    timestampMs: timestamp,
    ttl: u8,
    path: fc.array(id, { maxLength: 2 }),
    data: fc.uint8Array({ maxLength: 16 }),
    signature,
  }),
  fc.record({ type: fc.constant('store' as const), requestId: u32, record: record.map((r) => ({ ...r, value: r.value.subarray(0, 8) })) }),
)
