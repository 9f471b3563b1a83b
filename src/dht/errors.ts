// Errors of the DHT layer (src/dht): each failure has a stable code to switch on, and a
// message that says what was wrong and what was expected.

import { WasmeshError } from '../util/wasmesh-error.js'

export type DhtErrorCode =
  /** An option given to the Dht constructor is out of range or of the wrong type. */
  | 'DHT_INVALID_OPTION'
  /** An argument of put/get/lookup is malformed (a key of the wrong size, a value too large). */
  | 'DHT_INVALID_ARGUMENT'
  /** A method was called before start() or after stop(), or stop() happened while it ran. */
  | 'DHT_NOT_RUNNING'
  /** A request to a peer got no answer within requestTimeoutMs. */
  | 'DHT_TIMEOUT'
  /** A peer could not be reached at any of its addresses. */
  | 'DHT_UNREACHABLE'
  /** put() found no peer to store on, or every peer it tried refused the record. */
  | 'DHT_STORE_FAILED'
  /** A lookup had no contact to start from (the routing table is empty). */
  | 'DHT_NO_PEERS'
  /** put() would take the records this node keeps of its own (for republish and its own reads) over maxPublishedBytes. */
  | 'DHT_QUOTA_EXCEEDED'

/** Thrown (or a promise rejects with it) when a DHT operation fails; see DhtErrorCode. */
export class DhtError extends WasmeshError {
  declare readonly code: DhtErrorCode

  constructor(code: DhtErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}
