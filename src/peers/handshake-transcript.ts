// What a handshake signature covers, and the bounds a hello must keep. Kept apart from the
// state machine in handshake.ts so the wire codec and tests can use the same rules.
//
// Transcript. Each side signs
//
//   HANDSHAKE_TAG || SHA-256(hello of the side it authenticates to) || SHA-256(its own hello)
//
// where a hello is hashed in the canonical encoding below (not the wire's), and each side
// verifies the other's signature over the mirrored message. Why this resists:
// - replay: the hello of the verifier carries the verifier's fresh 32-byte nonce, so a
//   signature from another session covers another nonce and fails;
// - reflection: the two halves are ordered (verifier's hello first), so the signature a side
//   made cannot be echoed back to it as the other side's; a side also refuses a hello with its
//   own public key (HANDSHAKE_SELF) or its own nonce, without which the halves could coincide;
// - tampering and downgrade: both whole hellos are covered (versions, capabilities, keys,
//   nonces, listen addresses), so an on-path attacker who alters, say, protocolVersion to force
//   an older version, makes the two sides hash different hellos and both signatures fail;
// - cross-protocol use: the tag (ASCII, zero-terminated, so no wasmesh tag is a prefix of
//   another) keeps a handshake signature from passing as a relay message or DHT record one.
// Not covered: a handshake authenticates the peer's key, not the connection under it. Someone
// forwarding every message unchanged between two honest nodes stays in the path; binding the
// transport's own session (the DTLS fingerprints of WebRTC, say) into the transcript would close that.

import { sha256 } from '@noble/hashes/sha2.js'
import type { HelloMessage } from './handshake.js'
import { MAX_ADDRESS_BYTES, MAX_ADDRESSES_PER_PEER, MAX_CAPABILITIES as WIRE_MAX_CAPABILITIES, MAX_CAPABILITY_BYTES } from '../wire/limits.js'
import { PUBLIC_KEY_BYTES } from './identity.js'

/** Domain tag of handshake signatures: ASCII "wasmesh/handshake/auth/v1" and a zero byte. */
export const HANDSHAKE_TAG = new TextEncoder().encode('wasmesh/handshake/auth/v1\0')
export const NONCE_BYTES = 32
// The hello's limits are the wire's (ASCII only, so characters are bytes): a hello that passes
// these checks always encodes.
export const MAX_CAPABILITIES = WIRE_MAX_CAPABILITIES
export const MAX_CAPABILITY_LENGTH = MAX_CAPABILITY_BYTES
export const MAX_LISTEN_ADDRESSES = MAX_ADDRESSES_PER_PEER
export const MAX_LISTEN_ADDRESS_LENGTH = MAX_ADDRESS_BYTES
export const MAX_VERSION = 0xffff

/** The bytes a side signs for (and the other verifies against) one handshake direction. */
export function authTranscript(verifierHelloHash: Uint8Array, signerHelloHash: Uint8Array): Uint8Array {
  const out = new Uint8Array(HANDSHAKE_TAG.length + 64)
  out.set(HANDSHAKE_TAG, 0)
  out.set(verifierHelloHash, HANDSHAKE_TAG.length)
  out.set(signerHelloHash, HANDSHAKE_TAG.length + 32)
  return out
}

/**
 * SHA-256 of a valid hello's canonical encoding: u16 protocolVersion, u16 minVersion (big
 * endian), u8 count and (u8 length, ASCII) per capability, publicKey, nonce, u8 count and
 * (u8 length, ASCII) per listen address. Every variable field is length-prefixed, so two
 * different hellos never encode alike.
 */
export function helloHash(hello: HelloMessage): Uint8Array {
  let size = 4 + 1 + PUBLIC_KEY_BYTES + NONCE_BYTES + 1
  for (const text of hello.capabilities) size += 1 + text.length
  for (const text of hello.listenAddresses) size += 1 + text.length
  const bytes = new Uint8Array(size)
  bytes[0] = hello.protocolVersion >>> 8
  bytes[1] = hello.protocolVersion & 0xff
  bytes[2] = hello.minVersion >>> 8
  bytes[3] = hello.minVersion & 0xff
  let at = writeStrings(bytes, 4, hello.capabilities)
  bytes.set(hello.publicKey, at)
  bytes.set(hello.nonce, at + PUBLIC_KEY_BYTES)
  at = writeStrings(bytes, at + PUBLIC_KEY_BYTES + NONCE_BYTES, hello.listenAddresses)
  return sha256(bytes)
}

function writeStrings(bytes: Uint8Array, at: number, texts: readonly string[]): number {
  bytes[at++] = texts.length
  for (const text of texts) {
    bytes[at++] = text.length
    for (let i = 0; i < text.length; i++) bytes[at++] = text.charCodeAt(i)
  }
  return at
}

/**
 * A copy of `value` when it is a well-formed hello, else a sentence saying what is wrong.
 * Copies, so later reuse of a decoder's buffers cannot change what was checked and signed.
 */
export function readHello(value: unknown): HelloMessage | string {
  if (typeof value !== 'object' || value === null) return 'a hello must be an object'
  const hello = value as Record<string, unknown>
  const { protocolVersion, minVersion, publicKey, nonce } = hello
  if (!isU16(protocolVersion)) return `hello protocolVersion must be an integer from 0 to ${MAX_VERSION}`
  if (!isU16(minVersion) || minVersion > protocolVersion) return `hello minVersion must be an integer from 0 to protocolVersion (${protocolVersion})`
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_BYTES) return `hello publicKey must be ${PUBLIC_KEY_BYTES} bytes`
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_BYTES) return `hello nonce must be ${NONCE_BYTES} bytes`
  const capabilities = readStrings('hello capabilities', hello.capabilities, MAX_CAPABILITIES, MAX_CAPABILITY_LENGTH)
  if (typeof capabilities === 'string') return capabilities
  const listenAddresses = readStrings('hello listenAddresses', hello.listenAddresses, MAX_LISTEN_ADDRESSES, MAX_LISTEN_ADDRESS_LENGTH)
  if (typeof listenAddresses === 'string') return listenAddresses
  return { type: 'hello', protocolVersion, minVersion, capabilities, publicKey: publicKey.slice(), nonce: nonce.slice(), listenAddresses }
}

/**
 * A copy of a list of at most `maxCount` distinct strings of 1 to `maxLength` printable ASCII
 * characters (no spaces), else a sentence saying what is wrong.
 */
export function readStrings(name: string, value: unknown, maxCount: number, maxLength: number): string[] | string {
  if (!Array.isArray(value) || value.length > maxCount) return `${name} must be an array of at most ${maxCount} strings`
  const seen = new Set<string>()
  for (const text of value) {
    if (typeof text !== 'string' || text.length < 1 || text.length > maxLength || !/^[\x21-\x7e]+$/.test(text)) {
      return `${name} must hold strings of 1 to ${maxLength} printable ASCII characters without spaces`
    }
    if (seen.has(text)) return `${name} must not repeat ${JSON.stringify(text)}`
    seen.add(text)
  }
  return [...seen]
}

function isU16(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_VERSION
}
