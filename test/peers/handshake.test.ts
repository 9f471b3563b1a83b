import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it, vi } from 'vitest'
import fc from 'fast-check'
import { Handshake } from '../../src/peers/handshake.js'
import type { AuthMessage, HandshakeMessage, HandshakeOptions, HandshakeResult, HelloMessage } from '../../src/peers/handshake.js'
import { authTranscript, HANDSHAKE_TAG, helloHash, readHello } from '../../src/peers/handshake-transcript.js'
import { Identity } from '../../src/peers/identity.js'
import { HandshakeError } from '../../src/peers/errors.js'
import { ManualClock } from '../../src/util/clock.js'
import type { Clock } from '../../src/util/clock.js'
import { seededRandom } from '../../src/util/random.js'
import type { RandomSource } from '../../src/util/random.js'
import { decodeFrame, encodeFrame } from '../../src/wire/frame.js'
import { GoodbyeReason, type DecodedMessage } from '../../src/wire/messages.js'
import { DuplicateConnection, handshakeOver, MAX_EARLY_BYTES, MAX_EARLY_FRAMES, refuseConnection, TRANSIENT_CAPABILITY } from '../../src/peers/connection-handshake.js'
import { WireError } from '../../src/wire/errors.js'
import type { ResolvedOptions } from '../../src/peers/options.js'
import type { Connection } from '../../src/transport/transport.js'
import { PeerError } from '../../src/peers/errors.js'

const [alice, bob, carol, mallory] = Array.from({ length: 4 }, (_, i) => Identity.generate(seededRandom(1_000 + i)))
let nextSeed = 1

function handshake(identity: Identity, options: Partial<HandshakeOptions> = {}): Handshake {
  return new Handshake({
    identity,
    protocolVersion: 1,
    minVersion: 1,
    clock: new ManualClock(),
    random: seededRandom(nextSeed++),
    ...options,
  })
}

/** The code of the HandshakeError a promise rejects with, or 'resolved'. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'resolved'
  } catch (error) {
    expect(error).toBeInstanceOf(HandshakeError)
    return (error as HandshakeError).code
  }
}

/** Lets promise callbacks and WebCrypto completions run until `isDone()`, for at most `turns` macrotask turns (no time bound). */
/**
 * Yields event-loop turns until `isDone`. WebCrypto signs and verifies on libuv's thread pool,
 * which a busy machine may not run for many turns, so this counts no turns: it gives up (and
 * fails loudly) only after a generous 10 s of real time, never as a bound on speed.
 */
