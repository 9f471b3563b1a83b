// Errors of the peers layer: node identity (keys, export and load) and the handshake that
// authenticates a new connection. Each refusal has a stable code to switch on.

import { WasmeshError } from '../util/wasmesh-error.js'

export type IdentityErrorCode =
  /** An exported identity's key is not what it should be (not 32 bytes of base64url, say). */
  | 'IDENTITY_BAD_KEY'
  /** An exported identity is not an object of the known shape or version. */
  | 'IDENTITY_BAD_FORMAT'
  /** An exported identity's public key is not the one its secret key derives. */
  | 'IDENTITY_KEY_MISMATCH'
  /** An argument (a public key, a random source) is not what the function takes. */
  | 'IDENTITY_INVALID_ARGUMENT'

/** Thrown when an identity cannot be generated or loaded, or a key argument is malformed. */
export class IdentityError extends WasmeshError {
  declare readonly code: IdentityErrorCode

  constructor(code: IdentityErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}

export type HandshakeErrorCode =
  /** The two nodes' version ranges do not overlap. Both sides detect it from the hellos. */
  | 'HANDSHAKE_VERSION'
  /** The remote public key is not a valid Ed25519 point (or is one of the small-order points). */
  | 'HANDSHAKE_BAD_KEY'
  /** The remote key hashes to another peer id than the one the dialer expected. */
  | 'HANDSHAKE_ID_MISMATCH'
  /** The remote auth signature does not verify over this session's transcript. */
  | 'HANDSHAKE_BAD_SIGNATURE'
  /** A message came out of order: auth before hello, a second hello, an unknown type. */
  | 'HANDSHAKE_UNEXPECTED_MESSAGE'
  /** A message is malformed: a field out of bounds, or our own nonce reflected back. */
  | 'HANDSHAKE_BAD_MESSAGE'
  /** The handshake did not complete within `timeoutMs`. */
  | 'HANDSHAKE_TIMEOUT'
  /** The remote presents our own public key: we dialled ourselves or our hello was echoed. */
  | 'HANDSHAKE_SELF'
  /** The handshake was aborted locally (`abort()` or the `signal`), e.g. its connection closed. */
  | 'HANDSHAKE_ABORTED'
  /** The handshake was given bad options. */
  | 'HANDSHAKE_INVALID_OPTION'
  /** The handshake was driven in the wrong order: receive() before start(), start() twice. */
  | 'HANDSHAKE_INVALID_STATE'

/** The reason a handshake refused a peer or could not run. */
export class HandshakeError extends WasmeshError {
  declare readonly code: HandshakeErrorCode

  constructor(code: HandshakeErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}
