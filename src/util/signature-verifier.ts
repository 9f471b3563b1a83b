// The signature check the handshake (through the connection manager), the relay, the router
// and the node take as an option: one type, so a verifier written for one layer is the same
// type everywhere (and nameable from 'wasmesh').

/** Checks an Ed25519 signature (or a stand-in scheme's); may answer synchronously or not (WebCrypto, the simulator's virtual CPU). */
export type SignatureVerifier = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean | Promise<boolean>
