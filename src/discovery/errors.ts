// Errors of the discovery layer (the bootstrap server and its clients): one class with a code.

import { WasmeshError } from '../util/wasmesh-error.js'

export type DiscoveryErrorCode =
  /** An option or argument is out of range. */
  | 'DISCOVERY_INVALID_OPTION'
  /** The bootstrap server could not be reached, or went away. */
  | 'DISCOVERY_UNREACHABLE'
  /** Another client holds the signaling id asked for. */
  | 'DISCOVERY_ID_TAKEN'
  /** The server refused what was sent (its error frame's code and message are in the message). */
  | 'DISCOVERY_REFUSED'
  /** The server or the client is closed. */
  | 'DISCOVERY_CLOSED'
  /** An operation the state does not allow (starting twice). */
  | 'DISCOVERY_INVALID_STATE'
  /** Not available on this platform (a file store in a browser). */
  | 'DISCOVERY_UNSUPPORTED'

export class DiscoveryError extends WasmeshError {
  declare readonly code: DiscoveryErrorCode

  constructor(code: DiscoveryErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}
