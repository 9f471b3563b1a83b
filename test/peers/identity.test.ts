import { createHash } from 'node:crypto'
import { inspect } from 'node:util'
import { afterEach, describe, expect, it, vi } from 'vitest'
import fc from 'fast-check'
import { Identity, isValidPublicKey, peerIdOf, verifySignature, verifySignatureSync } from '../../src/peers/identity.js'
import { seededRandom } from '../../src/util/random.js'
import type { RandomSource } from '../../src/util/random.js'
import { IdentityError } from '../../src/peers/errors.js'
import { base64url, hasSmallOrderEncoding, nobleSign, nobleVerify, webCryptoEd25519, webCryptoVerify } from '../../src/peers/identity-crypto.js'
import { ed25519 } from '@noble/curves/ed25519.js'

/** A source that hands out fixed bytes, for known-answer tests. */
function fixedRandom(bytes: Uint8Array): Pick<RandomSource, 'fill'> {
  return { fill: (into: Uint8Array) => into.set(bytes.subarray(0, into.length)) }
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'))
const text = (value: string) => new TextEncoder().encode(value)

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(IdentityError)
    return (error as IdentityError).code
  }
  return undefined
}

// RFC 8032, section 7.1, tests 1 to 3: seed, public key, message, signature.
const RFC8032 = [
  {
    seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    seed: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    publicKey: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
]

describe('Identity', () => {
  it('has a 32-byte public key and a peer id that is its SHA-256', () => {
    const identity = Identity.generate()
    expect(identity.publicKey).toHaveLength(32)
    expect(identity.peerId).toHaveLength(32)
    expect(hex(identity.peerId)).toBe(createHash('sha256').update(identity.publicKey).digest('hex'))
    expect(peerIdOf(identity.publicKey)).toEqual(identity.peerId)
    expect(isValidPublicKey(identity.publicKey)).toBe(true)
  })

  it('derives the RFC 8032 public key from a known seed', () => {
    for (const vector of RFC8032) {
      const identity = Identity.generate(fixedRandom(fromHex(vector.seed)))
      expect(hex(identity.publicKey)).toBe(vector.publicKey)
    }
  })

  it('is deterministic for a seeded random source, and distinct across seeds', () => {
    const ids = (seed: number, count: number) => {
      const random = seededRandom(seed)
      return Array.from({ length: count }, () => hex(Identity.generate(random).peerId))
    }
    expect(ids(7, 5)).toEqual(ids(7, 5))
    expect(new Set([...ids(7, 5), ...ids(8, 5)]).size).toBe(10)
  })

  it('draws one 32-byte seed from its random source per identity, and nothing more', () => {
    // The simulator makes 10,000 identities and more: each costs one draw and one key
    // derivation. How long that takes is reported by bench/identity.ts (npm run bench).
    const random = seededRandom(1)
    const fill = vi.fn((bytes: Uint8Array) => random.fill(bytes))
    const ids = new Set<string>()
    for (let i = 0; i < 100; i++) ids.add(hex(Identity.generate({ fill }).peerId))
    expect(fill.mock.calls.map(([bytes]) => bytes.length)).toEqual(new Array(100).fill(32))
    expect(ids.size).toBe(100)
  })

  it('keeps its id through export and load, also through JSON', async () => {
    const identity = Identity.generate()
    const exported = identity.export()
    expect(exported).toMatchObject({ version: 1, keyType: 'ed25519' })
    expect(exported.secretKey).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const loaded = Identity.load(JSON.parse(JSON.stringify(exported)))
    expect(loaded.peerId).toEqual(identity.peerId)
    expect(loaded.publicKey).toEqual(identity.publicKey)
    const message = text('same key, same signature')
    expect(await loaded.sign(message)).toEqual(await identity.sign(message))
  })

  it('round-trips any seed through export and load', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
        const identity = Identity.generate(fixedRandom(seed))
        const loaded = Identity.load(identity.export())
        expect(loaded.peerId).toEqual(identity.peerId)
        expect(loaded.export()).toEqual(identity.export())
      }),
      { numRuns: 100 },
    )
  })

  it('loads an export without its public key (the key is derived again)', () => {
    const identity = Identity.generate()
    const { version, keyType, secretKey } = identity.export()
    expect(Identity.load({ version, keyType, secretKey }).peerId).toEqual(identity.peerId)
  })

  it('refuses malformed exports with a typed reason', () => {
    const good = Identity.generate().export()
    const other = Identity.generate().export()
    expect(codeOf(() => Identity.load(undefined))).toBe('IDENTITY_BAD_FORMAT')
    expect(codeOf(() => Identity.load(null))).toBe('IDENTITY_BAD_FORMAT')
    expect(codeOf(() => Identity.load('{"version":1}'))).toBe('IDENTITY_BAD_FORMAT')
    expect(codeOf(() => Identity.load([good]))).toBe('IDENTITY_BAD_FORMAT')
    expect(codeOf(() => Identity.load({ ...good, version: 2 }))).toBe('IDENTITY_BAD_FORMAT')
    expect(codeOf(() => Identity.load({ ...good, keyType: 'secp256k1' }))).toBe('IDENTITY_BAD_FORMAT')
    expect(codeOf(() => Identity.load({ ...good, secretKey: undefined }))).toBe('IDENTITY_BAD_KEY')
    expect(codeOf(() => Identity.load({ ...good, secretKey: good.secretKey.slice(1) }))).toBe('IDENTITY_BAD_KEY')
    expect(codeOf(() => Identity.load({ ...good, secretKey: good.secretKey + '=' }))).toBe('IDENTITY_BAD_KEY')
    expect(codeOf(() => Identity.load({ ...good, secretKey: good.secretKey.replace(/.$/, '+') }))).toBe('IDENTITY_BAD_KEY')
    expect(codeOf(() => Identity.load({ ...good, secretKey: base64url(new Uint8Array(33)).slice(0, 43) + 'A' }))).toBe('IDENTITY_BAD_KEY')
    expect(codeOf(() => Identity.load({ ...good, publicKey: 'not base64url!' }))).toBe('IDENTITY_BAD_KEY')
    expect(codeOf(() => Identity.load({ ...good, publicKey: other.publicKey }))).toBe('IDENTITY_KEY_MISMATCH')
  })

  it('accepts only the canonical spelling of a key (the unused low bits of the last character are zero)', () => {
    const good = Identity.generate(fixedRandom(new Uint8Array(32))).export()
    // 32 zero bytes are 42 'A's and a last character whose low 4 bits are unused: only 'A' is canonical.
    expect(good.secretKey).toBe('A'.repeat(43))
    expect(codeOf(() => Identity.load({ ...good, secretKey: 'A'.repeat(42) + 'B', publicKey: undefined }))).toBe('IDENTITY_BAD_KEY')
  })

  it('throws only IdentityError for any garbage given to load', () => {
    const good = Identity.generate().export()
    const garbage = fc.oneof(
      fc.anything(),
      fc.record({ version: fc.constantFrom(1, '1', 0), keyType: fc.constantFrom('ed25519', 'x'), secretKey: fc.string(), publicKey: fc.option(fc.string()) }),
      fc.record({ version: fc.constant(1), keyType: fc.constant('ed25519'), secretKey: fc.string({ minLength: 43, maxLength: 43 }) }),
    )
    fc.assert(
      fc.property(garbage, (value) => {
        if (JSON.stringify(value) === JSON.stringify(good)) return
        let loaded: Identity | undefined
        try {
          loaded = Identity.load(value)
        } catch (error) {
          expect(error).toBeInstanceOf(IdentityError)
          return
        }
        // A 43-character string over the alphabet can be a valid seed: then it must round-trip.
        expect(Identity.load(loaded.export()).peerId).toEqual(loaded.peerId)
      }),
      { numRuns: 500 },
    )
  })

  it('never shows its secret key in JSON or inspect output, nor in load errors', () => {
    const identity = Identity.generate()
    const { secretKey } = identity.export()
    const seedHex = Buffer.from(secretKey, 'base64url').toString('hex')
    expect(JSON.stringify(identity)).not.toContain(secretKey)
    expect(inspect(identity, { depth: 5 }).replace(/[^0-9a-f]/g, '')).not.toContain(seedHex.slice(0, 16))
    try {
      Identity.load(JSON.stringify(identity.export()))
    } catch (error) {
      expect((error as Error).message).not.toContain(secretKey)
    }
  })

  it('checks its arguments', () => {
    expect(codeOf(() => peerIdOf(new Uint8Array(31)))).toBe('IDENTITY_INVALID_ARGUMENT')
    expect(codeOf(() => Identity.generate({} as RandomSource))).toBe('IDENTITY_INVALID_ARGUMENT')
    expect(codeOf(() => verifySignatureSync(new Uint8Array(33), new Uint8Array(1), new Uint8Array(64)))).toBe('IDENTITY_INVALID_ARGUMENT')
  })
})

