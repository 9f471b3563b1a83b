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
  /** An argument (a public key, a random source, identity options) is not what the function takes. */
  | 'IDENTITY_INVALID_ARGUMENT'
  /** An identity's signer (IdentityOptions) answered something other than 64 bytes. */
  | 'IDENTITY_BAD_SIGNATURE'

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

export type PeerErrorCode =
  /** A connection manager option is out of range or of the wrong type. */
  | 'PEER_INVALID_OPTION'
  /** An argument to connect() (an address, a peer id, a signal) is malformed. */
  | 'PEER_INVALID_ARGUMENT'
  /** The manager is not running: connect() before start(), start() twice, anything after stop(). */
  | 'PEER_INVALID_STATE'
  /** Every dial attempt failed (nothing listens, timeouts, connections lost mid-handshake); `cause` is the last failure. */
  | 'PEER_UNREACHABLE'
  /** This node already holds maxPeers sessions, or the remote said so in its goodbye. */
  | 'PEER_TOO_MANY_PEERS'
  /** The peer is banned here for misbehaving, or the remote refused us for that reason. */
  | 'PEER_BANNED'
  /** The dialled address or peer id is this node's own. */
  | 'PEER_SELF'
  /**
   * The remote has as many handshakes under way as it takes (a flood, a flash crowd) and
   * refused this one before it began: worth another dial after a backoff (connect() retries it).
   */
  | 'PEER_BUSY'
  /** The remote closed the connection during the handshake with a goodbye (its reason is in the message). */
  | 'PEER_REFUSED'
  /** The connect was cancelled through its AbortSignal (the error's name is 'AbortError'). */
  | 'PEER_ABORTED'
  /** The manager stopped while the connect was pending. */
  | 'PEER_STOPPED'

/** A peer a refusing node suggested instead: its id and where it listens. */
export interface RedirectPeer {
  readonly id: Uint8Array
  readonly addresses: readonly string[]
}

const NO_REDIRECT: readonly RedirectPeer[] = Object.freeze([])

/** Thrown (or rejected) by the connection manager; `code` says which failure. */
export class PeerError extends WasmeshError {
  declare readonly code: PeerErrorCode
  /**
   * Peers the remote offered instead when it refused the connection (a full node's redirect,
   * at most 20; empty otherwise). Unauthenticated hints: dial them with their id expected.
   */
  readonly redirect: readonly RedirectPeer[]

  constructor(code: PeerErrorCode, message: string, options?: { cause?: unknown; redirect?: readonly RedirectPeer[] }) {
    super(code, message, options !== undefined && 'cause' in options ? { cause: options.cause } : undefined)
    if (code === 'PEER_ABORTED') this.name = 'AbortError'
    this.redirect = options?.redirect ?? NO_REDIRECT
  }
}
