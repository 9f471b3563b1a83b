// The two Ed25519 implementations behind `Identity`: @noble/curves (sync, everywhere) and the
// platform's WebCrypto (async, native, where it supports Ed25519). Ed25519 signatures are
// deterministic, so both produce the same bytes for the same key and message.
//
// Measured on the 2-core dev machine (Node 20.20, 150-byte message, .cache/peers/ed25519-bench.mjs;
// ranges over runs on a shared, busy box):
//   public key from seed  noble 2,000-3,800/s        WebCrypto cannot take a seed
//   sign                  noble 860-1,100/s          WebCrypto 9,600-17,000/s awaited one by one, ~30,000/s 100 in flight
//   verify                noble 450-600/s            WebCrypto 7,500-7,800/s with the key imported (~6,000/s importing each time: imported keys are kept per origin)
//   import signing key    WebCrypto JWK {d, x} ~11,000/s, PKCS#8 1,500-2,500/s
// So keys are derived with noble (seedable, which the deterministic simulator needs) and sign
// and verify use WebCrypto when the probe below finds Ed25519 there, noble otherwise.

import { ed25519 } from '@noble/curves/ed25519.js'
import { fromHex, toHex } from '../util/hex.js'

const ALGORITHM = { name: 'Ed25519' } as const

// RFC 8032, section 7.1, test 1: the empty message signed by a known key.
const PROBE_PUBLIC_KEY = fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
const PROBE_SIGNATURE = fromHex(
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
)

let probe: Promise<SubtleCrypto | null> | undefined

/**
 * WebCrypto's SubtleCrypto when it verifies Ed25519 correctly, else null. There is no way to
 * ask for support other than trying (browsers added Ed25519 at different times), so the first
 * call verifies a known signature; the answer is kept for the life of the process.
 */
export function webCryptoEd25519(): Promise<SubtleCrypto | null> {
  probe ??= runProbe()
  return probe
}

/**
 * Uses noble for every sign and verify from now on in this thread. Its results arrive as
 * resolved promises, without WebCrypto's thread-pool round trip, so runs in virtual time (the
 * simulator, tests) do not depend on how long real crypto took. About 15x slower.
 */
export function useDeterministicEd25519(): void {
  probe = Promise.resolve(null)
}

/** Undoes useDeterministicEd25519(): WebCrypto where it verifies Ed25519 (probed again), else noble. */
export function usePlatformEd25519(): void {
  probe = undefined
}

async function runProbe(): Promise<SubtleCrypto | null> {
  const subtle = globalThis.crypto?.subtle
  if (subtle === undefined) return null
  try {
    const key = await subtle.importKey('raw', PROBE_PUBLIC_KEY, ALGORITHM, false, ['verify'])
    return (await subtle.verify(ALGORITHM, key, PROBE_SIGNATURE, new Uint8Array(0))) ? subtle : null
  } catch {
    // NotSupportedError and friends: this platform has no Ed25519 in WebCrypto.
    return null
  }
}

/** The Ed25519 public key of a 32-byte seed (noble: WebCrypto has no seeded key generation). */
export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(seed)
}

export function nobleSign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, seed)
}

/**
 * Strict RFC 8032 verification (canonical encodings, S < L, small-order keys refused), the
 * rules closest to OpenSSL's, which is what WebCrypto runs in Node. The two can still differ
 * on signatures crafted with torsion components (noble checks the cofactored equation, OpenSSL
 * the cofactorless one); an honest signer's signatures verify identically on both.
 */
export function nobleVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  return ed25519.verify(signature, message, publicKey, { zip215: false })
}

/** A non-extractable WebCrypto signing key; JWK import checks that `d` and `x` agree in Node. */
export function importSigningKey(subtle: SubtleCrypto, seed: Uint8Array, publicKey: Uint8Array): Promise<CryptoKey> {
  const jwk: JsonWebKey = { kty: 'OKP', crv: 'Ed25519', d: base64url(seed), x: base64url(publicKey) }
  return subtle.importKey('jwk', jwk, ALGORITHM, false, ['sign'])
}

export async function webCryptoSign(subtle: SubtleCrypto, key: CryptoKey, message: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle.sign(ALGORITHM, key, bufferSource(message)))
}

/**
 * WebCrypto verification, refusing small-order keys first as noble's strict mode does: OpenSSL
 * accepts the all-zero-scalar signature (R = identity, S = 0) under the identity key for any
 * message (checked on this Node), so without this anyone could sign as such a key.
 */