describe('Identity with a signer', () => {
  const seed = fromHex(RFC8032[1].seed)
  // A toy scheme that records what it was asked: the public key it signs for and the message.
  const echoSigner = (publicKey: Uint8Array, message: Uint8Array) => {
    const signature = new Uint8Array(64)
    signature.set(publicKey)
    signature[32] = message.length
    return signature
  }

  it('keeps the key pair and peer id of its seed, and signs through the signer, never with Ed25519', async () => {
    const plain = Identity.generate(fixedRandom(seed))
    const signing = Identity.generate(fixedRandom(seed), { signer: echoSigner })
    expect(signing.publicKey).toEqual(plain.publicKey)
    expect(signing.peerId).toEqual(plain.peerId)
    const signature = await signing.sign(fromHex(RFC8032[1].message))
    expect(hex(signature.subarray(0, 32))).toBe(RFC8032[1].publicKey)
    expect(signature[32]).toBe(1)
    expect(await verifySignature(signing.publicKey, fromHex(RFC8032[1].message), signature)).toBe(false)
    // Without a signer the same identity signs the RFC 8032 answer.
    expect(hex(await plain.sign(fromHex(RFC8032[1].message)))).toBe(RFC8032[1].signature)
  })

  it('takes a signer on load too, and an asynchronous one', async () => {
    const exported = Identity.generate(fixedRandom(seed)).export()
    const loaded = Identity.load(exported, { signer: async (publicKey, message) => echoSigner(publicKey, message) })
    expect((await loaded.sign(new Uint8Array(5)))[32]).toBe(5)
    // The signer is not part of the export: loading it back signs with Ed25519.
    expect(hex(await Identity.load(loaded.export()).sign(fromHex(RFC8032[1].message)))).toBe(RFC8032[1].signature)
  })

  it('refuses a signer that answers anything but 64 bytes, with IDENTITY_BAD_SIGNATURE', async () => {
    for (const answer of [new Uint8Array(63), new Uint8Array(65), 'sixty-four', undefined]) {
      const identity = Identity.generate(fixedRandom(seed), { signer: () => answer as Uint8Array })
      await expect(identity.sign(new Uint8Array(1))).rejects.toMatchObject({ name: 'IdentityError', code: 'IDENTITY_BAD_SIGNATURE' })
    }
  })

  it('checks its options with IDENTITY_INVALID_ARGUMENT', () => {
    expect(codeOf(() => Identity.generate(fixedRandom(seed), { signer: 'hmac' as never }))).toBe('IDENTITY_INVALID_ARGUMENT')
    expect(codeOf(() => Identity.generate(fixedRandom(seed), { sign: echoSigner } as never))).toBe('IDENTITY_INVALID_ARGUMENT')
    expect(codeOf(() => Identity.generate(fixedRandom(seed), null as never))).toBe('IDENTITY_INVALID_ARGUMENT')
    expect(codeOf(() => Identity.load(Identity.generate().export(), { signer: 1 } as never))).toBe('IDENTITY_INVALID_ARGUMENT')
    expect(codeOf(() => Identity.generate(fixedRandom(seed), {}))).toBeUndefined()
  })
})