async function turnsUntil(isDone: () => boolean): Promise<void> {
  const giveUpAt = performance.now() + 10_000
  while (!isDone()) {
    if (performance.now() > giveUpAt) throw new Error('turnsUntil: the condition never held')
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
}

interface Sent {
  from: 'a' | 'b'
  message: HandshakeMessage
}

/**
 * Wires two handshakes back to back as a transport would: each message arrives in order and
 * asynchronously, `tamper` may rewrite it on the way, and a side that refuses closes the
 * connection (the other side is aborted, after the messages already delivered).
 */
function connect(a: Handshake, b: Handshake, tamper: (sent: Sent) => HandshakeMessage = (sent) => sent.message) {
  const log: Sent[] = []
  const send = (from: 'a' | 'b', message: HandshakeMessage) => {
    const sent = { from, message }
    log.push(sent)
    const to = from === 'a' ? b : a
    queueMicrotask(() => {
      void to.receive(tamper(sent)).then((reply) => {
        if (reply !== null) send(from === 'a' ? 'b' : 'a', reply)
      })
    })
  }
  a.result.catch(() => b.abort('connection closed'))
  b.result.catch(() => a.abort('connection closed'))
  send('a', a.start())
  send('b', b.start())
  return { log, settled: Promise.all([outcome(a.result), outcome(b.result)]) }
}

describe('Handshake', () => {
  it('two endpoints complete and learn each other’s id, key, version, capabilities and addresses', async () => {
    const clockA = new ManualClock()
    const clockB = new ManualClock()
    const a = handshake(alice, { capabilities: ['relay', 'dht', 'blob'], listenAddresses: ['memory://a'], clock: clockA })
    const b = handshake(bob, { capabilities: ['dht', 'relay', 'bootstrap'], listenAddresses: ['ws://127.0.0.1:7777', 'memory://b'], clock: clockB })
    const { settled } = connect(a, b)
    expect(await settled).toEqual(['resolved', 'resolved'])
    const [fromA, fromB] = [await a.result, await b.result]
    expect(fromA).toEqual<HandshakeResult>({
      peerId: bob.peerId,
      publicKey: bob.publicKey,
      version: 1,
      capabilities: ['relay', 'dht'],
      remoteCapabilities: ['dht', 'relay', 'bootstrap'],
      listenAddresses: ['ws://127.0.0.1:7777', 'memory://b'],
    })
    expect(fromB.peerId).toEqual(alice.peerId)
    expect(fromB.capabilities).toEqual(['dht', 'relay'])
    expect(fromB.listenAddresses).toEqual(['memory://a'])
    expect([a.state, b.state]).toEqual(['done', 'done'])
    expect([clockA.pending, clockB.pending]).toEqual([0, 0])
  })

  it('completes when the dialer expects exactly the id it reaches', async () => {
    const { settled } = connect(handshake(alice, { expectedPeerId: bob.peerId }), handshake(bob))
    expect(await settled).toEqual(['resolved', 'resolved'])
  })

  it('answers a hello with an auth and an auth with nothing, step by step', async () => {
    const a = handshake(alice)
    const b = handshake(bob)
    const helloA = a.start()
    const helloB = b.start()
    expect(helloA).toMatchObject({ type: 'hello', protocolVersion: 1, minVersion: 1, capabilities: [], listenAddresses: [] })
    expect(helloA.publicKey).toEqual(alice.publicKey)
    expect(helloA.nonce).toHaveLength(32)
    expect(a.state).toBe('awaiting-hello')
    const authA = await a.receive(helloB)
    expect(authA?.type).toBe('auth')
    expect(authA?.signature).toHaveLength(64)
    expect(a.state).toBe('awaiting-auth')
    const authB = (await b.receive(helloA))!
    expect(await a.receive(authB)).toBeNull()
    expect(await b.receive(authA!)).toBeNull()
    expect((await a.result).peerId).toEqual(bob.peerId)
    expect((await b.result).peerId).toEqual(alice.peerId)
  })

  it('processes messages in order even when the caller does not await receive()', async () => {
    const a = handshake(alice)
    const b = handshake(bob)
    const helloA = a.start()
    const helloB = b.start()
    const authA = a.receive(helloB)
    const authB = (await b.receive(helloA))!
    // The auth is passed in while the hello before it may still be signing.
    void a.receive(authB)
    void b.receive((await authA)!)
    expect((await a.result).peerId).toEqual(bob.peerId)
    expect((await b.result).peerId).toEqual(alice.peerId)
  })

  it('uses a fresh nonce per handshake, from the injected source', () => {
    const nonces = [1, 2, 3].map(() => Buffer.from(handshake(alice).start().nonce).toString('hex'))
    expect(new Set(nonces).size).toBe(3)
    const again = (seed: number) => handshake(alice, { random: seededRandom(seed) }).start().nonce
    expect(again(42)).toEqual(again(42))
  })
})

describe('version N and N+1 side by side', () => {
  it('a node at 2 (min 1) and one at 1 (min 1) complete and speak 1', async () => {
    const newer = handshake(alice, { protocolVersion: 2, minVersion: 1, capabilities: ['relay', 'blob-v2'] })
    const older = handshake(bob, { protocolVersion: 1, minVersion: 1, capabilities: ['relay'] })
    const { settled } = connect(newer, older)
    expect(await settled).toEqual(['resolved', 'resolved'])
    expect((await newer.result).version).toBe(1)
    expect((await older.result).version).toBe(1)
    expect((await newer.result).capabilities).toEqual(['relay'])
    expect((await older.result).capabilities).toEqual(['relay'])
    expect((await older.result).remoteCapabilities).toEqual(['relay', 'blob-v2'])
  })

  it('two nodes at 2 (min 1) speak 2', async () => {
    const a = handshake(alice, { protocolVersion: 2, minVersion: 1 })
    const b = handshake(bob, { protocolVersion: 2, minVersion: 1 })
    expect(await connect(a, b).settled).toEqual(['resolved', 'resolved'])
    expect([(await a.result).version, (await b.result).version]).toEqual([2, 2])
  })

  it('a node at 3 (min 3) and one at 1 (min 1) both refuse with HANDSHAKE_VERSION', async () => {
    const newest = handshake(alice, { protocolVersion: 3, minVersion: 3 })
    const oldest = handshake(bob, { protocolVersion: 1, minVersion: 1 })
    expect(await connect(newest, oldest).settled).toEqual(['HANDSHAKE_VERSION', 'HANDSHAKE_VERSION'])
    await expect(newest.result).rejects.toThrow(/we speak 3 to 3, the remote 1 to 1/)
    await expect(oldest.result).rejects.toThrow(/we speak 1 to 1, the remote 3 to 3/)
  })

  it('any two version ranges: both complete on the smaller version when they overlap, both refuse when not', async () => {
    const range = fc.integer({ min: 0, max: 6 }).chain((min) => fc.record({ minVersion: fc.constant(min), protocolVersion: fc.integer({ min, max: 6 }) }))
    await fc.assert(
      fc.asyncProperty(range, range, async (x, y) => {
        const a = handshake(alice, x)
        const b = handshake(bob, y)
        const overlaps = x.minVersion <= y.protocolVersion && y.minVersion <= x.protocolVersion
        const settled = await connect(a, b).settled
        if (!overlaps) {
          expect(settled).toEqual(['HANDSHAKE_VERSION', 'HANDSHAKE_VERSION'])
          return
        }
        expect(settled).toEqual(['resolved', 'resolved'])
        const version = Math.min(x.protocolVersion, y.protocolVersion)
        expect([(await a.result).version, (await b.result).version]).toEqual([version, version])
      }),
      { numRuns: 60 },
    )
  })
})

describe('refusals', () => {
  it('a forged signature (a hello with Alice’s key, signed by Mallory) is HANDSHAKE_BAD_SIGNATURE', async () => {
    const b = handshake(bob)
    const helloB = b.start()
    const forgedHello: HelloMessage = { type: 'hello', protocolVersion: 1, minVersion: 1, capabilities: [], publicKey: alice.publicKey, nonce: new Uint8Array(32).fill(9), listenAddresses: [] }
    expect(await b.receive(forgedHello)).not.toBeNull()
    const signature = await mallory.sign(authTranscript(helloHash(helloB), helloHash(forgedHello)))
    await b.receive({ type: 'auth', signature })
    expect(await outcome(b.result)).toBe('HANDSHAKE_BAD_SIGNATURE')
    expect(b.state).toBe('failed')
  })

  it('a signature by the right key over another payload (no domain tag) is HANDSHAKE_BAD_SIGNATURE', async () => {
    const b = handshake(bob)
    const helloB = b.start()
    const helloA = handshake(alice).start()
    await b.receive(helloA)
    const untagged = authTranscript(helloHash(helloB), helloHash(helloA)).subarray(HANDSHAKE_TAG.length)
    await b.receive({ type: 'auth', signature: await alice.sign(untagged) })
    expect(await outcome(b.result)).toBe('HANDSHAKE_BAD_SIGNATURE')
  })

  it('a key other than the dialled one is HANDSHAKE_ID_MISMATCH on the dialer', async () => {
    const dialer = handshake(alice, { expectedPeerId: bob.peerId })
    const { settled } = connect(dialer, handshake(mallory))
    expect(await settled).toEqual(['HANDSHAKE_ID_MISMATCH', 'HANDSHAKE_ABORTED'])
  })

  it('Bob’s hello with its public key swapped in transit is HANDSHAKE_ID_MISMATCH on the dialer', async () => {
    const dialer = handshake(alice, { expectedPeerId: bob.peerId })
    const swap = ({ from, message }: Sent): HandshakeMessage => (from === 'b' && message.type === 'hello' ? { ...message, publicKey: carol.publicKey } : message)
    const { settled } = connect(dialer, handshake(bob), swap)
    expect(await settled).toEqual(['HANDSHAKE_ID_MISMATCH', 'HANDSHAKE_ABORTED'])
  })

  it('a swapped public key without an expected id fails the signature instead', async () => {
    const swap = ({ from, message }: Sent): HandshakeMessage => (from === 'b' && message.type === 'hello' ? { ...message, publicKey: carol.publicKey } : message)
    const { settled } = connect(handshake(alice), handshake(bob), swap)
    // Alice checks Bob's auth against Carol's key; Bob checks Alice's auth over the hello he
    // sent, not the one Alice saw, so both refuse.
    expect(await settled).toEqual(['HANDSHAKE_BAD_SIGNATURE', 'HANDSHAKE_BAD_SIGNATURE'])
  })

  it('a downgrade in transit (Alice’s hello rewritten to version 1 only) fails both signatures', async () => {
    const downgrade = ({ from, message }: Sent): HandshakeMessage => (from === 'a' && message.type === 'hello' ? { ...message, protocolVersion: 1, minVersion: 1 } : message)
    const a = handshake(alice, { protocolVersion: 2, minVersion: 1 })
    const b = handshake(bob, { protocolVersion: 2, minVersion: 1 })
    expect(await connect(a, b, downgrade).settled).toEqual(['HANDSHAKE_BAD_SIGNATURE', 'HANDSHAKE_BAD_SIGNATURE'])
  })

  it('an auth replayed from another session is HANDSHAKE_BAD_SIGNATURE', async () => {
    const first = connect(handshake(alice), handshake(bob))
    expect(await first.settled).toEqual(['resolved', 'resolved'])
    const bobHello = first.log.find((sent) => sent.from === 'b' && sent.message.type === 'hello')!.message
    const bobAuth = first.log.find((sent) => sent.from === 'b' && sent.message.type === 'auth')!.message
    // Mallory replays Bob's messages to a new session of Alice's: the nonce Alice chose is new.
    const a = handshake(alice)
    a.start()
    expect(await a.receive(bobHello)).not.toBeNull()
    await a.receive(bobAuth)
    expect(await outcome(a.result)).toBe('HANDSHAKE_BAD_SIGNATURE')
  })

  it('Alice’s own hello echoed back to her is HANDSHAKE_SELF', async () => {
    const a = handshake(alice)
    const hello = a.start()
    await a.receive(hello)
    expect(await outcome(a.result)).toBe('HANDSHAKE_SELF')
  })

  it('a node connected to itself refuses on both ends with HANDSHAKE_SELF', async () => {
    expect(await connect(handshake(alice), handshake(alice)).settled).toEqual(['HANDSHAKE_SELF', 'HANDSHAKE_SELF'])
  })

  it('Alice’s own auth reflected back to her is HANDSHAKE_BAD_SIGNATURE', async () => {
    const a = handshake(alice)
    const m = handshake(mallory)
    a.start()
    const authA = (await a.receive(m.start()))!
    await a.receive(authA)
    expect(await outcome(a.result)).toBe('HANDSHAKE_BAD_SIGNATURE')
  })

  it('a hello that reflects Alice’s nonce under another key is HANDSHAKE_BAD_MESSAGE', async () => {
    const a = handshake(alice)
    const helloA = a.start()
    await a.receive({ ...handshake(mallory).start(), nonce: helloA.nonce })
    expect(await outcome(a.result)).toBe('HANDSHAKE_BAD_MESSAGE')
  })

  it('a public key that is not a valid point, or of small order, is HANDSHAKE_BAD_KEY', async () => {
    const smallOrder = new Uint8Array(32)
    smallOrder[0] = 1
    for (const publicKey of [new Uint8Array(32).fill(0xff), smallOrder]) {
      const a = handshake(alice)
      a.start()
      await a.receive({ ...handshake(mallory).start(), publicKey })
      expect(await outcome(a.result)).toBe('HANDSHAKE_BAD_KEY')
    }
  })

  it('an auth before the hello, a second hello, or an unknown message is HANDSHAKE_UNEXPECTED_MESSAGE', async () => {
    const early = handshake(alice)
    early.start()
    await early.receive({ type: 'auth', signature: new Uint8Array(64) })
    expect(await outcome(early.result)).toBe('HANDSHAKE_UNEXPECTED_MESSAGE')
    await expect(early.result).rejects.toThrow(/before the hello/)

    const twice = handshake(alice)
    twice.start()
    const helloB = handshake(bob).start()
    await twice.receive(helloB)
    await twice.receive(helloB)
    expect(await outcome(twice.result)).toBe('HANDSHAKE_UNEXPECTED_MESSAGE')
    await expect(twice.result).rejects.toThrow(/second hello/)

    const unknown = handshake(alice)
    unknown.start()
    await unknown.receive({ type: 'ping' } as unknown as HandshakeMessage)
    expect(await outcome(unknown.result)).toBe('HANDSHAKE_UNEXPECTED_MESSAGE')

    // A type that cannot even be turned into a string is still just an unexpected message.
    const weird = handshake(alice)
    weird.start()
    await weird.receive({ type: Object.create(null) } as unknown as HandshakeMessage)
    expect(await outcome(weird.result)).toBe('HANDSHAKE_UNEXPECTED_MESSAGE')
  })

  it('malformed hello and auth fields are HANDSHAKE_BAD_MESSAGE', async () => {
    const base = handshake(mallory).start()
    const bad: Array<Record<string, unknown>> = [
      { ...base, protocolVersion: 65_536 },
      { ...base, protocolVersion: 1.5 },
      { ...base, minVersion: 2, protocolVersion: 1 },
      { ...base, publicKey: new Uint8Array(31) },
      { ...base, publicKey: Array.from(base.publicKey) },
      { ...base, nonce: new Uint8Array(33) },
      { ...base, capabilities: Array.from({ length: 17 }, (_, i) => `c${i}`) },
      { ...base, capabilities: ['x'.repeat(33)] },
      { ...base, capabilities: ['has space'] },
      { ...base, capabilities: ['é'] },
      { ...base, capabilities: ['dht', 'dht'] },
      { ...base, capabilities: [''] },
      { ...base, capabilities: 'dht' },
      { ...base, listenAddresses: ['x'.repeat(257)] },
      { ...base, listenAddresses: Array.from({ length: 9 }, (_, i) => `memory://${i}`) },
      { ...base, listenAddresses: undefined },
    ]
    for (const message of bad) {
      const a = handshake(alice)
      a.start()
      await a.receive(message as unknown as HandshakeMessage)
      expect(await outcome(a.result), JSON.stringify(Object.keys(message))).toBe('HANDSHAKE_BAD_MESSAGE')
    }
    const a = handshake(alice)
    a.start()
    await a.receive(base)
    await a.receive({ type: 'auth', signature: new Uint8Array(63) })
    expect(await outcome(a.result)).toBe('HANDSHAKE_BAD_MESSAGE')
  })

  it('any junk in place of a message settles the result with a HandshakeError, never anything else', async () => {
    const helloish = fc.record(
      {
        type: fc.constantFrom('hello', 'auth', 'other'),
        protocolVersion: fc.oneof(fc.integer({ min: -2, max: 70_000 }), fc.double(), fc.string()),
        minVersion: fc.oneof(fc.integer({ min: -2, max: 70_000 }), fc.constant(undefined)),
        capabilities: fc.oneof(fc.array(fc.string({ maxLength: 40 }), { maxLength: 20 }), fc.anything()),
        publicKey: fc.oneof(fc.uint8Array({ minLength: 30, maxLength: 33 }), fc.anything()),
        nonce: fc.oneof(fc.uint8Array({ minLength: 31, maxLength: 33 }), fc.anything()),
        listenAddresses: fc.oneof(fc.array(fc.string({ maxLength: 300 }), { maxLength: 20 }), fc.anything()),
        signature: fc.oneof(fc.uint8Array({ minLength: 63, maxLength: 65 }), fc.anything()),
      },
      { requiredKeys: ['type'] },
    )
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(helloish, fc.anything()), { minLength: 1, maxLength: 3 }), async (messages) => {
        const a = handshake(alice, { timeoutMs: 1 })
        a.start()
        for (const message of messages) expect(await a.receive(message as HandshakeMessage)).toSatisfy((reply) => reply === null || (reply as AuthMessage).type === 'auth')
        a.abort()
        expect(await outcome(a.result)).toMatch(/^HANDSHAKE_/)
      }),
      { numRuns: 300 },
    )
  })
})

