// A node's identity: an Ed25519 key pair and the peer id derived from it (SHA-256 of the
// public key). Keys are generated from an injected random source, exported and loaded again,
// so a node keeps its id across restarts. Part of the peers layer; the handshake proves it.
//
// Every signature a wasmesh key makes covers a payload that begins with a domain tag naming
// its purpose (the handshake's is HANDSHAKE_TAG), so a signature made for one purpose can never
// be presented as one made for another.

import { sha256 } from '@noble/hashes/sha2.js'
import { cryptoRandom } from '../util/random.js'
import type { RandomSource } from '../util/random.js'
import type { Signer } from '../util/signer.js'
import { checkBytes, describeValue } from '../util/validate.js'
import { IdentityError } from './errors.js'
import {
  base64url,
  fromBase64url,
  importSigningKey,
  isValidPublicKeyBytes,
  nobleSign,
  nobleVerify,
  publicKeyFromSeed,
  webCryptoEd25519,
  webCryptoSign,
  webCryptoVerify,
} from './identity-crypto.js'

export const PUBLIC_KEY_BYTES = 32
export const SIGNATURE_BYTES = 64
export const PEER_ID_BYTES = 32
const SEED_BYTES = 32

/**
 * The portable form of an identity, safe to JSON.stringify. It CONTAINS THE SECRET KEY: whoever
 * holds it can act as this node. Store it like a password.
 */
export interface ExportedIdentity {
  version: 1
  keyType: 'ed25519'
  /** The 32-byte Ed25519 seed (RFC 8032 private key), unpadded base64url. */
  secretKey: string
  /** The 32-byte public key, unpadded base64url; `load` checks it against the secret key. */
  publicKey: string
}

/** How an identity signs; give none for Ed25519 with its own key (what production runs). */
export interface IdentityOptions {
  /**
   * Signs in place of the Ed25519 key, for every signature the node makes (handshake, relay,
   * router, DHT records): the simulator's stand-in scheme, say. Peers must then verify with
   * the matching SignatureVerifier; Ed25519 peers refuse these signatures. Not part of export().
   * DEFAULT none: Ed25519.
   */
  signer?: Signer
}

export class Identity {
  readonly publicKey: Uint8Array
  /** SHA-256 of the public key: the node's address in the DHT. */
  readonly peerId: Uint8Array
  // A private field, so neither JSON.stringify nor util.inspect shows the secret.
  readonly #seed: Uint8Array
  #webCryptoKey: Promise<{ subtle: SubtleCrypto; key: CryptoKey } | null> | undefined
  readonly #signer: Signer | undefined

  private constructor(seed: Uint8Array, options: IdentityOptions | undefined) {
    this.#seed = seed
    this.#signer = resolveSigner(options)
    this.publicKey = publicKeyFromSeed(seed)
    this.peerId = sha256(this.publicKey)
  }

  /**
   * A new identity from 32 bytes of `random`. Deterministic for a seeded source, which is how
   * the simulator gives its nodes reproducible ids; about 0.3 ms each on the dev machine.
   * DEFAULT source: cryptoRandom() (crypto.getRandomValues). `options.signer` replaces
   * Ed25519 signing (IdentityOptions); the key pair, and so the peer id, stay the same.
   */
  static generate(random: Pick<RandomSource, 'fill'> = cryptoRandom(), options?: IdentityOptions): Identity {
    if (typeof random?.fill !== 'function') {
      throw new IdentityError('IDENTITY_INVALID_ARGUMENT', 'random must be an object with a fill(bytes) method')
    }
    const seed = new Uint8Array(SEED_BYTES)
    random.fill(seed)
    return new Identity(seed, options)
  }

  /** An identity from its exported form, validated; throws IdentityError when it is not one. `options` as for generate(). */
  static load(exported: unknown, options?: IdentityOptions): Identity {
    if (typeof exported !== 'object' || exported === null || Array.isArray(exported)) {
      throw new IdentityError('IDENTITY_BAD_FORMAT', `an exported identity must be an object, got ${describeExport(exported)}`)
    }
    const { version, keyType, secretKey, publicKey } = exported as Record<string, unknown>
    if (version !== 1) {
      throw new IdentityError('IDENTITY_BAD_FORMAT', `exported identity version must be 1, got ${describeValue(version)}`)
    }
    if (keyType !== 'ed25519') {
      throw new IdentityError('IDENTITY_BAD_FORMAT', `exported identity keyType must be "ed25519", got ${describeValue(keyType)}`)
    }
    const seed = typeof secretKey === 'string' ? fromBase64url(secretKey, SEED_BYTES) : null
    if (seed === null) {
      throw new IdentityError('IDENTITY_BAD_KEY', 'exported identity secretKey must be 32 bytes in unpadded base64url (43 characters)')
    }
    const identity = new Identity(seed, options)
    if (publicKey !== undefined) {
      const claimed = typeof publicKey === 'string' ? fromBase64url(publicKey, PUBLIC_KEY_BYTES) : null
      if (claimed === null) {
        throw new IdentityError('IDENTITY_BAD_KEY', 'exported identity publicKey must be 32 bytes in unpadded base64url (43 characters)')
      }
      if (!bytesEqual(claimed, identity.publicKey)) {
        throw new IdentityError('IDENTITY_KEY_MISMATCH', 'exported identity publicKey is not the public key of its secretKey: the export is corrupt')
      }
    }
    return identity
  }

