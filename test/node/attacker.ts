// A misbehaving peer for node-level tests. It joins a MemoryNetwork as any node would (or
// dials over any other transport, such as a WebSocket from another process) and speaks the
// real handshake (hello, then an Ed25519 auth over the transcript), so a victim
// authenticates it exactly as it authenticates honest peers; after that it sends whatever a
// test wants: well-formed messages, forged ones, or bytes that are no frame at all.
//
// Kept to the wire: it never touches a node's internals, only what a remote peer could send.

import { authTranscript, helloHash } from '../../src/peers/handshake-transcript.js'
import type { HelloMessage as HandshakeHello } from '../../src/peers/handshake.js'
import { Identity, verifySignature } from '../../src/peers/identity.js'
import { signedBytes } from '../../src/relay/envelope.js'
import type { CloseInfo, Connection, Transport } from '../../src/transport/index.js'
import { MemoryNetwork } from '../../src/transport/memory/index.js'
import type { Clock } from '../../src/util/clock.js'
import { seededRandom, type RandomSource } from '../../src/util/random.js'
import {
  decodeFrame,
  encodeFrame,
  encodeMessage,
  FRAME_HEADER_BYTES,
  MESSAGE_HEADER_BYTES,
  WIRE_MAGIC,
  WIRE_VERSION,
  type DecodedMessage,
  type HelloMessage,
  type PublishMessage,
  StoreRejectReason,
} from '../../src/wire/index.js'

export interface LinkOptions {
  /** The public key the hello presents (DEFAULT the attacker's own); the auth is still signed with its own key. */
  readonly claimedPublicKey?: Uint8Array
}

/** One connection of the attacker, after (or during) the handshake. */
export interface AttackerLink {
  readonly connection: Connection
  /** Session messages from the remote (handshake messages, pings and DHT requests are handled here). */
  readonly received: DecodedMessage[]
  /** Reasons of every goodbye the remote sent (GoodbyeReason). */
  readonly goodbyes: number[]
  /** Set once the connection ended. */
  readonly closed: CloseInfo | undefined
  /** True once the remote's auth verified: the remote has also been told who we are. */
  readonly isRemoteAuthenticated: boolean
  /** Messages sent through send() after the handshake (not raw bytes). */
  readonly messagesSent: number
  /** Encodes `messages` as one well-formed frame and sends it. */
  send(messages: readonly DecodedMessage[]): void
  /** Sends bytes as one transport message, whatever they are. */
  sendBytes(bytes: Uint8Array): void
}

class Link implements AttackerLink {
  readonly received: DecodedMessage[] = []
  readonly goodbyes: number[] = []
  closed: CloseInfo | undefined
  isRemoteAuthenticated = false
  messagesSent = 0
  readonly #hello: HandshakeHello
  #remoteHello: HandshakeHello | undefined