describe('timeouts, abort and lifecycle', () => {
  it('times out after 10 s by default, with the injected clock, and leaves no timer', async () => {
    const clock = new ManualClock()
    const a = handshake(alice, { clock })
    a.start()
    expect(clock.pending).toBe(1)
    clock.advance(9_999)
    expect(a.state).toBe('awaiting-hello')
    clock.advance(1)
    expect(await outcome(a.result)).toBe('HANDSHAKE_TIMEOUT')
    expect(clock.pending).toBe(0)
  })

  it('times out after timeoutMs while waiting for the auth', async () => {
    const clock = new ManualClock()
    const a = handshake(alice, { clock, timeoutMs: 500 })
    a.start()
    await a.receive(handshake(bob).start())
    expect(a.state).toBe('awaiting-auth')
    clock.advance(500)
    expect(await outcome(a.result)).toBe('HANDSHAKE_TIMEOUT')
    await expect(a.result).rejects.toThrow(/within 500 ms/)
  })

  it('clears its timer on every refusal', async () => {
    const clockA = new ManualClock()
    const clockB = new ManualClock()
    const a = handshake(alice, { clock: clockA, protocolVersion: 3, minVersion: 3 })
    const b = handshake(bob, { clock: clockB })
    expect(await connect(a, b).settled).toEqual(['HANDSHAKE_VERSION', 'HANDSHAKE_VERSION'])
    expect([clockA.pending, clockB.pending]).toEqual([0, 0])
  })

  it('uses the system clock by default and clears it (no timer keeps the process alive)', async () => {
    const a = new Handshake({ identity: alice, protocolVersion: 1, timeoutMs: 60_000 })
    const b = new Handshake({ identity: bob, protocolVersion: 1, timeoutMs: 60_000 })
    const clear = vi.spyOn(globalThis, 'clearTimeout')
    try {
      expect(await connect(a, b).settled).toEqual(['resolved', 'resolved'])
      expect(clear).toHaveBeenCalledTimes(2)
    } finally {
      clear.mockRestore()
    }
  })

  it('abort() refuses with HANDSHAKE_ABORTED and its reason, once', async () => {
    const clock = new ManualClock()
    const a = handshake(alice, { clock })
    a.start()
    a.abort('connection closed')
    const error = await a.result.catch((reason: unknown) => reason)
    expect(error).toBeInstanceOf(HandshakeError)
    expect(error).toMatchObject({ code: 'HANDSHAKE_ABORTED', cause: 'connection closed' })
    expect(clock.pending).toBe(0)
    a.abort('again')
    clock.advance(60_000)
    expect(await a.receive(handshake(bob).start())).toBeNull()
  })

  it('an AbortSignal aborts it, and its listener is removed once settled', async () => {
    const controller = new AbortController()
    const a = handshake(alice, { signal: controller.signal })
    a.start()
    controller.abort(new Error('node stopping'))
    expect(await outcome(a.result)).toBe('HANDSHAKE_ABORTED')

    const done = new AbortController()
    const remove = vi.spyOn(done.signal, 'removeEventListener')
    const b = handshake(bob, { signal: done.signal })
    expect(await connect(handshake(carol), b).settled).toEqual(['resolved', 'resolved'])
    expect(remove).toHaveBeenCalledWith('abort', expect.any(Function))
    done.abort()
    expect((await b.result).peerId).toEqual(carol.peerId)

    const already = handshake(alice, { signal: AbortSignal.abort() })
    expect(await outcome(already.result)).toBe('HANDSHAKE_ABORTED')
  })

  it('a message after the result is ignored', async () => {
    const a = handshake(alice)
    const b = handshake(bob)
    const { log, settled } = connect(a, b)
    expect(await settled).toEqual(['resolved', 'resolved'])
    const authB = log.find((sent) => sent.from === 'b' && sent.message.type === 'auth')!.message
    expect(await a.receive(authB)).toBeNull()
    expect(a.state).toBe('done')
  })

  it('must be started once, before it receives', () => {
    const a = handshake(alice)
    expect(() => a.receive(handshake(bob).start())).toThrow(expect.objectContaining({ code: 'HANDSHAKE_INVALID_STATE' }))
    a.start()
    expect(() => a.start()).toThrow(expect.objectContaining({ code: 'HANDSHAKE_INVALID_STATE' }))
  })

  it('checks the remote auth with its verify, over the transcript, and refuses what verify refuses', async () => {
    // A toy scheme: SHA-256 of key and message, padded to 64 bytes.
    const toySign = (publicKey: Uint8Array, message: Uint8Array) => {
      const signature = new Uint8Array(64)
      signature.set(sha256(new Uint8Array([...publicKey, ...message])))
      return signature
    }
    const calls: { key: Uint8Array; message: Uint8Array }[] = []
    const toyVerify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => {
      calls.push({ key: publicKey, message })
      return signature.every((byte, i) => byte === toySign(publicKey, message)[i])
    }
    const a = handshake(Identity.load(alice.export(), { signer: toySign }), { verify: toyVerify })
    const b = handshake(Identity.load(bob.export(), { signer: toySign }), { verify: toyVerify })
    const { settled, log } = connect(a, b)
    expect(await settled).toEqual(['resolved', 'resolved'])
    const helloOf = (from: 'a' | 'b') => log.find((sent) => sent.from === from && sent.message.type === 'hello')!.message as HelloMessage
    // Each side checks the other's key over its own transcript: the hash of its hello, then the remote's.
    expect(calls).toEqual(expect.arrayContaining([
      { key: alice.publicKey, message: authTranscript(helloHash(helloOf('b')), helloHash(helloOf('a'))) },
      { key: bob.publicKey, message: authTranscript(helloHash(helloOf('a')), helloHash(helloOf('b'))) },
    ]))
    expect(calls).toHaveLength(2)
    // Without a verify the default Ed25519 check refuses the stand-in's signatures.
    const c = handshake(Identity.load(alice.export(), { signer: toySign }), { verify: toyVerify })
    expect((await connect(c, handshake(carol)).settled)[1]).toBe('HANDSHAKE_BAD_SIGNATURE')
    // And a verify that answers false refuses an honest Ed25519 peer.
    expect((await connect(handshake(alice), handshake(bob, { verify: async () => false })).settled)[1]).toBe('HANDSHAKE_BAD_SIGNATURE')
  })

  it('validates its options with a clear message', () => {
    const attempt = (options: Partial<HandshakeOptions>) => () => new Handshake({ identity: alice, protocolVersion: 1, ...options } as HandshakeOptions)
    const invalid = (message: RegExp) => expect.objectContaining({ code: 'HANDSHAKE_INVALID_OPTION', message: expect.stringMatching(message) })
    expect(attempt({ identity: {} as Identity })).toThrow(invalid(/identity must be an Identity/))
    expect(attempt({ protocolVersion: 70_000 })).toThrow(invalid(/protocolVersion must be an integer from 0 to 65535, got 70000/))
    expect(attempt({ protocolVersion: 1, minVersion: 2 })).toThrow(invalid(/minVersion must be an integer from 0 to 1, got 2/))
    expect(attempt({ capabilities: ['a b'] })).toThrow(invalid(/capabilities must hold strings/))
    expect(attempt({ listenAddresses: Array.from({ length: 9 }, (_, i) => `memory://${i}`) })).toThrow(invalid(/at most 8/))
    expect(attempt({ listenAddresses: ['m'.repeat(257)] })).toThrow(invalid(/1 to 256 printable/))
    expect(attempt({ expectedPeerId: new Uint8Array(20) })).toThrow(invalid(/expectedPeerId must be a Uint8Array of 32 bytes, got Uint8Array\(20\)/))
    expect(attempt({ timeoutMs: 0 })).toThrow(invalid(/timeoutMs must be an integer from 1/))
    expect(attempt({ clock: {} as Clock })).toThrow(invalid(/clock must have/))
    expect(attempt({ random: {} as RandomSource })).toThrow(invalid(/random must have/))
    expect(attempt({ verify: true as never })).toThrow(invalid(/^verify must be a function, got true$/))
    expect(attempt({ minVersion: undefined, protocolVersion: 4 })().start().minVersion).toBe(4)
  })

  it('sends any hello its options allow: the largest capabilities and addresses still encode', () => {
    const hello = new Handshake({
      identity: alice,
      protocolVersion: 1,
      capabilities: Array.from({ length: 16 }, (_, i) => `${i}`.padEnd(32, 'c')),
      listenAddresses: Array.from({ length: 8 }, (_, i) => `${i}`.padEnd(256, 'a')),
    }).start()
    expect(decodeFrame(encodeFrame([hello]))).toEqual([hello])
  })
})

