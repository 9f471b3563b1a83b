// One message of every type, with each list holding an entry and each optional part present, so
// every field of the catalogue is on the wire: the fixed inputs of test/wire/message-fields.test.ts.

import type { DhtRecord, MessageOfType, PeerInfo, WireMessageType } from '../../src/wire/messages.js'

const bytes = (length: number, fill: number) => new Uint8Array(length).fill(fill)
const peer: PeerInfo = { id: bytes(32, 1), addresses: ['ws://a'] }
const record: DhtRecord = { kind: 'mutable', key: bytes(32, 2), value: Uint8Array.of(7), ttlMs: 1_000, publicKey: bytes(32, 3), seq: 4n, signedAtMs: 5, signature: bytes(64, 6) }
const routed = { messageId: 9n, origin: bytes(32, 1), target: bytes(32, 2), originKey: bytes(32, 3), timestampMs: 4, ttl: 5, data: Uint8Array.of(6), signature: bytes(64, 7) }

export const SAMPLES: { readonly [T in WireMessageType]: MessageOfType<T> } = {
  hello: { type: 'hello', protocolVersion: 2, minVersion: 1, capabilities: ['blob/1'], publicKey: bytes(32, 1), nonce: bytes(32, 2), listenAddresses: ['ws://a'] },
  auth: { type: 'auth', signature: bytes(64, 1) },
  goodbye: { type: 'goodbye', reason: 3 },
  redirect: { type: 'redirect', peers: [peer] },
  ping: { type: 'ping', requestId: 1 },
  pong: { type: 'pong', requestId: 1 },
  subscribe: { type: 'subscribe', topics: ['chat'] },
  unsubscribe: { type: 'unsubscribe', topics: ['chat'] },
  publish: { type: 'publish', topic: 'chat', origin: bytes(32, 1), originKey: bytes(32, 2), seq: 3n, timestampMs: 4, ttl: 5, path: [bytes(32, 6)], data: Uint8Array.of(7), signature: bytes(64, 8) },
  ihave: { type: 'ihave', refs: [{ origin: bytes(32, 1), seq: 2n }] },
  iwant: { type: 'iwant', refs: [{ origin: bytes(32, 1), seq: 2n }] },
  direct: { type: 'direct', ...routed },
  meshSignal: { type: 'meshSignal', ...routed },
  directAck: { type: 'directAck', messageId: 1n, origin: bytes(32, 1), target: bytes(32, 2), targetKey: bytes(32, 3), ttl: 4, signature: bytes(64, 5) },
  findNode: { type: 'findNode', requestId: 1, target: bytes(32, 1) },
  nodes: { type: 'nodes', requestId: 1, peers: [peer] },
  findValue: { type: 'findValue', requestId: 1, key: bytes(32, 1) },
  value: { type: 'value', requestId: 1, record, peers: [peer] },
  store: { type: 'store', requestId: 1, record },
  storeResult: { type: 'storeResult', requestId: 1, ok: true, reason: 2 },
}
