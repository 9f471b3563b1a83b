// What every known-answer vector shares: hex, the committed JSON files, the fixed signers,
// the byte layouts as docs/protocol.md writes them (built here by hand, apart from the
// library, so the vectors pin the documented layout and the library at once), and the
// checks that a signature binds every byte it covers.

import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { Identity, verifySignature } from '../../src/peers/identity.js'
import { base64url, nobleSign, nobleVerify } from '../../src/peers/identity-crypto.js'
import { toHex } from '../../src/util/hex.js'
import { decodeMessage, encodeMessage } from '../../src/wire/codec.js'
import { WireError } from '../../src/wire/errors.js'
import { decodeFrame, encodeFrame } from '../../src/wire/frame.js'
import type { WireMessage } from '../../src/wire/messages.js'

export { toHex }

export function fromHex(hex: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) throw new Error(`not lowercase hex of whole bytes: ${JSON.stringify(hex)}`)
  const bytes = new Uint8Array(hex.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return bytes
}

/** SHA-256 by node:crypto: a second implementation to hold the library's hashes against. */
export function sha256Hex(hex: string): string {
  return createHash('sha256').update(fromHex(hex)).digest('hex')
}

/** The header every vector file opens with. */
export interface VectorFile<Case> {
  readonly about: string
  readonly regenerate: string
  readonly cases: readonly Case[]
}

export const REGENERATE =
  'node build/run-ts.mjs test/vectors/generate.ts: only for a deliberate protocol change, which then needs a new tag or message type'

/** A committed vector file of this folder. */
export function readVectorFile<Case>(name: string): VectorFile<Case> {
  return JSON.parse(readFileSync(new URL(name, import.meta.url), 'utf8')) as VectorFile<Case>
}

/** Writes a vector file into `folder` (the generator's: it runs bundled, from elsewhere). */
export function writeVectorFile<Case>(folder: string, name: string, file: VectorFile<Case>): void {
  // A layout part on one line: ["seq u64", "0000000000000005"].
  const text = JSON.stringify(file, null, 2).replace(/\[\n\s+("[^"\n]*"),\n\s+("[^"\n]*")\n\s+\]/g, '[$1, $2]')
  writeFileSync(join(folder, name), text + '\n')
}

// ---------------------------------------------------------------------------------------
// Signers: the two keys of RFC 8032 section 7.1 (tests 1 and 2), so anyone can check the
// public keys against the RFC before trusting anything else here.

export const ALICE_SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'
export const BOB_SEED = '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'

/** A vector's signer: the Ed25519 seed (RFC 8032 private key), its public key and peer id. */
export interface SignerVector {
  readonly seed: string
  readonly publicKey: string
  readonly peerId: string
}

export function identityOf(seed: string): Identity {
  return Identity.load({ version: 1, keyType: 'ed25519', secretKey: base64url(fromHex(seed)) })
}

export function signerVector(seed: string): SignerVector {
  const identity = identityOf(seed)
  return { seed, publicKey: toHex(identity.publicKey), peerId: toHex(identity.peerId) }
}

// ---------------------------------------------------------------------------------------
// Layouts, field by field: a vector lists its signed bytes as named parts.

/** One field of a byte layout: its name as docs/protocol.md gives it, and its bytes. */
export type Part = readonly [name: string, hex: string]

export function joinParts(parts: readonly Part[]): string {
  return parts.map(([, hex]) => hex).join('')
}

/** ASCII text and its zero terminator: a domain tag. */
export function tagHex(text: string): string {
  return toHex(new TextEncoder().encode(`${text}\0`))
}

export function utf8Hex(text: string): string {
  return toHex(new TextEncoder().encode(text))
}

export function uintHex(value: number | bigint, bytes: number): string {
  const big = BigInt(value)
  if (big < 0n || big >= 1n << BigInt(8 * bytes)) throw new Error(`${value} does not fit in ${bytes} bytes`)
  return big.toString(16).padStart(2 * bytes, '0')
}

/** A u64 as a vector writes an id: 0x and 16 hex digits (BigInt() reads it back). */
export function u64Hex(value: bigint): string {
  return `0x${uintHex(value, 8)}`
}

// ---------------------------------------------------------------------------------------
// Checks shared by every signed structure.

/** What every signed vector holds. */
export interface SignedVector {
  readonly signer: SignerVector
  readonly signedParts: readonly Part[]
  readonly signedBytes: string
  readonly signature: string
}

/** A signed vector of one wire message: its inputs, and the message and frame carrying it. */
export interface SignedWireCase<Input> extends SignedVector {
  readonly name: string
  readonly input: Input
  /** encodeMessage: type u8, body length u32, body. */
  readonly message: string
  /** encodeFrame of the message alone. */
  readonly frame: string
}