  /** The portable form. It contains the secret key; see ExportedIdentity. */
  export(): ExportedIdentity {
    return { version: 1, keyType: 'ed25519', secretKey: base64url(this.#seed), publicKey: base64url(this.publicKey) }
  }

  /**
   * An Ed25519 signature of `message`: WebCrypto where it has Ed25519 (~15x faster), else
   * noble. With a signer (IdentityOptions), the signer's signature; IDENTITY_BAD_SIGNATURE
   * when it is not 64 bytes.
   */
  async sign(message: Uint8Array): Promise<Uint8Array> {
    if (this.#signer !== undefined) return checkedSignature(await this.#signer(this.publicKey, message))
    const webCrypto = await (this.#webCryptoKey ??= this.#importWebCryptoKey())
    return webCrypto === null ? nobleSign(this.#seed, message) : webCryptoSign(webCrypto.subtle, webCrypto.key, message)
  }

  async #importWebCryptoKey(): Promise<{ subtle: SubtleCrypto; key: CryptoKey } | null> {
    const subtle = await webCryptoEd25519()
    if (subtle === null) return null
    try {
      return { subtle, key: await importSigningKey(subtle, this.#seed, this.publicKey) }
    } catch {
      // Ed25519 verifies here but JWK private import does not (older browsers): sign with noble.
      return null
    }
  }
}

/** The peer id of a public key: SHA-256(publicKey), 32 bytes. */
export function peerIdOf(publicKey: Uint8Array): Uint8Array {
  checkBytes('publicKey', publicKey, PUBLIC_KEY_BYTES, invalidArgument)
  return sha256(publicKey)
}

/**
 * True when `publicKey` is a canonically encoded Ed25519 point outside the small-order
 * subgroup (~0.1 ms: a point decode). Check keys once, where they are first learned (the
 * handshake does). `verifySignature` refuses small-order keys itself, by a byte compare.
 */
export function isValidPublicKey(publicKey: Uint8Array): boolean {
  return publicKey instanceof Uint8Array && publicKey.length === PUBLIC_KEY_BYTES && isValidPublicKeyBytes(publicKey)
}

/**
 * Whether `signature` is `publicKey`'s Ed25519 signature of `message`. WebCrypto where it has
 * Ed25519 (~7,800/s here), noble otherwise (~500/s). Malformed keys and signatures and
 * small-order keys answer false on both paths.
 */
export async function verifySignature(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  checkBytes('publicKey', publicKey, PUBLIC_KEY_BYTES, invalidArgument)
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return false
  const subtle = await webCryptoEd25519()
  return subtle === null ? nobleVerify(publicKey, message, signature) : webCryptoVerify(subtle, publicKey, message, signature)
}

/**
 * The synchronous verify, for callers that cannot await (noble, RFC 8032 strict). About 15x
 * slower than `verifySignature` where WebCrypto has Ed25519: keep it off hot paths.
 */
export function verifySignatureSync(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  checkBytes('publicKey', publicKey, PUBLIC_KEY_BYTES, invalidArgument)
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return false
  return nobleVerify(publicKey, message, signature)
}

/** Byte-wise equality of two ids or keys (public values: no need for constant time). */
/** True when `publicKey` is 32 bytes whose SHA-256 is `peerId`: the key a message's origin id names. */
export function keyMatchesPeerId(publicKey: Uint8Array, peerId: Uint8Array): boolean {
  return publicKey.length === PUBLIC_KEY_BYTES && peerId.length === PEER_ID_BYTES && bytesEqual(sha256(publicKey), peerId)
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

const invalidArgument = (message: string) => new IdentityError('IDENTITY_INVALID_ARGUMENT', message)

function resolveSigner(options: IdentityOptions | undefined): Signer | undefined {
  if (options === undefined) return undefined
  if (typeof options !== 'object' || options === null) throw invalidArgument(`identity options must be an object, got ${describeValue(options)}`)
  for (const name of Object.keys(options)) {
    if (name !== 'signer') throw invalidArgument(`unknown identity option ${JSON.stringify(name)}; expected signer`)
  }
  const { signer } = options
  if (signer !== undefined && typeof signer !== 'function') throw invalidArgument(`signer must be a function (publicKey, message) => signature, got ${describeValue(signer)}`)
  return signer
}

// A signer's answer goes on the wire as a fixed 64-byte field: anything else is a bug in the signer, said here and not by the codec.
function checkedSignature(signature: unknown): Uint8Array {
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) {
    throw new IdentityError('IDENTITY_BAD_SIGNATURE', `the signer must answer ${SIGNATURE_BYTES} bytes (a Uint8Array), got ${signature instanceof Uint8Array ? `${signature.length} bytes` : describeValue(signature)}`)
  }
  return signature
}

// Never echo the export itself in an error: it may hold a secret.
function describeExport(value: unknown): string {
  if (typeof value === 'string') return 'a string (parse JSON text first)'
  return Array.isArray(value) ? 'an array' : describeValue(value)
}
