// Known answers for the handshake (src/peers/handshake-transcript.ts): each side's hello in the
// canonical encoding that is hashed, the transcript each side signs, its signature, and the
// hello (0x01) and auth (0x02) frames that carry them, one message a frame.

import type { HelloMessage } from '../../src/peers/handshake.js'
import { authTranscript, helloHash, readHello } from '../../src/peers/handshake-transcript.js'
import { verifySignature } from '../../src/peers/identity.js'
import { decodeMessage, encodeMessage } from '../../src/wire/codec.js'
import { encodeFrame } from '../../src/wire/frame.js'
import type { AuthMessage } from '../../src/wire/messages.js'
import { fromHex, identityOf, joinParts, sha256Hex, signerVector, tagHex, toHex, uintHex, type Part, type SignedVector } from './vector-file.js'

export interface HelloInput {
  readonly protocolVersion: number
  readonly minVersion: number
  readonly capabilities: readonly string[]
  /** 32 bytes, hex: what the random source gave this side. */
  readonly nonce: string
  readonly listenAddresses: readonly string[]
}

/** One side of a handshake: its hello, and the auth it sends once it has the other's. */
export interface HandshakeSide extends SignedVector {
  readonly hello: HelloInput
  /** The canonical encoding of the hello (not the wire's), field by field. */
  readonly canonicalHelloParts: readonly Part[]
  readonly canonicalHello: string
  /** SHA-256 of the canonical hello. */
  readonly helloHash: string
  /** encodeMessage and encodeFrame of the hello. */
  readonly helloMessage: string
  readonly helloFrame: string
  /** encodeMessage and encodeFrame of the auth carrying `signature`. */
  readonly authMessage: string
  readonly authFrame: string
}

export interface HandshakeCase {
  readonly name: string
  readonly dialler: HandshakeSide
  readonly listener: HandshakeSide
}

export function helloOf(publicKey: string, input: HelloInput): HelloMessage {
  return {
    type: 'hello', protocolVersion: input.protocolVersion, minVersion: input.minVersion, capabilities: [...input.capabilities],
    publicKey: fromHex(publicKey), nonce: fromHex(input.nonce), listenAddresses: [...input.listenAddresses],
  }
}

export function authOf(signature: string): AuthMessage {
  return { type: 'auth', signature: fromHex(signature) }
}

/** The canonical hello as docs/protocol.md lays it out: every variable field length-prefixed. */
export function canonicalHelloLayout(publicKey: string, input: HelloInput): Part[] {
  const strings = (name: string, texts: readonly string[]): Part[] => [
    [`${name} count u8`, uintHex(texts.length, 1)],
    ...texts.map((text, i): Part => [`${name} ${i + 1} (${text}): length u8 ‖ ASCII`, uintHex(text.length, 1) + toHex(new TextEncoder().encode(text))]),
  ]
  return [
    ['protocolVersion u16', uintHex(input.protocolVersion, 2)],
    ['minVersion u16', uintHex(input.minVersion, 2)],
    ...strings('capability', input.capabilities),
    ['public key', publicKey],
    ['nonce', input.nonce],
    ...strings('listen address', input.listenAddresses),
  ]
}

/** What a side signs: the tag, the hello hash of the side it authenticates to, then its own. */
export function authLayout(verifierHelloHash: string, signerHelloHash: string): Part[] {
  return [
    ['tag', tagHex('wasmesh/handshake/auth/v1')],
    ["verifier's hello hash", verifierHelloHash],
    ["signer's hello hash", signerHelloHash],
  ]
}

/** Both sides, computed by the library (helloHash, authTranscript, the wire codec) from their seeds and hellos. */
export async function handshakeCase(name: string, dialler: { seed: string; hello: HelloInput }, listener: { seed: string; hello: HelloInput }): Promise<HandshakeCase> {
  const hashOf = (side: { seed: string; hello: HelloInput }) => toHex(helloHash(helloOf(signerVector(side.seed).publicKey, side.hello)))
  const side = async (own: { seed: string; hello: HelloInput }, other: { seed: string; hello: HelloInput }): Promise<HandshakeSide> => {
    const signer = signerVector(own.seed)
    const hello = helloOf(signer.publicKey, own.hello)
    const canonicalHelloParts = canonicalHelloLayout(signer.publicKey, own.hello)
    const canonicalHello = joinParts(canonicalHelloParts)
    const ownHash = hashOf(own)
    if (sha256Hex(canonicalHello) !== ownHash) throw new Error(`${name}: helloHash() does not hash the documented canonical hello`)
    const bytes = authTranscript(fromHex(hashOf(other)), fromHex(ownHash))
    const signature = toHex(await identityOf(own.seed).sign(bytes))
    return {
      signer, hello: own.hello, canonicalHelloParts, canonicalHello, helloHash: ownHash,
      helloMessage: toHex(encodeMessage(hello)), helloFrame: toHex(encodeFrame([hello])),
      signedParts: authLayout(hashOf(other), ownHash), signedBytes: toHex(bytes), signature,
      authMessage: toHex(encodeMessage(authOf(signature))), authFrame: toHex(encodeFrame([authOf(signature)])),
    }
  }
  return { name, dialler: await side(dialler, listener), listener: await side(listener, dialler) }
}

/**
 * Whether the encoded hello `encoded` still authenticates with `signature`, the auth its
 * sender made for the verifier whose hello hash is `verifierHelloHash`: what that verifier checks.
 */
export async function isAuthenticHello(encoded: Uint8Array, verifierHelloHash: string, signature: string): Promise<boolean> {
  const message = decodeMessage(encoded)
  const hello = message.type === 'hello' ? readHello(message) : 'not a hello'
  if (typeof hello === 'string') return false
  return verifySignature(hello.publicKey, authTranscript(fromHex(verifierHelloHash), helloHash(hello)), fromHex(signature))
}
