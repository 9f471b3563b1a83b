// Errors of the routing layer (direct messages to any peer id): bad options, bad arguments
// to send(), and sends that end without an acknowledgement.

import { WasmeshError } from '../util/wasmesh-error.js'

export type RoutingErrorCode =
  /** An option given to `new Router()` is missing, of the wrong type or out of range. */
  | 'ROUTING_INVALID_OPTION'
  /** An argument to send() or onMessage() is not what the method takes (a peer id of 32 bytes, bytes, a function). */
  | 'ROUTING_INVALID_ARGUMENT'
  /** Data to send is larger than `maxMessageBytes`. */
  | 'ROUTING_MESSAGE_TOO_LARGE'
  /** `maxPendingSends` sends are already waiting for their acknowledgement. */
  | 'ROUTING_BUSY'
  /** No acknowledgement came back after every attempt (direct or DHT path, then flooding). */
  | 'ROUTING_UNREACHABLE'
  /** The send was cancelled through its AbortSignal (the error's name is 'AbortError'). */
  | 'ROUTING_ABORTED'
  /** The router was stopped before or while the send was pending. */
  | 'ROUTING_STOPPED'

/** Thrown when the router is given bad options or arguments, or a send fails. */
export class RoutingError extends WasmeshError {
  declare readonly code: RoutingErrorCode

  constructor(code: RoutingErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    if (code === 'ROUTING_ABORTED') this.name = 'AbortError'
  }
}
