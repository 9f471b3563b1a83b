// Errors of the transport layer: one class with a code to switch on, shared by every transport.

import { WasmeshError } from '../util/wasmesh-error.js'

export type TransportErrorCode =
  /** Nothing listens at the address dialled (connection refused). */
  | 'TRANSPORT_UNREACHABLE'
  /** The transport or connection is closed. */
  | 'TRANSPORT_CLOSED'
  /** A frame is larger than the connection's maxMessageBytes. */
  | 'TRANSPORT_TOO_LARGE'
  /** A dial did not complete in time. */
  | 'TRANSPORT_TIMEOUT'
  /** Another open transport already has this address. */
  | 'TRANSPORT_ADDRESS_IN_USE'
  /** An address this transport cannot parse or does not handle. */
  | 'TRANSPORT_BAD_ADDRESS'
  /** A send would take the connection's buffer past its hard limit. */
  | 'TRANSPORT_BUFFER_FULL'
  /** A dial was cancelled through its AbortSignal (the error's name is 'AbortError'). */
  | 'TRANSPORT_ABORTED'
  /** An option or argument is out of range. */
  | 'TRANSPORT_INVALID_OPTION'
  /** An operation that the transport's state does not allow (listening twice). */
  | 'TRANSPORT_INVALID_STATE'
  /** A dial refused before it made a connection: the transport's budget is spent (WebRTC peer connections, rationed near the cap; relayed connections at once). */
  | 'TRANSPORT_OVER_BUDGET'
  /**
   * Both sides dialled each other at once (glare) and this dial made way: the remote's dial
   * came in instead, as an inbound connection handed to the listener. The connection to the
   * peer exists; a dialler waits for it there instead of trying another address.
   */
  | 'TRANSPORT_GLARE'

/** Thrown (or rejected) by transports and connections; `code` says which failure. */
export class TransportError extends WasmeshError {
  declare readonly code: TransportErrorCode

  constructor(code: TransportErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}

/**
 * Rejected when an operation is cancelled through its AbortSignal. Its `name` is
 * 'AbortError', as the platform's is, and its `cause` is the signal's reason.
 */
export class TransportAbortError extends TransportError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TRANSPORT_ABORTED', message, options)
    this.name = 'AbortError'
  }
}
