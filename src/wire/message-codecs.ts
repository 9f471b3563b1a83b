// The body layout of each message type, as one codec per type: measure (validate every
// field and return the body size), write (trusting measure), read (bounded, from untrusted
// bytes) and entries (repeated-field entries, counted against a frame's entry budget).
// Body layouts, all integers big-endian (field encodings in fields.ts):
//   hello        protocolVersion u16, minVersion u16, capabilities, publicKey 32, nonce 32,
//                listenAddresses (u8 count <= 8 + text <= 256)
//   auth         signature 64
//   goodbye      reason u8
//   redirect     peers
//   ping, pong   requestId u32
//   subscribe,   topics (u16 count <= 256 + text <= 256)
//   unsubscribe
//   publish      topic text <= 256, origin 32, originKey 32, seq u64, timestampMs u64, ttl u8,
//                path (u8 count <= 8 + 32*), data payload, signature 64
//   ihave, iwant refs (u16 count <= 256 + (origin 32, seq u64)*)
//   direct,      messageId u64, origin 32, target 32, originKey 32, timestampMs u64, ttl u8,
//   meshSignal   data payload, signature 64
//   directAck    messageId u64, origin 32, target 32, targetKey 32, ttl u8, signature 64
//   findNode     requestId u32, target 32
//   nodes        requestId u32, peers
//   findValue    requestId u32, key 32
//   value        requestId u32, hasRecord u8 (0 or 1), record if hasRecord, peers
//   store        requestId u32, record
//   storeResult  requestId u32, ok u8 (0 or 1), reason u8

import {
  checkBool,
  checkFixed,
  checkTimestamp,
  checkU64,
  checkUint,
  measureCapabilities,
  measureIdList,
  measureMessageRefs,
  measurePayload,
  measurePeers,
  measureRecord,
  measureText,
  measureTextList,
  peerEntries,
  readCapabilities,
  readIdList,
  readMessageRefs,
  readPayload,
  readPeers,
  readRecord,
  readText,
  readTextList,
  readTimestamp,
  writeCapabilities,
  writeIdList,
  writeMessageRefs,
  writePayload,
  writePeers,
  writeRecord,
  writeText,
  writeTextList,
  writeTimestamp,
} from './fields.js'
import {
  ID_BYTES,
  MAX_ADDRESS_BYTES,
  MAX_ADDRESSES_PER_PEER,
  MAX_DATA_BYTES,
  MAX_MESSAGE_REFS,
  MAX_PATH_ENTRIES,
  MAX_SUBSCRIPTIONS_PER_MESSAGE,
  MAX_TOPIC_BYTES,
  NONCE_BYTES,
  PUBLIC_KEY_BYTES,
  SIGNATURE_BYTES,
} from './limits.js'
import type { DirectMessage, MessageOfType, MessageRef, WireMessageType } from './messages.js'
import type { WireReader } from './reader.js'
import type { WireWriter } from './writer.js'

export interface BodyCodec<M> {
  measure(message: M): number
  write(writer: WireWriter, message: M): void
  read(reader: WireReader): M
  entries(message: M): number
}

const none = (): number => 0

function requestOnly<T extends 'ping' | 'pong'>(type: T): BodyCodec<{ readonly type: T; readonly requestId: number }> {
  return {
    measure(m) {
      checkUint('requestId', m.requestId, 0xffff_ffff)
      return 4
    },
    write: (w, m) => w.u32(m.requestId),
    read: (r) => ({ type, requestId: r.u32('requestId') }),
    entries: none,
  }
}

function topicList<T extends 'subscribe' | 'unsubscribe'>(type: T): BodyCodec<{ readonly type: T; readonly topics: readonly string[] }> {
  return {
    measure: (m) => measureTextList('topics', m.topics, 2, MAX_SUBSCRIPTIONS_PER_MESSAGE, MAX_TOPIC_BYTES),
    write: (w, m) => writeTextList(w, m.topics, 2),
    read: (r) => ({ type, topics: readTextList(r, 2, MAX_SUBSCRIPTIONS_PER_MESSAGE, MAX_TOPIC_BYTES, 'topics') }),
    entries: (m) => m.topics.length,
  }
}