describe('signatures', () => {
  it('verify for the signer and message, and for nothing else', async () => {
    const alice = Identity.generate()
    const bob = Identity.generate()
    const message = text('hello mesh')
    const signature = await alice.sign(message)
    expect(signature).toHaveLength(64)
    expect(await verifySignature(alice.publicKey, message, signature)).toBe(true)
    expect(verifySignatureSync(alice.publicKey, message, signature)).toBe(true)
    expect(await verifySignature(bob.publicKey, message, signature)).toBe(false)
    expect(await verifySignature(alice.publicKey, text('hello mesH'), signature)).toBe(false)
    const flipped = signature.slice()
    flipped[10] ^= 1
    expect(await verifySignature(alice.publicKey, message, flipped)).toBe(false)
    expect(verifySignatureSync(alice.publicKey, message, flipped)).toBe(false)
    expect(await verifySignature(alice.publicKey, message, signature.subarray(0, 63))).toBe(false)
  })

  it('answer false, never throw, for a key that is not a point', async () => {
    const notAPoint = new Uint8Array(32).fill(0xff)
    expect(isValidPublicKey(notAPoint)).toBe(false)
    expect(await verifySignature(notAPoint, text('x'), new Uint8Array(64))).toBe(false)
    expect(verifySignatureSync(notAPoint, text('x'), new Uint8Array(64))).toBe(false)
  })

  it('treat small-order and non-canonical keys as invalid', () => {
    const identityPoint = new Uint8Array(32)
    identityPoint[0] = 1 // (0, 1): the neutral element, order 1
    expect(isValidPublicKey(identityPoint)).toBe(false)
    const nonCanonical = new Uint8Array(32).fill(0xff)
    nonCanonical[0] = 0xed // y = p = 2^255 - 19, which must be written as 0
    nonCanonical[31] = 0x7f
    expect(isValidPublicKey(nonCanonical)).toBe(false)
    expect(isValidPublicKey(new Uint8Array(31))).toBe(false)
  })

  it('give the point decode\'s answer for any 32 bytes, asked once or again (valid keys are remembered)', () => {
    const decodes = (bytes: Uint8Array) => {
      try {
        return !ed25519.Point.fromBytes(bytes, false).isSmallOrder()
      } catch {
        return false
      }
    }
    let valid = 0
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 255 }), (bytes, bit) => {
        const expected = decodes(bytes)
        if (expected) valid++
        expect(isValidPublicKey(bytes)).toBe(expected)
        expect(isValidPublicKey(bytes)).toBe(expected)
        // One bit off a remembered key is a key of its own.
        const other = bytes.slice()
        other[bit >> 3] ^= 1 << (bit & 7)
        expect(isValidPublicKey(other)).toBe(decodes(other))
      }),
      { numRuns: 200 },
    )
    // About half of all 32-byte strings encode a point: both answers were exercised.
    expect(valid).toBeGreaterThan(40)
    expect(valid).toBeLessThan(160)
  })

  it('refuse the signature anyone can make for a small-order key, on both paths', async () => {
    // Under the neutral element as key, R = neutral and S = 0 satisfy [S]B = R + [k]A for any
    // message; OpenSSL (WebCrypto in Node) accepts it on its own.
    const neutral = new Uint8Array(32)
    neutral[0] = 1
    const forged = new Uint8Array(64)
    forged[0] = 1
    const subtle = (await webCryptoEd25519())!
    expect(await subtle.verify('Ed25519', await subtle.importKey('raw', neutral, 'Ed25519', false, ['verify']), forged, text('any'))).toBe(true)
    expect(await verifySignature(neutral, text('any'), forged)).toBe(false)
    expect(verifySignatureSync(neutral, text('any'), forged)).toBe(false)
    expect(await webCryptoVerify(subtle, neutral, text('any'), forged)).toBe(false)
  })

  it('recognise every encoding of every small-order point, and no ordinary key', () => {
    const torsion = ed25519.Point.fromBytes(fromHex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'))
    let point = ed25519.Point.ZERO
    const encodings: Uint8Array[] = []
    for (let i = 0; i < 8; i++, point = point.add(torsion)) {
      const bytes = point.toBytes()
      const flipped = bytes.slice()
      flipped[31] ^= 0x80
      encodings.push(bytes, flipped)
    }
    // y = p and y = p + 1: non-canonical spellings of y = 0 and y = 1.
    encodings.push(fromHex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'), fromHex('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'))
    for (const encoding of encodings) {
      expect(hasSmallOrderEncoding(encoding), hex(encoding)).toBe(true)
      expect(isValidPublicKey(encoding), hex(encoding)).toBe(false)
    }
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
        expect(hasSmallOrderEncoding(Identity.generate(fixedRandom(seed)).publicKey)).toBe(false)
      }),
      { numRuns: 200 },
    )
  })

  it('match the RFC 8032 vectors on the noble and the WebCrypto paths', async () => {
    for (const vector of RFC8032) {
      const identity = Identity.generate(fixedRandom(fromHex(vector.seed)))
      const message = fromHex(vector.message)
      expect(hex(await identity.sign(message))).toBe(vector.signature)
      expect(hex(nobleSign(fromHex(vector.seed), message))).toBe(vector.signature)
    }
  })
})