describe('copies, option types and settling while crypto runs', () => {
  it('refuses options that are not an object, and a signal that is not an AbortSignal', () => {
    const invalid = (message: RegExp) => expect.objectContaining({ code: 'HANDSHAKE_INVALID_OPTION', message: expect.stringMatching(message) })
    for (const options of [null, undefined, 'alice', 1]) {
      expect(() => new Handshake(options as unknown as HandshakeOptions)).toThrow(invalid(/^Handshake options must be an object$/))
    }
    const notASignal = { aborted: false, addEventListener() {}, removeEventListener() {} } as unknown as AbortSignal
    expect(() => handshake(alice, { signal: notASignal })).toThrow(invalid(/^signal must be an AbortSignal$/))
  })

  it('the hello start() returns is a copy: changing it changes neither what the handshake signs nor what it offers', async () => {
    const a = handshake(alice, { capabilities: ['dht'], listenAddresses: ['memory://a'] })
    const b = handshake(bob, { capabilities: ['dht'] })
    const helloA = a.start()
    const sent: HelloMessage = { ...helloA, capabilities: [...helloA.capabilities], publicKey: helloA.publicKey.slice(), nonce: helloA.nonce.slice(), listenAddresses: [...helloA.listenAddresses] }
    helloA.capabilities.push('relay')
    helloA.listenAddresses[0] = 'memory://elsewhere'
    helloA.nonce.fill(0)
    helloA.publicKey.fill(0)
    const authA = (await a.receive(b.start()))!
    const authB = (await b.receive(sent))!
    await a.receive(authB)
    await b.receive(authA)
    expect(await outcome(a.result)).toBe('resolved')
    expect(await outcome(b.result)).toBe('resolved')
    expect((await b.result).remoteCapabilities).toEqual(['dht'])
    expect((await b.result).listenAddresses).toEqual(['memory://a'])
    expect((await b.result).publicKey).toEqual(alice.publicKey)
  })

  it('a timeout while our auth is being signed fails the handshake and sends no auth', async () => {
    const clock = new ManualClock()
    const a = handshake(alice, { clock, timeoutMs: 500 })
    let release!: (signature: Uint8Array) => void
    const sign = vi.spyOn(alice, 'sign').mockImplementationOnce(() => new Promise((resolve) => (release = resolve)))
    try {
      a.start()
      const reply = a.receive(handshake(bob).start())
      await turnsUntil(() => sign.mock.calls.length > 0)
      expect(sign).toHaveBeenCalledTimes(1)
      clock.advance(500)
      release(new Uint8Array(64))
      expect(await reply).toBeNull()
      expect(await outcome(a.result)).toBe('HANDSHAKE_TIMEOUT')
      expect(a.state).toBe('failed')
    } finally {
      sign.mockRestore()
    }
  })

  it('a timeout while the remote auth is being verified leaves the handshake failed, though the signature then verifies', async () => {
    const clock = new ManualClock()
    const a = handshake(alice, { clock, timeoutMs: 500 })
    const b = handshake(bob)
    const helloA = a.start()
    const helloB = b.start()
    await a.receive(helloB)
    const authB = (await b.receive(helloA))!
    const subtle = globalThis.crypto.subtle
    const verify = subtle.verify.bind(subtle)
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const spy = vi.spyOn(subtle, 'verify').mockImplementationOnce(async (...args: Parameters<SubtleCrypto['verify']>) => {
      await gate
      return verify(...args)
    })
    try {
      const done = a.receive(authB)
      await turnsUntil(() => spy.mock.calls.length > 0)
      expect(spy).toHaveBeenCalledTimes(1) // WebCrypto verifies here (Node has Ed25519)
      clock.advance(500)
      release()
      expect(await done).toBeNull()
      expect(await outcome(a.result)).toBe('HANDSHAKE_TIMEOUT')
      expect(a.state).toBe('failed')
    } finally {
      spy.mockRestore()
    }
  })
})