function refList<T extends 'ihave' | 'iwant'>(type: T): BodyCodec<{ readonly type: T; readonly refs: readonly MessageRef[] }> {
  return {
    measure: (m) => measureMessageRefs('refs', m.refs, MAX_MESSAGE_REFS),
    write: (w, m) => writeMessageRefs(w, m.refs),
    read: (r) => ({ type, refs: readMessageRefs(r, MAX_MESSAGE_REFS, 'refs') }),
    entries: (m) => m.refs.length,
  }
}

/** The codec of every message type, keyed by `type`. */
/** A routed message of the direct layout: the application's (direct) or the node's own (meshSignal). */
function routedCodec<T extends 'direct' | 'meshSignal'>(type: T): BodyCodec<Omit<DirectMessage, 'type'> & { readonly type: T }> {
  return {
    measure(m) {
      checkU64('messageId', m.messageId)
      checkFixed('origin', m.origin, ID_BYTES)
      checkFixed('target', m.target, ID_BYTES)
      checkFixed('originKey', m.originKey, PUBLIC_KEY_BYTES)
      checkTimestamp('timestampMs', m.timestampMs)
      checkUint('ttl', m.ttl, 0xff)
      checkFixed('signature', m.signature, SIGNATURE_BYTES)
      return 8 + 2 * ID_BYTES + PUBLIC_KEY_BYTES + 8 + 1 + measurePayload('data', m.data, MAX_DATA_BYTES) + SIGNATURE_BYTES
    },
    write(w, m) {
      w.u64(m.messageId)
      w.bytesRaw(m.origin)
      w.bytesRaw(m.target)
      w.bytesRaw(m.originKey)
      writeTimestamp(w, m.timestampMs)
      w.u8(m.ttl)
      writePayload(w, m.data)
      w.bytesRaw(m.signature)
    },
    read: (r) => ({
      type,
      messageId: r.u64('messageId'),
      origin: r.bytesCopy(ID_BYTES, 'origin'),
      target: r.bytesCopy(ID_BYTES, 'target'),
      originKey: r.bytesCopy(PUBLIC_KEY_BYTES, 'originKey'),
      timestampMs: readTimestamp(r, 'timestampMs'),
      ttl: r.u8('ttl'),
      data: readPayload(r, MAX_DATA_BYTES, 'data'),
      signature: r.bytesCopy(SIGNATURE_BYTES, 'signature'),
    }),
    entries: none,
  }
}

