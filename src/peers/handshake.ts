// The handshake that opens every connection: each side says who it is and what it speaks
// (hello), then proves it holds the key it named by signing the other side's fresh nonce
// (auth). Transport independent: the caller moves the messages; the wire layer encodes them.
//
//   A                                   B
//   start() -> hello(A) ------------->  receive(hello A) -> auth(B)
//   receive(hello B) -> auth(A)  <----  start() -> hello(B)      (both sides act the same,
//   receive(auth B) -> result    <--->  receive(auth A) -> result  in any interleaving)
//
// What the signatures cover and why is in handshake-transcript.ts.

import { systemClock } from '../util/clock.js'
import type { Clock, TimerHandle } from '../util/clock.js'
import { cryptoRandom } from '../util/random.js'
import type { RandomSource } from '../util/random.js'
import type { SignatureVerifier } from '../util/signature-verifier.js'
import { checkBytes, checkInteger, describeValue } from '../util/validate.js'
import { HandshakeError } from './errors.js'
import { authTranscript, helloHash, MAX_CAPABILITIES, MAX_CAPABILITY_LENGTH, MAX_LISTEN_ADDRESSES, MAX_LISTEN_ADDRESS_LENGTH, MAX_VERSION, NONCE_BYTES, readHello, readStrings } from './handshake-transcript.js'
import { bytesEqual, Identity, isValidPublicKey, PEER_ID_BYTES, peerIdOf, SIGNATURE_BYTES, verifySignature } from './identity.js'

/** The first message each side sends. */
export interface HelloMessage {
  type: 'hello'
  /** The newest version this node speaks (u16). */
  protocolVersion: number
  /** The oldest version this node can still talk (u16, <= protocolVersion). */
  minVersion: number
  /** Features this node offers: at most 16 distinct strings of 1-32 printable ASCII characters. */
  capabilities: string[]
  /** Ed25519 public key, 32 bytes; the peer id is its SHA-256. */
  publicKey: Uint8Array
  /** 32 fresh random bytes that the other side must sign. */
  nonce: Uint8Array
  /** Where this node accepts connections: at most 16 distinct strings of 1-255 printable ASCII characters. */
  listenAddresses: string[]
}

/** The second message: the sender's signature over the transcript (handshake-transcript.ts). */
export interface AuthMessage {
  type: 'auth'
  /** Ed25519 signature, 64 bytes. */
  signature: Uint8Array
}

export type HandshakeMessage = HelloMessage | AuthMessage

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000

export interface HandshakeOptions {
  identity: Identity
  /** The newest protocol version this node speaks (u16). */
  protocolVersion: number
  /** The oldest version this node still talks (u16, <= protocolVersion). Default: protocolVersion. */
  minVersion?: number
  /** Default: none. */
  capabilities?: string[]
  /** Default: none. */
  listenAddresses?: string[]
  /** The peer id the dialer means to reach; any other key is refused with HANDSHAKE_ID_MISMATCH. */
  expectedPeerId?: Uint8Array
  /** Only its timers are used. DEFAULT: systemClock (the platform's timers). */
  clock?: Clock
  /** Source of the nonce. DEFAULT: cryptoRandom() (crypto.getRandomValues). */
  random?: Pick<RandomSource, 'fill'>
  /** From start() until the result. Default: DEFAULT_HANDSHAKE_TIMEOUT_MS (10 s). */
  timeoutMs?: number
  /** Aborting it fails the handshake with HANDSHAKE_ABORTED, as `abort()` does. */
  signal?: AbortSignal
  /** Checks the remote's auth signature. DEFAULT verifySignature (WebCrypto Ed25519, else noble); the simulator passes its stand-in's. */
  verify?: SignatureVerifier
}

export interface HandshakeResult {
  peerId: Uint8Array
  publicKey: Uint8Array
  /** The negotiated version: the smaller of the two protocolVersions. */
  version: number
  /** The capabilities both sides offer (the session may use these), in our order. */
  capabilities: string[]
  /** Everything the remote offers, as it sent it (roles such as a bootstrap server show here). */
  remoteCapabilities: string[]
  /** Where the remote says it listens. Signed by it, but not checked for reachability. */
  listenAddresses: string[]
}

/** new -> (start) awaiting-hello -> (remote hello) awaiting-auth -> (remote auth) done; any refusal -> failed. */
export type HandshakeState = 'new' | 'awaiting-hello' | 'awaiting-auth' | 'done' | 'failed'

/**
 * One side of one handshake. Drive it by sending what `start()` returns, then passing every
 * message received to `receive()` and sending what it returns, if anything. `result` settles
 * once: with the authenticated peer, or with a HandshakeError saying why the peer is refused.
 * A refusal sends no message of its own; the caller closes the connection, and the other side
 * refuses on its own (versions: from our hello) or is told by the close (`abort()`).
 */