describe('hello bounds at their edges', () => {
  it('refuses negative versions and strings with a non-printable character at either end; takes 0 to 65535 and ! to ~', async () => {
    const base = handshake(mallory).start()
    const refused: Array<Record<string, unknown>> = [
      { ...base, protocolVersion: -1, minVersion: -1 },
      { ...base, minVersion: -1 },
      { ...base, capabilities: ['é!'] },
      { ...base, capabilities: ['!é'] },
      { ...base, capabilities: ['a\x7f'] },
      { ...base, listenAddresses: [' memory://m'] },
    ]
    for (const message of refused) {
      const a = handshake(alice)
      a.start()
      expect(await a.receive(message as unknown as HandshakeMessage), JSON.stringify(message.capabilities)).toBeNull()
      expect(a.state).toBe('failed')
      expect(await outcome(a.result)).toBe('HANDSHAKE_BAD_MESSAGE')
    }
    const edges = { ...base, protocolVersion: 65_535, minVersion: 0, capabilities: ['!', '~', '!~'.repeat(16)], listenAddresses: ['m'.repeat(256)] }
    const a = handshake(alice, { protocolVersion: 1, minVersion: 0 })
    a.start()
    expect((await a.receive(edges))?.type).toBe('auth')
    expect(a.state).toBe('awaiting-auth')
  })
})

describe('readHello', () => {
  it('says what is wrong with a hello that is not one, field by field', () => {
    const base = handshake(mallory).start()
    expect([null, undefined, 'hello', 7].map((value) => readHello(value))).toEqual(Array(4).fill('a hello must be an object'))
    expect(readHello({ ...base, protocolVersion: -1 })).toBe('hello protocolVersion must be an integer from 0 to 65535')
    expect(readHello({ ...base, minVersion: 2, protocolVersion: 1 })).toBe('hello minVersion must be an integer from 0 to protocolVersion (1)')
    expect(readHello({ ...base, publicKey: new Uint8Array(31) })).toBe('hello publicKey must be 32 bytes')
    expect(readHello({ ...base, nonce: new Uint8Array(31) })).toBe('hello nonce must be 32 bytes')
    expect(readHello({ ...base, capabilities: ['a b'] })).toBe('hello capabilities must hold strings of 1 to 32 printable ASCII characters without spaces')
    expect(readHello({ ...base, listenAddresses: ['m', 'm'] })).toBe('hello listenAddresses must not repeat "m"')
  })

  it('returns a copy, so a decoder reusing its buffers cannot change what was checked', () => {
    const base = handshake(mallory).start()
    const read = readHello(base) as HelloMessage
    expect(read).toEqual(base)
    base.publicKey.fill(0)
    base.nonce.fill(0)
    expect(read.publicKey).toEqual(mallory.publicKey)
    expect(read.nonce).not.toEqual(base.nonce)
  })
})

