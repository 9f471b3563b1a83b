// Known answers for an identity (src/peers/identity.ts): the Ed25519 public key of a seed, the
// peer id (SHA-256 of the public key), the exported form, and a signature, on the keys of
// RFC 8032 section 7.1 that every other vector signs with.

import type { ExportedIdentity } from '../../src/peers/identity.js'
import { fromHex, identityOf, toHex } from './vector-file.js'

export interface IdentityCase {
  readonly name: string
  /** The 32-byte Ed25519 seed (RFC 8032 private key), hex. */
  readonly seed: string
  readonly publicKey: string
  /** SHA-256 of the public key. */
  readonly peerId: string
  /** Identity.export(): seed and public key in unpadded base64url. */
  readonly exported: ExportedIdentity
  /** The RFC's message, hex, and its signature. */
  readonly message: string
  readonly signature: string
}

/** The whole case, computed by the library from the seed. */
export async function identityCase(name: string, seed: string, message: string): Promise<IdentityCase> {
  const identity = identityOf(seed)
  return {
    name, seed, publicKey: toHex(identity.publicKey), peerId: toHex(identity.peerId), exported: identity.export(),
    message, signature: toHex(await identity.sign(fromHex(message))),
  }
}