export class Handshake {
  /** The outcome. Every failure also lands here, never in `receive()` or as an unhandled rejection. */
  readonly result: Promise<HandshakeResult>
  readonly #identity: Identity
  readonly #local: HelloMessage
  readonly #expectedPeerId: Uint8Array | undefined
  readonly #clock: Clock
  readonly #random: Pick<RandomSource, 'fill'>
  readonly #timeoutMs: number
  readonly #signal: AbortSignal | undefined
  readonly #verify: SignatureVerifier
  #state: HandshakeState = 'new'
  #localHash: Uint8Array | undefined
  #remote: HelloMessage | undefined
  #remoteHash: Uint8Array | undefined
  #timer: TimerHandle | undefined
  #queue: Promise<unknown> = Promise.resolve()
  #resolve!: (result: HandshakeResult) => void
  #reject!: (error: unknown) => void
  readonly #onAbort = () => this.abort(this.#signal?.reason)

  constructor(options: HandshakeOptions) {
    const invalid = (message: string) => new HandshakeError('HANDSHAKE_INVALID_OPTION', message)
    if (typeof options !== 'object' || options === null) throw invalid('Handshake options must be an object')
    if (!(options.identity instanceof Identity)) throw invalid('identity must be an Identity')
    const protocolVersion = checkInteger('protocolVersion', options.protocolVersion, 0, MAX_VERSION, invalid)
    const minVersion = checkInteger('minVersion', options.minVersion ?? protocolVersion, 0, protocolVersion, invalid)
    const capabilities = readStrings('capabilities', options.capabilities ?? [], MAX_CAPABILITIES, MAX_CAPABILITY_LENGTH)
    if (typeof capabilities === 'string') throw invalid(capabilities)
    const listenAddresses = readStrings('listenAddresses', options.listenAddresses ?? [], MAX_LISTEN_ADDRESSES, MAX_LISTEN_ADDRESS_LENGTH)
    if (typeof listenAddresses === 'string') throw invalid(listenAddresses)
    if (options.expectedPeerId !== undefined) checkBytes('expectedPeerId', options.expectedPeerId, PEER_ID_BYTES, invalid)
    const clock = options.clock ?? systemClock
    if (typeof clock?.setTimeout !== 'function' || typeof clock.clearTimeout !== 'function') {
      throw invalid('clock must have setTimeout(callback, ms) and clearTimeout(handle)')
    }
    const random = options.random ?? cryptoRandom()
    if (typeof random?.fill !== 'function') throw invalid('random must have a fill(bytes) method')
    const timeoutMs = checkInteger('timeoutMs', options.timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS, 1, 0x7fff_ffff, invalid)
    if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw invalid('signal must be an AbortSignal')
    if (options.verify !== undefined && typeof options.verify !== 'function') throw invalid(`verify must be a function, got ${describeValue(options.verify)}`)

    this.#identity = options.identity
    this.#expectedPeerId = options.expectedPeerId?.slice()
    this.#clock = clock
    this.#random = random
    this.#timeoutMs = timeoutMs
    this.#signal = options.signal
    this.#verify = options.verify ?? verifySignature
    const nonce = new Uint8Array(NONCE_BYTES)
    this.#local = { type: 'hello', protocolVersion, minVersion, capabilities, publicKey: this.#identity.publicKey, nonce, listenAddresses }
    this.result = new Promise<HandshakeResult>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    // The refusal reaches whoever awaits `result`; a caller that only drives messages and
    // closes on refusal must not crash the process with an unhandled rejection.
    this.result.catch(() => {})
    if (this.#signal !== undefined) {
      if (this.#signal.aborted) this.abort(this.#signal.reason)
      else this.#signal.addEventListener('abort', this.#onAbort)
    }
  }

  get state(): HandshakeState {
    return this.#state
  }

  /** Our hello, with a fresh nonce; starts the timeout. Call once, before any receive(). */
  start(): HelloMessage {
    if (this.#state !== 'new') {
      throw new HandshakeError('HANDSHAKE_INVALID_STATE', `start() may be called once, on a new handshake; this one is ${this.#state}`)
    }
    this.#random.fill(this.#local.nonce)
    this.#localHash = helloHash(this.#local)
    this.#state = 'awaiting-hello'
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined
      this.#fail(new HandshakeError('HANDSHAKE_TIMEOUT', `the handshake did not complete within ${this.#timeoutMs} ms`))
    }, this.#timeoutMs)
    const local = this.#local
    return { ...local, capabilities: [...local.capabilities], publicKey: local.publicKey.slice(), nonce: local.nonce.slice(), listenAddresses: [...local.listenAddresses] }
  }

  /**
   * Takes one message from the remote and resolves to the reply to send (our auth after their
   * hello), or null. Messages are processed in the order they were passed in, even when the
   * caller does not await. Never rejects: refusals settle `result`. After the result has
   * settled, messages are ignored (null).
   */
  receive(message: HandshakeMessage): Promise<AuthMessage | null> {
    if (this.#state === 'new') {
      throw new HandshakeError('HANDSHAKE_INVALID_STATE', 'receive() was called before start(): send our hello first')
    }
    const step = this.#queue.then(() => this.#process(message))
    this.#queue = step
    return step
  }

