// The signing half of a signature scheme, as an Identity takes it: the counterpart of
// SignatureVerifier, for schemes that hold their own secret (the simulator's stand-in).

/**
 * Signs `message` for the identity whose public key is `publicKey`, in place of that
 * identity's Ed25519 key. Must answer 64 bytes (the wire's signature size), synchronously or
 * not. Whoever receives the signature needs the matching SignatureVerifier.
 */
export type Signer = (publicKey: Uint8Array, message: Uint8Array) => Uint8Array | Promise<Uint8Array>