export async function webCryptoVerify(
  subtle: SubtleCrypto,
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (hasSmallOrderEncoding(publicKey)) return false
  const key = await verifyingKey(subtle, publicKey)
  // A key the platform cannot even import verifies nothing.
  if (key === null) return false
  return subtle.verify(ALGORITHM, key, bufferSource(signature), bufferSource(message))
}

/** Imported verifying keys of the origins heard most recently: a relay checks the same few origins over and over. */
const verifyingKeys = new Map<string, Promise<CryptoKey | null>>()
const MAX_VERIFYING_KEYS = 1_024

function verifyingKey(subtle: SubtleCrypto, publicKey: Uint8Array): Promise<CryptoKey | null> {
  const id = toHex(publicKey)
  let key = verifyingKeys.get(id)
  if (key !== undefined) {
    // Most recently used last, so the first entry is the one to forget.
    verifyingKeys.delete(id)
  } else {
    key = subtle.importKey('raw', bufferSource(publicKey), ALGORITHM, false, ['verify']).catch(() => null)
    if (verifyingKeys.size >= MAX_VERIFYING_KEYS) verifyingKeys.delete(verifyingKeys.keys().next().value!)
  }
  verifyingKeys.set(id, key)
  return key
}

/**
 * True when `publicKey` is the canonical encoding of an Ed25519 point outside the small-order
 * subgroup. Anyone can produce signatures that verify under a small-order key, so such a key
 * proves nothing and its peer id could be claimed by anyone.
 */
export function isValidPublicKeyBytes(publicKey: Uint8Array): boolean {
  const id = toHex(publicKey)
  if (validPublicKeys.has(id)) return true
  let isValid: boolean
  try {
    isValid = !ed25519.Point.fromBytes(publicKey, false).isSmallOrder()
  } catch {
    // fromBytes throws for encodings that are not a point: that is the "no" answer.
    return false
  }
  if (isValid) {
    if (validPublicKeys.size >= MAX_VALID_PUBLIC_KEYS) validPublicKeys.delete(validPublicKeys.values().next().value!)
    validPublicKeys.add(id)
  }
  return isValid
}

/**
 * Keys that passed isValidPublicKeyBytes, oldest first: the answer never changes for a key,
 * and the point decode (~0.1-0.25 ms on noble) is the handshake's biggest cost, paid again
 * on every reconnect to the same peer (and, in the simulator, where all nodes share this
 * module, by every node meeting the same key: 15% of a 300-node broadcast run). Only valid
 * keys are kept, so junk keys cannot flush it any faster than real ones; at most ~1 MB.
 */
const validPublicKeys = new Set<string>()
const MAX_VALID_PUBLIC_KEYS = 16_384

// Every encoding of a small-order point, as libsodium lists them, compared with the sign bit
// (bit 255) masked off: y = 0 and y = p (order 4), y = 1 and y = p + 1 (order 1), y = p - 1
// (order 2) and the two y of the order-8 points. A byte compare: no curve arithmetic.
const SMALL_ORDER_ENCODINGS = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map((hex) => fromHex(hex))

/** True when `publicKey` encodes a point of small order (in any encoding, either sign). */
export function hasSmallOrderEncoding(publicKey: Uint8Array): boolean {
  next: for (const encoding of SMALL_ORDER_ENCODINGS) {
    for (let i = 0; i < 31; i++) if (publicKey[i] !== encoding[i]) continue next
    if ((publicKey[31] & 0x7f) === encoding[31]) return true
  }
  return false
}

/** Unpadded base64url, the encoding of JWK and of exported identities. */
export function base64url(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i])
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/**
 * Strict unpadded base64url of exactly `length` bytes, or null. Canonical only: the unused low
 * bits of the last character must be zero, so one key has one spelling.
 */
export function fromBase64url(text: string, length: number): Uint8Array | null {
  if (text.length !== Math.ceil((length * 4) / 3) || !/^[A-Za-z0-9_-]*$/.test(text)) return null
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4)
  const binary = atob(padded)
  if (binary.length !== length) return null
  const bytes = new Uint8Array(length)
  for (let i = 0; i < length; i++) bytes[i] = binary.charCodeAt(i)
  return base64url(bytes) === text ? bytes : null
}

// WebCrypto takes only ArrayBuffer-backed views; copy the rare view of a SharedArrayBuffer.
function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : bytes.slice()
}

