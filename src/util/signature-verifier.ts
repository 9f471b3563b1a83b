// The signature check the relay, the router and the node take as an option: one type, so a
// verifier written for one layer is the same type everywhere (and nameable from 'wasmesh').

/** Checks an Ed25519 signature; may answer synchronously (the simulator) or not (WebCrypto). */
export type SignatureVerifier = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean | Promise<boolean>