describe('WebCrypto and noble interoperate', () => {
  it('this Node has Ed25519 in WebCrypto (so Identity.sign and verifySignature use it)', async () => {
    expect(await webCryptoEd25519()).not.toBeNull()
  })

  it('sign alike, and each verifies the signatures of the other', async () => {
    const subtle = (await webCryptoEd25519())!
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), async (seed, message) => {
        const identity = Identity.generate(fixedRandom(seed))
        const byWebCrypto = await identity.sign(message)
        const byNoble = nobleSign(seed, message)
        expect(byWebCrypto).toEqual(byNoble)
        expect(nobleVerify(identity.publicKey, message, byWebCrypto)).toBe(true)
        expect(await webCryptoVerify(subtle, identity.publicKey, message, byNoble)).toBe(true)
        const tampered = byNoble.slice()
        tampered[63] ^= 0x10
        expect(nobleVerify(identity.publicKey, message, tampered)).toBe(false)
        expect(await webCryptoVerify(subtle, identity.publicKey, message, tampered)).toBe(false)
      }),
      { numRuns: 50 },
    )
  })
})

describe('without WebCrypto Ed25519', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
    vi.resetModules()
  })

  it('falls back to noble for sign and verify, with the same signatures', async () => {
    const seed = fromHex(RFC8032[1].seed)
    vi.stubGlobal('crypto', { getRandomValues: <T extends ArrayBufferView>(bytes: T) => bytes })
    vi.resetModules()
    const fallback = await import('../../src/peers/identity.js')
    const crypto = await import('../../src/peers/identity-crypto.js')
    expect(await crypto.webCryptoEd25519()).toBeNull()
    const identity = fallback.Identity.generate(fixedRandom(seed))
    const message = fromHex(RFC8032[1].message)
    const signature = await identity.sign(message)
    expect(hex(signature)).toBe(RFC8032[1].signature)
    expect(await fallback.verifySignature(identity.publicKey, message, signature)).toBe(true)
    expect(await fallback.verifySignature(identity.publicKey, text('other'), signature)).toBe(false)
  })
})
