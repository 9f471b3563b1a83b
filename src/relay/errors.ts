// Errors of the relay layer (pub/sub by selective flooding): bad options, bad arguments to
// subscribe/publish, and local publishes the relay refuses.

import { WasmeshError } from '../util/wasmesh-error.js'

export type RelayErrorCode =
  /** An option given to `new Relay()` is missing, of the wrong type or out of range. */
  | 'RELAY_INVALID_OPTION'
  /** An argument (a topic, a handler, data) is not what the method takes. */
  | 'RELAY_INVALID_ARGUMENT'
  /** Data to publish is larger than `maxMessageBytes`. */
  | 'RELAY_MESSAGE_TOO_LARGE'
  /** The topic's own validator did not accept a message this node tried to publish. */
  | 'RELAY_VALIDATION_FAILED'
  /** This node already subscribes to `maxSubscriptions` topics, or has validators for that many. */
  | 'RELAY_TOO_MANY_SUBSCRIPTIONS'
  /** The relay was used after `stop()`. */
  | 'RELAY_STOPPED'

/** Thrown when the relay is given bad options or arguments, or refuses a local publish. */
export class RelayError extends WasmeshError {
  declare readonly code: RelayErrorCode

  constructor(code: RelayErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}
