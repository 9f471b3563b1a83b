import { describe, expect, it } from 'vitest'
import { Handshake } from '../../src/peers/handshake.js'
import { authTranscript, helloHash } from '../../src/peers/handshake-transcript.js'
import { ManualClock } from '../../src/util/clock.js'
import { authLayout, authOf, canonicalHelloLayout, helloOf, isAuthenticHello, type HandshakeCase, type HandshakeSide } from './handshake-auth.js'
import { acceptedFlips, fromHex, identityOf, itEncodesTo, itPinsTheSignature, joinParts, readVectorFile, sha256Hex, toHex } from './vector-file.js'

const { cases } = readVectorFile<HandshakeCase>('handshake-auth.json')

/** A Handshake for `side` whose random source gives the vector's nonce. */
function handshakeOf(side: HandshakeSide): Handshake {
  const { hello } = side
  return new Handshake({
    identity: identityOf(side.signer.seed),
    protocolVersion: hello.protocolVersion,
    minVersion: hello.minVersion,
    capabilities: [...hello.capabilities],
    listenAddresses: [...hello.listenAddresses],
    clock: new ManualClock(),
    random: { fill: (bytes: Uint8Array) => bytes.set(fromHex(hello.nonce)) },
  })
}

describe.each(cases)('handshake vector: $name', (vector) => {
  for (const [role, other] of [['dialler', 'listener'], ['listener', 'dialler']] as const) {
    describe(`the ${role}'s side`, () => {
      const side = vector[role]
      const verifierHash = vector[other].helloHash

      it('its hello hash is SHA-256 of the documented canonical encoding of its hello', () => {
        expect(canonicalHelloLayout(side.signer.publicKey, side.hello)).toEqual(side.canonicalHelloParts)
        expect(joinParts(side.canonicalHelloParts)).toBe(side.canonicalHello)
        expect(sha256Hex(side.canonicalHello)).toBe(side.helloHash)
        expect(toHex(helloHash(helloOf(side.signer.publicKey, side.hello)))).toBe(side.helloHash)
      })

      itPinsTheSignature(side, 'authTranscript()', () => authLayout(verifierHash, side.helloHash), () =>
        authTranscript(fromHex(verifierHash), fromHex(side.helloHash)),
      )
      itEncodesTo({ message: side.helloMessage, frame: side.helloFrame }, () => helloOf(side.signer.publicKey, side.hello), 'the hello')
      itEncodesTo({ message: side.authMessage, frame: side.authFrame }, () => authOf(side.signature), 'the auth')

      it(`changing any byte of its hello on the wire breaks the auth the ${other} checks`, async () => {
        expect(await acceptedFlips(side.helloMessage, (hello) => isAuthenticHello(hello, verifierHash, side.signature))).toEqual([])
      })
    })
  }

  it("two Handshakes given the vector's keys and nonces send the vector's hellos and auths, and both authenticate", async () => {
    const { dialler, listener } = vector
    const a = handshakeOf(dialler)
    const b = handshakeOf(listener)
    const helloA = a.start()
    const helloB = b.start()
    expect(helloA).toEqual(helloOf(dialler.signer.publicKey, dialler.hello))
    expect(helloB).toEqual(helloOf(listener.signer.publicKey, listener.hello))
    const authA = await a.receive(helloB)
    const authB = await b.receive(helloA)
    expect(authA).toEqual(authOf(dialler.signature))
    expect(authB).toEqual(authOf(listener.signature))
    await a.receive(authB!)
    await b.receive(authA!)
    expect(toHex((await a.result).peerId)).toBe(listener.signer.peerId)
    expect(toHex((await b.result).peerId)).toBe(dialler.signer.peerId)
  })
})