/** Signs `signedBytes` with `seed`'s key and encodes the message the signature goes into. */
export async function signAndEncode(seed: string, signedBytes: Uint8Array, toMessage: (signature: string) => WireMessage) {
  const signature = toHex(await identityOf(seed).sign(signedBytes))
  const message = toMessage(signature)
  return { signedBytes: toHex(signedBytes), signature, message: toHex(encodeMessage(message)), frame: toHex(encodeFrame([message])) }
}

/**
 * The four tests every signed vector gets: its signed bytes are the documented layout of its
 * inputs (`layout`), the library function `name` builds them (`library`), the signer's key
 * signs them to the vector's signature, and that signature binds every byte.
 */
export function itPinsTheSignature(vector: SignedVector, name: string, layout: () => readonly Part[], library: () => Uint8Array): void {
  it('the signed bytes are the documented layout of the inputs', () => {
    expect(layout()).toEqual(vector.signedParts)
    expect(joinParts(vector.signedParts)).toBe(vector.signedBytes)
  })

  it(`${name} builds exactly those bytes`, () => {
    expect(toHex(library())).toBe(vector.signedBytes)
  })

  it("the signer's seed gives its key and id, and signs them to the vector's signature on both backends", async () => {
    await expectSignature(vector.signer, vector.signedBytes, vector.signature)
  })

  it('the signature verifies, and no longer does with any byte of the signed bytes, signature or key changed', async () => {
    await expectEveryByteBound(vector.signer.publicKey, vector.signedBytes, vector.signature)
  })
}

/** `signer`'s seed has its key and id, and signs `signedBytes` to `signature` on both backends (WebCrypto and noble). */
export async function expectSignature(signer: SignerVector, signedBytes: string, signature: string): Promise<void> {
  const identity = identityOf(signer.seed)
  expect(toHex(identity.publicKey)).toBe(signer.publicKey)
  expect(toHex(identity.peerId)).toBe(signer.peerId)
  const message = fromHex(signedBytes)
  expect(toHex(await identity.sign(message))).toBe(signature)
  expect(toHex(nobleSign(fromHex(signer.seed), message))).toBe(signature)
}

/**
 * The vector's signature verifies on both backends, and stops verifying when any one byte of
 * the signed bytes, the signature or the public key is changed.
 */
export async function expectEveryByteBound(publicKey: string, signedBytes: string, signature: string): Promise<void> {
  const key = fromHex(publicKey)
  const message = fromHex(signedBytes)
  const sig = fromHex(signature)
  expect(await verifySignature(key, message, sig)).toBe(true)
  expect(nobleVerify(key, message, sig)).toBe(true)
  for (const [name, bytes] of [['signed bytes', message], ['signature', sig], ['public key', key]] as const) {
    const accepted: number[] = []
    for (let at = 0; at < bytes.length; at++) {
      bytes[at] ^= 0x01
      if (await verifySignature(key, message, sig)) accepted.push(at)
      bytes[at] ^= 0x01
    }
    expect(accepted, `offsets of the ${name} whose change still verifies`).toEqual([])
  }
}

/**
 * The test of a vector's wire bytes: `expected` encodes to the message and the frame (of it
 * alone), and they decode back to it. `what` names the message in the test's title.
 */
export function itEncodesTo(wire: { readonly message: string; readonly frame: string }, expected: () => WireMessage, what = 'the message'): void {
  it(`${what} and its frame encode to the vector's bytes and decode back to the inputs`, () => {
    const message = expected()
    expect(toHex(encodeMessage(message))).toBe(wire.message)
    expect(toHex(encodeFrame([message]))).toBe(wire.frame)
    expect(decodeMessage(fromHex(wire.message))).toEqual(message)
    expect(decodeFrame(fromHex(wire.frame))).toEqual([message])
  })
}

/**
 * The offsets of `wireHex` at which changing one byte still gives bytes that `accept` takes:
 * what the signature (or the hashed key) does not cover. A WireError (undecodable) is a refusal.
 */
export async function acceptedFlips(wireHex: string, accept: (bytes: Uint8Array) => Promise<boolean>): Promise<number[]> {
  const bytes = fromHex(wireHex)
  expect(await accept(bytes.slice()), 'the unchanged bytes are accepted').toBe(true)
  const accepted: number[] = []
  for (let at = 0; at < bytes.length; at++) {
    const changed = bytes.slice()
    changed[at] ^= 0x01
    const isAccepted = await accept(changed).catch((error: unknown) => {
      if (error instanceof WireError) return false
      throw error
    })
    if (isAccepted) accepted.push(at)
  }
  return accepted
}

/** The offsets from `start` for `length` bytes. */
export function span(start: number, length: number): number[] {
  return Array.from({ length }, (_, i) => start + i)
}
