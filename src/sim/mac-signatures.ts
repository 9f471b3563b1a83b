// The simulator's signature stand-in: HMAC-SHA256 over (public key || message) under a key
// that only the simulation's own nodes hold, padded to the wire's 64 bytes. About a hundred
// times cheaper than noble's Ed25519 verify, and it still refuses what Ed25519 refuses from
// anyone without the key: an altered message, another key's signature, made-up bytes.
// (Anyone with the key can sign as anyone: it stands in for honest nodes only.)

import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'

const PUBLIC_KEY_BYTES = 32
const SIGNATURE_BYTES = 64
const MAC_BYTES = 32
export const MAC_KEY_BYTES = 32

export class MacSignatures {
  /** The HMAC with the key absorbed (its inner and outer pads hashed), cloned for each MAC: a third of the cost of keying it afresh. */
  readonly #keyed: ReturnType<typeof hmac.create>

  /** `key`: MAC_KEY_BYTES bytes; the simulation draws it from its seed. */
  constructor(key: Uint8Array) {
    this.#keyed = hmac.create(sha256, key.slice())
  }

  /** The stand-in signature of `message` by `publicKey`: the MAC, then 32 zero bytes. */
  sign(publicKey: Uint8Array, message: Uint8Array): Uint8Array {
    const signature = new Uint8Array(SIGNATURE_BYTES)
    signature.set(this.#mac(publicKey, message))
    return signature
  }

  /** Whether `signature` is sign(publicKey, message), all 64 bytes of it. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    if (publicKey.length !== PUBLIC_KEY_BYTES || !(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return false
    const mac = this.#mac(publicKey, message)
    // A byte compare, not a constant-time one: the simulator has no timing side channel.
    for (let i = 0; i < MAC_BYTES; i++) if (signature[i] !== mac[i]) return false
    for (let i = MAC_BYTES; i < SIGNATURE_BYTES; i++) if (signature[i] !== 0) return false
    return true
  }

  // The public key goes in first and is always 32 bytes, so no (key, message) pair re-splits into another.
  #mac(publicKey: Uint8Array, message: Uint8Array): Uint8Array {
    return this.#keyed.clone().update(publicKey).update(message).digest()
  }
}