describe('handshakeOver: the handshake on a connection', () => {
  /** A connection whose far end the test plays by hand: what we send is decoded into `sent`. */
  function fakeConnection() {
    const sent: DecodedMessage[][] = []
    let deliverFrame: (frame: Uint8Array) => void = () => {}
    let closed: (info: { initiator: 'local'; reason: string }) => void = () => {}
    const connection = {
      isOpen: true,
      closeReason: undefined as string | undefined,
      send(frame: Uint8Array) { sent.push(decodeFrame(frame, { unknownTypes: 'return' })); return true },
      close(reason = '') {
        if (!connection.isOpen) return
        connection.isOpen = false
        connection.closeReason = reason
        closed({ initiator: 'local', reason })
      },
      onMessage(handler: (frame: Uint8Array) => void) { deliverFrame = handler },
      onClose(handler: typeof closed) { closed = handler },
      onDrain() {},
    }
    return { connection, sent, deliver: (messages: DecodedMessage[]) => deliverFrame(encodeFrame(messages)) }
  }

  function options(identity: Identity): ResolvedOptions {
    return { identity, protocolVersion: 1, minVersion: 1, capabilities: ['dht'], transport: { localAddress: 'memory://me' }, clock: new ManualClock(), random: seededRandom(nextSeed++), handshakeTimeoutMs: 10_000 } as unknown as ResolvedOptions
  }

  const subscribe = (topic: string): DecodedMessage => ({ type: 'subscribe', topics: [topic] })

  /** Runs alice's handshakeOver against bob played by hand, up to bob's auth delivered; `after` is sent right behind it. */
  async function upToRemoteAuth(after: DecodedMessage[][], remoteOptions: Partial<HandshakeOptions> = {}, onBuffered?: (deltaBytes: number) => void) {
    const fake = fakeConnection()
    const run = handshakeOver(fake.connection as unknown as Connection, options(alice), { screen: () => undefined, onBuffered })
    run.catch(() => {})
    const remote = handshake(bob, remoteOptions)
    fake.deliver([remote.start()])
    await turnsUntil(() => fake.sent.length >= 2)
    const ourHello = fake.sent[0][0] as HelloMessage
    const authB = (await remote.receive({ ...ourHello, capabilities: [...ourHello.capabilities], listenAddresses: [...ourHello.listenAddresses] }))!
    await remote.receive(fake.sent[1][0] as AuthMessage)
    // Bob's session frames follow his auth at once: they arrive while alice verifies it.
    fake.deliver([authB])
    for (const messages of after) fake.deliver(messages)
    return { ...fake, run }
  }

  it('keeps up to 64 session frames that arrive behind the remote auth, while it is verified, in order, for the session', async () => {
    const { connection, sent, run } = await upToRemoteAuth(Array.from({ length: 64 }, (_, i) => [subscribe(`t${i}`)]))
    const { result, earlyFrames } = await run
    expect(sent[0][0]).toMatchObject({ type: 'hello', capabilities: ['dht'], listenAddresses: ['memory://me'] })
    expect(result.peerId).toEqual(bob.peerId)
    expect(earlyFrames.map((frame) => decodeFrame(frame))).toEqual(Array.from({ length: 64 }, (_, i) => [subscribe(`t${i}`)]))
    expect(connection.isOpen).toBe(true)
  })

  it('a 65th early session frame, or more than MAX_EARLY_BYTES of them, refuses the peer with HANDSHAKE_UNEXPECTED_MESSAGE and a goodbye PROTOCOL_ERROR', async () => {
    const topic = 'x'.repeat(255)
    const big = (i: number): DecodedMessage => ({ type: 'subscribe', topics: Array.from({ length: 100 }, (_, j) => `${topic.slice(3)}${i}${j}`.slice(0, 255)) })
    // 100 topics of 255 bytes: ~25.6 KB a frame, so the sixth passes 128 KiB.
    const frames = [Array.from({ length: 65 }, (_, i) => [subscribe(`t${i}`)]), Array.from({ length: 6 }, (_, i) => [big(i)])]
    expect(encodeFrame(frames[1][0]).length * 5).toBeLessThanOrEqual(MAX_EARLY_BYTES)
    expect(encodeFrame(frames[1][0]).length * 6).toBeGreaterThan(MAX_EARLY_BYTES)
    for (const after of frames) {
      const { connection, sent, run } = await upToRemoteAuth(after)
      const error = await run.then(() => undefined, (reason: unknown) => reason)
      expect(error).toMatchObject({ code: 'HANDSHAKE_UNEXPECTED_MESSAGE', message: `more than ${MAX_EARLY_FRAMES} session frames or ${MAX_EARLY_BYTES} bytes arrived before the handshake completed` })
      expect(sent.at(-1)).toEqual([{ type: 'goodbye', reason: GoodbyeReason.PROTOCOL_ERROR }])
      expect(connection.isOpen).toBe(false)
    }
  })

  it('reports the bytes early frames hold as they arrive, and releases them all when the handshake ends, either way', async () => {
    const frames = Array.from({ length: 3 }, (_, i) => [subscribe(`t${i}`)])
    const sizes = frames.map((frame) => encodeFrame(frame).length)
    const total = sizes.reduce((sum, size) => sum + size, 0)
    const kept: number[] = []
    const ok = await upToRemoteAuth(frames, {}, (delta) => kept.push(delta))
    await ok.run
    expect(kept).toEqual([...sizes, -total])
    const refused: number[] = []
    const over = await upToRemoteAuth([...frames, ...Array.from({ length: 62 }, (_, i) => [subscribe(`u${i}`)])], {}, (delta) => refused.push(delta))
    await failure(over.run)
    expect(refused.reduce((sum, delta) => sum + delta, 0)).toBe(0)
    expect(refused.at(-1)).toBeLessThan(0)
  })

  it('a session frame before the remote auth (before any hello, or after the hello) is refused at once: nothing is buffered for a peer that has not signed', async () => {
    for (const before of [[], [handshake(bob).start()]] as DecodedMessage[][]) {
      const { connection, sent, deliver } = fakeConnection()
      const run = handshakeOver(connection as unknown as Connection, options(alice), { screen: () => undefined })
      run.catch(() => {})
      if (before.length > 0) deliver(before)
      deliver([subscribe('early')])
      const error = await run.then(() => undefined, (reason: unknown) => reason)
      expect(error).toMatchObject({ code: 'HANDSHAKE_UNEXPECTED_MESSAGE', message: 'a session frame arrived before the remote’s auth' })
      expect(sent.at(-1)).toEqual([{ type: 'goodbye', reason: GoodbyeReason.PROTOCOL_ERROR }])
      expect(connection.isOpen).toBe(false)
    }
  })

  it('a transient dial offers TRANSIENT_CAPABILITY in place of the last of 16 capabilities', async () => {
    const { connection, sent } = fakeConnection()
    const capabilities = Array.from({ length: 16 }, (_, i) => `c${i}`)
    const run = handshakeOver(connection as unknown as Connection, { ...options(alice), capabilities }, { isTransient: true, screen: () => undefined })
    run.catch(() => {})
    expect((sent[0][0] as HelloMessage).capabilities).toEqual([...capabilities.slice(0, 15), TRANSIENT_CAPABILITY])
    connection.close('done')
    expect(await run.then(() => 'resolved', (error: HandshakeError) => error.code)).toBe('HANDSHAKE_ABORTED')
  })

  it('our refusal tells the remote why: INCOMPATIBLE_VERSION for versions, AUTH_FAILED for a key other than the dialled one', async () => {
    const cases = [
      { hello: handshake(bob, { protocolVersion: 3, minVersion: 3 }).start(), expectedPeerId: undefined, code: 'HANDSHAKE_VERSION', goodbye: GoodbyeReason.INCOMPATIBLE_VERSION },
      { hello: handshake(bob).start(), expectedPeerId: carol.peerId, code: 'HANDSHAKE_ID_MISMATCH', goodbye: GoodbyeReason.AUTH_FAILED },
    ]
    for (const { hello, expectedPeerId, code, goodbye } of cases) {
      const { connection, sent, deliver } = fakeConnection()
      const run = handshakeOver(connection as unknown as Connection, options(alice), { expectedPeerId, screen: () => undefined })
      deliver([hello])
      expect(await run.then(() => 'resolved', (error: HandshakeError) => error.code)).toBe(code)
      expect(sent.at(-1)).toEqual([{ type: 'goodbye', reason: goodbye }])
      expect(connection.isOpen).toBe(false)
    }
  })

  it('a goodbye NORMAL after the remote hello means a duplicate connection; before it, a plain refusal', async () => {
    const after = fakeConnection()
    const duplicate = handshakeOver(after.connection as unknown as Connection, options(alice), { screen: () => undefined })
    after.deliver([handshake(bob).start(), { type: 'goodbye', reason: GoodbyeReason.NORMAL }] as DecodedMessage[])
    const error = await duplicate.then(() => undefined, (reason: unknown) => reason)
    expect(error).toBeInstanceOf(DuplicateConnection)
    expect((error as DuplicateConnection).remotePeerId).toEqual(bob.peerId)

    const before = fakeConnection()
    const plain = handshakeOver(before.connection as unknown as Connection, options(alice), { screen: () => undefined })
    before.deliver([{ type: 'goodbye', reason: GoodbyeReason.NORMAL }] as DecodedMessage[])
    const refusal = await plain.then(() => undefined, (reason: unknown) => reason)
    expect(refusal).not.toBeInstanceOf(DuplicateConnection)
    expect(refusal).toMatchObject({ code: 'PEER_REFUSED', message: 'the remote refused the connection during the handshake (NORMAL)' })
    expect([after.connection.isOpen, before.connection.isOpen]).toEqual([false, false])
  })

  const failure = (run: Promise<unknown>) => run.then(() => undefined, (reason: unknown) => reason as Error & { code?: string; cause?: unknown; redirect?: unknown })

  it('the transient marker is the protocol string wasmesh:transient (peers of other versions must read it)', () => {
    expect(TRANSIENT_CAPABILITY).toBe('wasmesh:transient')
  })

  it('refuseConnection sends a redirect before the goodbye when it has peers to offer, only the goodbye when not, and nothing on a closed connection', () => {
    const peers = [{ id: carol.peerId, addresses: ['memory://carol'] }]
    const withPeers = fakeConnection()
    refuseConnection(withPeers.connection as unknown as Connection, GoodbyeReason.TOO_MANY_PEERS, 'full', peers)
    expect(withPeers.sent).toEqual([[{ type: 'redirect', peers }, { type: 'goodbye', reason: GoodbyeReason.TOO_MANY_PEERS }]])
    expect(withPeers.connection.closeReason).toBe('full')
    const without = fakeConnection()
    refuseConnection(without.connection as unknown as Connection, GoodbyeReason.PROTOCOL_ERROR, 'bad')
    expect(without.sent).toEqual([[{ type: 'goodbye', reason: GoodbyeReason.PROTOCOL_ERROR }]])
    const closed = fakeConnection()
    closed.connection.close('earlier')
    closed.connection.send = () => {
      throw new Error('sent on a closed connection')
    }
    expect(() => refuseConnection(closed.connection as unknown as Connection, GoodbyeReason.NORMAL, 'again')).not.toThrow()
    expect(closed.connection.closeReason).toBe('earlier')
  })

  it('a duplicate connection is a PEER_REFUSED that says so', () => {
    const error = new DuplicateConnection(bob.peerId)
    expect(error).toBeInstanceOf(PeerError)
    expect(error).toMatchObject({ code: 'PEER_REFUSED', message: 'the remote closed this connection as a duplicate of another one between us' })
  })

  it('a remote goodbye during the handshake names its reason, or its number when it is none we know, and keeps the peers a redirect offered', async () => {
    const peers = [{ id: carol.peerId, addresses: ['memory://carol'] }]
    const cases: Array<[DecodedMessage[], string, unknown]> = [
      [[{ type: 'goodbye', reason: GoodbyeReason.PROTOCOL_ERROR }], 'the remote refused the connection during the handshake (PROTOCOL_ERROR)', []],
      [[{ type: 'goodbye', reason: 200 }], 'the remote refused the connection during the handshake (reason 200)', []],
      [[{ type: 'redirect', peers }, { type: 'goodbye', reason: GoodbyeReason.SHUTDOWN }], 'the remote refused the connection during the handshake (SHUTDOWN); it offered 1 other peers (error.redirect)', peers],
    ]
    for (const [messages, message, redirect] of cases) {
      const { connection, deliver } = fakeConnection()
      const run = handshakeOver(connection as unknown as Connection, options(alice), { screen: () => undefined })
      deliver(messages)
      expect(await failure(run)).toMatchObject({ code: 'PEER_REFUSED', message, redirect })
    }
  })

  it('our refusal says AUTH_FAILED for a bad key, a bad signature or our own key, SHUTDOWN when aborted, PROTOCOL_ERROR on a timeout', async () => {
    const badKey = { ...handshake(bob).start(), publicKey: new Uint8Array(32) }
    const own = handshake(alice).start()
    for (const [hello, code] of [[badKey, 'HANDSHAKE_BAD_KEY'], [own, 'HANDSHAKE_SELF']] as const) {
      const { connection, sent, deliver } = fakeConnection()
      const run = handshakeOver(connection as unknown as Connection, options(alice), { screen: () => undefined })
      deliver([hello])
      expect(await failure(run)).toMatchObject({ code })
      expect(sent.at(-1)).toEqual([{ type: 'goodbye', reason: GoodbyeReason.AUTH_FAILED }])
    }
    // A bad signature: bob's hello, then an auth of random bytes.
    const forged = fakeConnection()
    const forgedRun = handshakeOver(forged.connection as unknown as Connection, options(alice), { screen: () => undefined })
    forged.deliver([handshake(bob).start()])
    await turnsUntil(() => forged.sent.length >= 2)
    forged.deliver([{ type: 'auth', signature: new Uint8Array(64).fill(7) }])
    expect(await failure(forgedRun)).toMatchObject({ code: 'HANDSHAKE_BAD_SIGNATURE' })
    expect(forged.sent.at(-1)).toEqual([{ type: 'goodbye', reason: GoodbyeReason.AUTH_FAILED }])

    const controller = new AbortController()
    const aborted = fakeConnection()
    const abortedRun = handshakeOver(aborted.connection as unknown as Connection, options(alice), { signal: controller.signal, screen: () => undefined })
    controller.abort()
    expect(await failure(abortedRun)).toMatchObject({ code: 'HANDSHAKE_ABORTED' })
    expect(aborted.sent.at(-1)).toEqual([{ type: 'goodbye', reason: GoodbyeReason.SHUTDOWN }])

    const slow = fakeConnection()
    const slowOptions = options(alice)
    const slowRun = handshakeOver(slow.connection as unknown as Connection, slowOptions, { screen: () => undefined })
    ;(slowOptions.clock as ManualClock).advance(10_000)
    expect(await failure(slowRun)).toMatchObject({ code: 'HANDSHAKE_TIMEOUT' })
    expect(slow.sent.at(-1)).toEqual([{ type: 'goodbye', reason: GoodbyeReason.PROTOCOL_ERROR }])
  })

  it('the remote hello reaches the result whole: its capabilities and addresses', async () => {
    const { run } = await upToRemoteAuth([], { capabilities: ['dht', 'relay'], listenAddresses: ['memory://bob'] })
    const { result } = await run
    expect(result).toMatchObject({ capabilities: ['dht'], remoteCapabilities: ['dht', 'relay'], listenAddresses: ['memory://bob'] })
  })

  it('a session message inside a handshake frame is HANDSHAKE_UNEXPECTED_MESSAGE, an unknown message type before the auth too, and an undecodable frame is HANDSHAKE_BAD_MESSAGE with the WireError as cause', async () => {
    const inside = fakeConnection()
    const insideRun = handshakeOver(inside.connection as unknown as Connection, options(alice), { screen: () => undefined })
    inside.deliver([handshake(bob).start(), subscribe('sneaked in')])
    expect(await failure(insideRun)).toMatchObject({ code: 'HANDSHAKE_UNEXPECTED_MESSAGE', message: 'a subscribe message arrived inside a handshake frame' })
    expect(inside.sent.at(-1)).toEqual([{ type: 'goodbye', reason: GoodbyeReason.PROTOCOL_ERROR }])

    const unknown = fakeConnection()
    const unknownRun = handshakeOver(unknown.connection as unknown as Connection, options(alice), { screen: () => undefined })
    unknown.deliver([{ type: 'unknown', typeCode: 0x7f, body: Uint8Array.of(1, 2, 3) }])
    expect(await failure(unknownRun)).toMatchObject({ code: 'HANDSHAKE_UNEXPECTED_MESSAGE' })

    const junk = fakeConnection()
    let deliverRaw: (frame: Uint8Array) => void = () => {}
    const onMessage = junk.connection.onMessage
    junk.connection.onMessage = (handler) => {
      deliverRaw = handler
      onMessage(handler)
    }
    const junkRun = handshakeOver(junk.connection as unknown as Connection, options(alice), { screen: () => undefined })
    deliverRaw(Uint8Array.of(1, 2, 3))
    const error = await failure(junkRun)
    expect(error).toMatchObject({ code: 'HANDSHAKE_BAD_MESSAGE', message: expect.stringMatching(/^an undecodable frame arrived during the handshake: ./) })
    expect(error?.cause).toBeInstanceOf(WireError)
  })

  it('after a refusal or a failure, later frames are ignored: the screen sees one hello, nothing more is sent', async () => {
    const refused = fakeConnection()
    const screened: Uint8Array[] = []
    const screen = (peerId: Uint8Array) => {
      screened.push(peerId)
      return { goodbye: GoodbyeReason.TOO_MANY_PEERS, error: new PeerError('PEER_TOO_MANY_PEERS', 'full') }
    }
    const refusedRun = handshakeOver(refused.connection as unknown as Connection, options(alice), { screen })
    refused.deliver([handshake(bob).start()])
    refused.deliver([handshake(carol).start()])
    expect(await failure(refusedRun)).toMatchObject({ code: 'PEER_TOO_MANY_PEERS' })
    expect(screened).toEqual([bob.peerId])

    const timedOut = fakeConnection()
    const timedOutOptions = options(alice)
    const seen: Uint8Array[] = []
    const timedOutRun = handshakeOver(timedOut.connection as unknown as Connection, timedOutOptions, { screen: (peerId) => void seen.push(peerId) })
    ;(timedOutOptions.clock as ManualClock).advance(10_000)
    expect(await failure(timedOutRun)).toMatchObject({ code: 'HANDSHAKE_TIMEOUT' })
    const sentBefore = timedOut.sent.length
    timedOut.deliver([handshake(bob).start()])
    for (let turn = 0; turn < 20; turn++) await new Promise<void>((resolve) => setImmediate(resolve))
    expect(seen).toEqual([])
    expect(timedOut.sent).toHaveLength(sentBefore)
  })

  it('exactly MAX_EARLY_BYTES of early frames are kept; one byte more refuses', async () => {
    const frameOf = (topicLength: number, tag: number): DecodedMessage[] => [{ type: 'subscribe', topics: [String(tag).padEnd(topicLength, 'x')] }]
    const big = Array.from({ length: 100 }, (_, i) => `${i}`.padEnd(255, 'y'))
    const bigFrame: DecodedMessage[] = [{ type: 'subscribe', topics: big }]
    const bigBytes = encodeFrame(bigFrame).length
    // Five big frames, then frames of one 255-byte topic, then two sized to land exactly on the limit.
    const frames: DecodedMessage[][] = [bigFrame, bigFrame, bigFrame, bigFrame, bigFrame]
    let total = 5 * bigBytes
    const smallBytes = encodeFrame(frameOf(255, 0)).length
    for (let tag = 1; MAX_EARLY_BYTES - total > 2 * smallBytes; tag++) {
      frames.push(frameOf(255, tag))
      total += smallBytes
    }
    // What is left (at most two small frames) goes in two fillers of about half each.
    const rest = MAX_EARLY_BYTES - total
    const lengthFor = (bytes: number) => Array.from({ length: 256 }, (_, length) => length).find((length) => length > 4 && encodeFrame(frameOf(length, 9_999)).length === bytes)!
    const firstLength = lengthFor(Math.floor(rest / 2))
    const fillerLength = lengthFor(rest - Math.floor(rest / 2))
    expect([firstLength, fillerLength].every((length) => length !== undefined)).toBe(true)
    frames.push(frameOf(firstLength, 9_998), frameOf(fillerLength, 9_999))
    expect(frames.length).toBeLessThanOrEqual(MAX_EARLY_FRAMES)
    expect(frames.reduce((sum, frame) => sum + encodeFrame(frame).length, 0)).toBe(MAX_EARLY_BYTES)
    const exact = await upToRemoteAuth(frames)
    expect((await exact.run).earlyFrames).toHaveLength(frames.length)
    const over = await upToRemoteAuth([...frames.slice(0, -1), frameOf(fillerLength + 1, 9_999)])
    expect(await failure(over.run)).toMatchObject({ code: 'HANDSHAKE_UNEXPECTED_MESSAGE' })
  })

  it('a reply that cannot be sent aborts the handshake at once, with the send error as cause', async () => {
    const { connection, deliver } = fakeConnection()
    const send = connection.send
    let sends = 0
    connection.send = (frame: Uint8Array) => {
      if (++sends === 2) throw new Error('link full')
      return send(frame)
    }
    const run = handshakeOver(connection as unknown as Connection, options(alice), { screen: () => undefined })
    deliver([handshake(bob).start()])
    const error = await failure(run)
    expect(error).toMatchObject({ code: 'HANDSHAKE_ABORTED' })
    expect((error?.cause as Error).message).toBe('link full')
  })

  it('a remote goodbye closes the connection saying why; a connection found closed as the handshake completes is HANDSHAKE_ABORTED', async () => {
    const bye = fakeConnection()
    const byeRun = handshakeOver(bye.connection as unknown as Connection, options(alice), { screen: () => undefined })
    bye.deliver([{ type: 'goodbye', reason: GoodbyeReason.SHUTDOWN }])
    await failure(byeRun)
    expect(bye.connection.closeReason).toBe('goodbye received during the handshake')

    const { connection, run } = await upToRemoteAuth([])
    // Gone under us (no close event yet) while the auth was being verified.
    connection.isOpen = false
    expect(await failure(run)).toMatchObject({ code: 'HANDSHAKE_ABORTED', message: 'the connection closed as the handshake completed' })
  })

  it('a connection that closes during the handshake aborts it, saying so in the cause', async () => {
    const { connection } = fakeConnection()
    const run = handshakeOver(connection as unknown as Connection, options(alice), { screen: () => undefined })
    connection.close('gone')
    const error = await failure(run)
    expect(error).toMatchObject({ code: 'HANDSHAKE_ABORTED' })
    expect(error?.cause).toMatchObject({ code: 'HANDSHAKE_ABORTED', message: 'the connection closed during the handshake (local)' })
  })

  it('a goodbye TOO_MANY_PEERS after a redirect rejects with PEER_TOO_MANY_PEERS carrying the offered peers', async () => {
    const { connection, deliver } = fakeConnection()
    const run = handshakeOver(connection as unknown as Connection, options(alice), { screen: () => undefined })
    const peers = [{ id: carol.peerId, addresses: ['memory://carol'] }]
    deliver([{ type: 'redirect', peers }, { type: 'goodbye', reason: GoodbyeReason.TOO_MANY_PEERS }] as DecodedMessage[])
    const error = await run.then(() => undefined, (reason: unknown) => reason)
    expect(error).toBeInstanceOf(PeerError)
    expect(error).toMatchObject({ code: 'PEER_TOO_MANY_PEERS', redirect: peers, message: expect.stringMatching(/offered 1 other peers/) })
    expect(connection.isOpen).toBe(false)
  })

  it('a goodbye BUSY rejects with PEER_BUSY: a refusal for now, which connect() dials again', async () => {
    const { connection, deliver } = fakeConnection()
    const run = handshakeOver(connection as unknown as Connection, options(alice), { screen: () => undefined })
    deliver([{ type: 'goodbye', reason: GoodbyeReason.BUSY }] as DecodedMessage[])
    const error = await run.then(() => undefined, (reason: unknown) => reason)
    expect(error).toBeInstanceOf(PeerError)
    expect(error).toMatchObject({ code: 'PEER_BUSY', redirect: [], message: expect.stringMatching(/handshakes under way/) })
    expect(connection.isOpen).toBe(false)
  })
})