  constructor(readonly connection: Connection, private readonly identity: Identity, random: RandomSource, options: LinkOptions) {
    const nonce = new Uint8Array(32)
    random.fill(nonce)
    this.#hello = {
      type: 'hello', protocolVersion: 1, minVersion: 1, capabilities: [],
      publicKey: options.claimedPublicKey ?? identity.publicKey, nonce, listenAddresses: [connection.localAddress],
    }
    connection.onClose((info) => (this.closed = info))
    connection.onMessage((frame) => this.#onFrame(frame))
    connection.send(encodeFrame([this.#hello]))
  }

  send(messages: readonly DecodedMessage[]): void {
    if (!this.connection.isOpen) return
    this.connection.send(encodeFrame(messages))
    for (const message of messages) if (message.type !== 'hello' && message.type !== 'auth') this.messagesSent++
  }

  sendBytes(bytes: Uint8Array): void {
    if (this.connection.isOpen) this.connection.send(bytes)
  }

  #onFrame(frame: Uint8Array): void {
    // The victims are the nodes under test: they must only ever send well-formed frames.
    for (const message of decodeFrame(frame, { unknownTypes: 'return' })) {
      switch (message.type) {
        case 'hello':
          this.#remoteHello = toHandshakeHello(message)
          void this.identity.sign(authTranscript(helloHash(this.#remoteHello), helloHash(this.#hello))).then((signature) => this.send([{ type: 'auth', signature }]))
          break
        case 'auth':
          if (this.#remoteHello === undefined) break
          void verifySignature(this.#remoteHello.publicKey, authTranscript(helloHash(this.#hello), helloHash(this.#remoteHello)), message.signature)
            .then((isValid) => (this.isRemoteAuthenticated = isValid))
          break
        case 'goodbye':
          this.goodbyes.push(message.reason)
          break
        // Polite in everything the test does not look at, so the victim's keepalive and DHT
        // lookups do not stall on it: pings are answered, DHT requests get empty replies.
        case 'ping':
          this.send([{ type: 'pong', requestId: message.requestId }])
          break
        case 'findNode':
          this.send([{ type: 'nodes', requestId: message.requestId, peers: [] }])
          break
        case 'findValue':
          this.send([{ type: 'value', requestId: message.requestId, peers: [] }])
          break
        case 'store':
          this.send([{ type: 'storeResult', requestId: message.requestId, ok: false, reason: StoreRejectReason.QUOTA_EXCEEDED }])
          break
        default:
          this.received.push(message)
      }
    }
  }
}

function toHandshakeHello(message: HelloMessage): HandshakeHello {
  return { ...message, capabilities: [...message.capabilities], listenAddresses: [...message.listenAddresses] }
}

/** A transport of the attacker's own, and the clock its publishes are stamped with. */
export interface AttackerTransport {
  readonly transport: Transport
  readonly clock: Clock
}

export class Attacker {
  readonly identity: Identity
  readonly transport: Transport
  readonly links: AttackerLink[] = []
  readonly #random: RandomSource
  readonly #clock: Clock
  #nextSeq = 1n

  /** An attacker at memory://<name> of `net` (or on `own.transport`) with an identity derived from `seed`. */
  constructor(net: MemoryNetwork | AttackerTransport, name: string, seed: number) {
    this.#random = seededRandom(seed)
    this.identity = Identity.generate(this.#random)
    this.transport = net instanceof MemoryNetwork ? net.createTransport(name) : net.transport
    this.#clock = net.clock
  }

  get id(): Uint8Array {
    return this.identity.peerId
  }

  get address(): string {
    return this.transport.localAddress
  }

  /** Dials `address` and starts the handshake; the link is returned at once (drive the clock to complete it). */
  async dial(address: string, options: LinkOptions = {}): Promise<AttackerLink> {
    const link = new Link(await this.transport.dial(address), this.identity, this.#random, options)
    this.links.push(link)
    return link
  }

  /** Accepts inbound connections and answers their handshake as `options` says. */
  async listen(options: LinkOptions = {}): Promise<void> {
    await this.transport.listen((connection) => this.links.push(new Link(connection, this.identity, this.#random, options)))
  }

  /** A publish genuinely signed by this attacker, as its first hop sends it; stamped with the network's clock unless told otherwise. */
  async publish(topic: string, data: Uint8Array, timestampMs = Math.floor(this.#clock.now())): Promise<PublishMessage> {
    const seq = this.#nextSeq++
    const signature = await this.identity.sign(signedBytes(topic, this.id, seq, timestampMs, data))
    return { type: 'publish', topic, origin: this.id, originKey: this.identity.publicKey, seq, timestampMs, ttl: 8, path: [this.id], data, signature }
  }

  /** `message` as the attacker forwards it: one hop more, itself at the end of the path. */
  forward(message: PublishMessage, changes: Partial<Omit<PublishMessage, 'type'>> = {}): PublishMessage {
    return { ...message, ttl: message.ttl - 1, path: [...message.path, this.id], ...changes }
  }

  /** Closes every connection and the transport. */
  close(): Promise<void> {
    return this.transport.close()
  }
}

// ---------------------------------------------------------------------------------------
// Frames the encoder would refuse to build

/** A frame header: magic, version, the payload length it claims, the message count it claims. */
export function frameHeader(payloadBytes: number, messageCount: number): Uint8Array {
  const header = new Uint8Array(FRAME_HEADER_BYTES)
  const view = new DataView(header.buffer)
  header[0] = WIRE_MAGIC
  header[1] = WIRE_VERSION
  view.setUint32(2, payloadBytes)
  view.setUint16(6, messageCount)
  return header
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/**
 * A frame holding `message` (a publish) with its data replaced by `data`, lengths fixed up
 * so that every field is well formed: the only fault is the size, which the encoder refuses.
 */
export function publishFrameWithData(message: PublishMessage, data: Uint8Array): Uint8Array {
  const encoded = encodeMessage({ ...message, data: new Uint8Array(0) })
  // Layout tail: data (u32 length + bytes) then signature 64; the empty data's length field
  // sits 4 + 64 bytes before the end.
  const head = encoded.subarray(MESSAGE_HEADER_BYTES, encoded.length - 68)
  const signature = encoded.subarray(encoded.length - 64)
  const dataLength = new Uint8Array(4)
  new DataView(dataLength.buffer).setUint32(0, data.length)
  const body = concat(head, dataLength, data, signature)
  const messageHeader = new Uint8Array(MESSAGE_HEADER_BYTES)
  messageHeader[0] = encoded[0]
  new DataView(messageHeader.buffer).setUint32(1, body.length)
  return concat(frameHeader(MESSAGE_HEADER_BYTES + body.length, 1), messageHeader, body)
}
