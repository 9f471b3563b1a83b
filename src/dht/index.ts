// The DHT layer's public surface.

export { Dht } from './dht.js'
export type { DhtStats, GetOptions, HopStats, PutOptions, PutResult } from './dht.js'
export { DHT_DEFAULTS } from './options.js'
export type { DhtOptions, ResolvedDhtOptions } from './options.js'
export { DhtError } from './errors.js'
export type { DhtErrorCode } from './errors.js'
export type { LookupPeer, LookupResult } from './lookup.js'
export { RecordStore, LOCAL_STORER } from './record-store.js'
export type { RecordStoreOptions, StoreOutcome, StorePlacement, StoredRecord } from './record-store.js'
export {
  buildImmutableRecord,
  buildMutableRecord,
  checkRecord,
  immutableKeyOf,
  MAX_MUTABLE_VALUE_BYTES,
  MUTABLE_KEY_TAG,
  MUTABLE_RECORD_TAG,
  mutableKeyFromHash,
  mutableKeyOf,
  mutableSignedPayload,
  mutableValueOf,
  signMutableRecord,
  userKeyHashOf,
} from './records.js'
export type { VerifyFn } from './records.js'