  /**
   * Fails the handshake with HANDSHAKE_ABORTED (its connection closed, the node stops); no
   * effect once settled. Takes effect after the messages already passed to receive(), as a
   * close follows the data before it: a peer that refused us for a reason we can see in its
   * hello (versions) is then refused for that reason, not for closing.
   */
  abort(reason?: unknown): void {
    const error = new HandshakeError('HANDSHAKE_ABORTED', 'the handshake was aborted before it completed', { cause: reason })
    this.#queue = this.#queue.then(() => this.#fail(error))
  }

  async #process(message: unknown): Promise<AuthMessage | null> {
    if (this.#isSettled) return null
    try {
      const type = typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined
      if (type === 'hello') return await this.#onHello(message)
      if (type === 'auth') {
        await this.#onAuth(message as Record<string, unknown>)
        return null
      }
      throw new HandshakeError('HANDSHAKE_UNEXPECTED_MESSAGE', `expected a hello or auth message, got type ${typeof type === 'string' ? JSON.stringify(type) : typeof type}`)
    } catch (error) {
      // Refusals are HandshakeErrors; anything else (a crypto backend failing) still settles the result.
      this.#fail(error)
      return null
    }
  }

  async #onHello(message: unknown): Promise<AuthMessage | null> {
    if (this.#state !== 'awaiting-hello') throw new HandshakeError('HANDSHAKE_UNEXPECTED_MESSAGE', 'a second hello arrived')
    const remote = readHello(message)
    if (typeof remote === 'string') throw new HandshakeError('HANDSHAKE_BAD_MESSAGE', remote)
    const local = this.#local
    if (bytesEqual(remote.publicKey, local.publicKey)) {
      throw new HandshakeError('HANDSHAKE_SELF', 'the remote presents our own public key: we are connected to ourselves, or our hello was echoed')
    }
    if (bytesEqual(remote.nonce, local.nonce)) throw new HandshakeError('HANDSHAKE_BAD_MESSAGE', 'the remote hello reflects our own nonce')
    if (!isValidPublicKey(remote.publicKey)) {
      throw new HandshakeError('HANDSHAKE_BAD_KEY', 'the remote public key is not a valid Ed25519 point, or is of small order')
    }
    if (this.#expectedPeerId !== undefined && !bytesEqual(peerIdOf(remote.publicKey), this.#expectedPeerId)) {
      throw new HandshakeError('HANDSHAKE_ID_MISMATCH', 'the remote public key does not hash to the peer id we dialled')
    }
    if (local.minVersion > remote.protocolVersion || remote.minVersion > local.protocolVersion) {
      throw new HandshakeError(
        'HANDSHAKE_VERSION',
        `no common protocol version: we speak ${local.minVersion} to ${local.protocolVersion}, the remote ${remote.minVersion} to ${remote.protocolVersion}`,
      )
    }
    this.#remote = remote
    this.#remoteHash = helloHash(remote)
    this.#state = 'awaiting-auth'
    const signature = await this.#identity.sign(authTranscript(this.#remoteHash, this.#localHash!))
    return this.#isSettled ? null : { type: 'auth', signature }
  }

  async #onAuth(message: Record<string, unknown>): Promise<void> {
    if (this.#state !== 'awaiting-auth') throw new HandshakeError('HANDSHAKE_UNEXPECTED_MESSAGE', 'an auth arrived before the hello')
    const { signature } = message
    if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) {
      throw new HandshakeError('HANDSHAKE_BAD_MESSAGE', `auth signature must be ${SIGNATURE_BYTES} bytes`)
    }
    const remote = this.#remote!
    const isValid = await this.#verify(remote.publicKey, authTranscript(this.#localHash!, this.#remoteHash!), signature)
    if (this.#isSettled) return
    if (!isValid) throw new HandshakeError('HANDSHAKE_BAD_SIGNATURE', 'the remote auth signature does not verify over this session')
    const shared = new Set(remote.capabilities)
    this.#settle('done')
    this.#resolve({
      peerId: peerIdOf(remote.publicKey),
      publicKey: remote.publicKey,
      version: Math.min(this.#local.protocolVersion, remote.protocolVersion),
      capabilities: this.#local.capabilities.filter((capability) => shared.has(capability)),
      remoteCapabilities: remote.capabilities,
      listenAddresses: remote.listenAddresses,
    })
  }

  get #isSettled(): boolean {
    return this.#state === 'done' || this.#state === 'failed'
  }

  #fail(error: unknown): void {
    if (this.#isSettled) return
    this.#settle('failed')
    this.#reject(error)
  }

  // Releases the timer and the signal listener: nothing outlives the handshake.
  #settle(state: 'done' | 'failed'): void {
    this.#state = state
    if (this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer)
      this.#timer = undefined
    }
    this.#signal?.removeEventListener('abort', this.#onAbort)
  }
}