export const BODY_CODECS: { readonly [T in WireMessageType]: BodyCodec<MessageOfType<T>> } = {
  hello: {
    measure(m) {
      checkUint('protocolVersion', m.protocolVersion, 0xffff)
      checkUint('minVersion', m.minVersion, 0xffff)
      checkFixed('publicKey', m.publicKey, PUBLIC_KEY_BYTES)
      checkFixed('nonce', m.nonce, NONCE_BYTES)
      return 4 + measureCapabilities('capabilities', m.capabilities) + PUBLIC_KEY_BYTES + NONCE_BYTES +
        measureTextList('listenAddresses', m.listenAddresses, 1, MAX_ADDRESSES_PER_PEER, MAX_ADDRESS_BYTES)
    },
    write(w, m) {
      w.u16(m.protocolVersion)
      w.u16(m.minVersion)
      writeCapabilities(w, m.capabilities)
      w.bytesRaw(m.publicKey)
      w.bytesRaw(m.nonce)
      writeTextList(w, m.listenAddresses, 1)
    },
    read: (r) => ({
      type: 'hello',
      protocolVersion: r.u16('protocolVersion'),
      minVersion: r.u16('minVersion'),
      capabilities: readCapabilities(r, 'capabilities'),
      publicKey: r.bytesCopy(PUBLIC_KEY_BYTES, 'publicKey'),
      nonce: r.bytesCopy(NONCE_BYTES, 'nonce'),
      listenAddresses: readTextList(r, 1, MAX_ADDRESSES_PER_PEER, MAX_ADDRESS_BYTES, 'listenAddresses'),
    }),
    entries: (m) => m.capabilities.length + m.listenAddresses.length,
  },

  auth: {
    measure(m) {
      checkFixed('signature', m.signature, SIGNATURE_BYTES)
      return SIGNATURE_BYTES
    },
    write: (w, m) => w.bytesRaw(m.signature),
    read: (r) => ({ type: 'auth', signature: r.bytesCopy(SIGNATURE_BYTES, 'signature') }),
    entries: none,
  },

  goodbye: {
    measure(m) {
      checkUint('reason', m.reason, 0xff)
      return 1
    },
    write: (w, m) => w.u8(m.reason),
    read: (r) => ({ type: 'goodbye', reason: r.u8('reason') }),
    entries: none,
  },

  redirect: {
    measure: (m) => measurePeers('peers', m.peers),
    write: (w, m) => writePeers(w, m.peers),
    read: (r) => ({ type: 'redirect', peers: readPeers(r, 'peers') }),
    entries: (m) => peerEntries(m.peers),
  },

  ping: requestOnly('ping'),
  pong: requestOnly('pong'),
  subscribe: topicList('subscribe'),
  unsubscribe: topicList('unsubscribe'),

  publish: {
    measure(m) {
      checkFixed('origin', m.origin, ID_BYTES)
      checkFixed('originKey', m.originKey, PUBLIC_KEY_BYTES)
      checkU64('seq', m.seq)
      checkTimestamp('timestampMs', m.timestampMs)
      checkUint('ttl', m.ttl, 0xff)
      checkFixed('signature', m.signature, SIGNATURE_BYTES)
      return measureText('topic', m.topic, MAX_TOPIC_BYTES) + ID_BYTES + PUBLIC_KEY_BYTES + 8 + 8 + 1 + measureIdList('path', m.path, MAX_PATH_ENTRIES) +
        measurePayload('data', m.data, MAX_DATA_BYTES) + SIGNATURE_BYTES
    },
    write(w, m) {
      writeText(w, m.topic)
      w.bytesRaw(m.origin)
      w.bytesRaw(m.originKey)
      w.u64(m.seq)
      writeTimestamp(w, m.timestampMs)
      w.u8(m.ttl)
      writeIdList(w, m.path)
      writePayload(w, m.data)
      w.bytesRaw(m.signature)
    },
    read: (r) => ({
      type: 'publish',
      topic: readText(r, MAX_TOPIC_BYTES, 'topic'),
      origin: r.bytesCopy(ID_BYTES, 'origin'),
      originKey: r.bytesCopy(PUBLIC_KEY_BYTES, 'originKey'),
      seq: r.u64('seq'),
      timestampMs: readTimestamp(r, 'timestampMs'),
      ttl: r.u8('ttl'),
      path: readIdList(r, MAX_PATH_ENTRIES, 'path'),
      data: readPayload(r, MAX_DATA_BYTES, 'data'),
      signature: r.bytesCopy(SIGNATURE_BYTES, 'signature'),
    }),
    entries: (m) => m.path.length,
  },

  ihave: refList('ihave'),
  iwant: refList('iwant'),

  direct: routedCodec('direct'),
  meshSignal: routedCodec('meshSignal'),

  directAck: {
    measure(m) {
      checkU64('messageId', m.messageId)
      checkFixed('origin', m.origin, ID_BYTES)
      checkFixed('target', m.target, ID_BYTES)
      checkFixed('targetKey', m.targetKey, PUBLIC_KEY_BYTES)
      checkUint('ttl', m.ttl, 0xff)
      checkFixed('signature', m.signature, SIGNATURE_BYTES)
      return 8 + 2 * ID_BYTES + PUBLIC_KEY_BYTES + 1 + SIGNATURE_BYTES
    },
    write(w, m) {
      w.u64(m.messageId)
      w.bytesRaw(m.origin)
      w.bytesRaw(m.target)
      w.bytesRaw(m.targetKey)
      w.u8(m.ttl)
      w.bytesRaw(m.signature)
    },
    read: (r) => ({
      type: 'directAck',
      messageId: r.u64('messageId'),
      origin: r.bytesCopy(ID_BYTES, 'origin'),
      target: r.bytesCopy(ID_BYTES, 'target'),
      targetKey: r.bytesCopy(PUBLIC_KEY_BYTES, 'targetKey'),
      ttl: r.u8('ttl'),
      signature: r.bytesCopy(SIGNATURE_BYTES, 'signature'),
    }),
    entries: none,
  },

  findNode: {
    measure(m) {
      checkUint('requestId', m.requestId, 0xffff_ffff)
      checkFixed('target', m.target, ID_BYTES)
      return 4 + ID_BYTES
    },
    write(w, m) {
      w.u32(m.requestId)
      w.bytesRaw(m.target)
    },
    read: (r) => ({ type: 'findNode', requestId: r.u32('requestId'), target: r.bytesCopy(ID_BYTES, 'target') }),
    entries: none,
  },

  nodes: {
    measure(m) {
      checkUint('requestId', m.requestId, 0xffff_ffff)
      return 4 + measurePeers('peers', m.peers)
    },
    write(w, m) {
      w.u32(m.requestId)
      writePeers(w, m.peers)
    },
    read: (r) => ({ type: 'nodes', requestId: r.u32('requestId'), peers: readPeers(r, 'peers') }),
    entries: (m) => peerEntries(m.peers),
  },

  findValue: {
    measure(m) {
      checkUint('requestId', m.requestId, 0xffff_ffff)
      checkFixed('key', m.key, ID_BYTES)
      return 4 + ID_BYTES
    },
    write(w, m) {
      w.u32(m.requestId)
      w.bytesRaw(m.key)
    },
    read: (r) => ({ type: 'findValue', requestId: r.u32('requestId'), key: r.bytesCopy(ID_BYTES, 'key') }),
    entries: none,
  },

  value: {
    measure(m) {
      checkUint('requestId', m.requestId, 0xffff_ffff)
      const record = m.record === undefined ? 0 : measureRecord('record', m.record)
      return 4 + 1 + record + measurePeers('peers', m.peers)
    },
    write(w, m) {
      w.u32(m.requestId)
      w.u8(m.record === undefined ? 0 : 1)
      if (m.record !== undefined) writeRecord(w, m.record)
      writePeers(w, m.peers)
    },
    read(r) {
      const requestId = r.u32('requestId')
      const hasRecord = r.bool('hasRecord')
      const record = hasRecord ? readRecord(r, 'record') : undefined
      const peers = readPeers(r, 'peers')
      return record === undefined ? { type: 'value', requestId, peers } : { type: 'value', requestId, record, peers }
    },
    entries: (m) => peerEntries(m.peers),
  },

  store: {
    measure(m) {
      checkUint('requestId', m.requestId, 0xffff_ffff)
      return 4 + measureRecord('record', m.record)
    },
    write(w, m) {
      w.u32(m.requestId)
      writeRecord(w, m.record)
    },
    read: (r) => ({ type: 'store', requestId: r.u32('requestId'), record: readRecord(r, 'record') }),
    entries: none,
  },

  storeResult: {
    measure(m) {
      checkUint('requestId', m.requestId, 0xffff_ffff)
      checkBool('ok', m.ok)
      checkUint('reason', m.reason, 0xff)
      return 6
    },
    write(w, m) {
      w.u32(m.requestId)
      w.u8(m.ok ? 1 : 0)
      w.u8(m.reason)
    },
    read: (r) => ({ type: 'storeResult', requestId: r.u32('requestId'), ok: r.bool('ok'), reason: r.u8('reason') }),
    entries: none,
  },
}
