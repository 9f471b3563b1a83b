// Runs the handshake (handshake.ts) over a transport connection: hello and auth travel as
// wire frames of their own. A goodbye from the remote is its refusal; frames of the session
// that arrive before our side has verified the remote auth are kept for the session.

import { addressesOf } from '../transport/addresses.js'
import type { Connection } from '../transport/transport.js'
import { WireError } from '../wire/errors.js'
import { decodeFrame, encodeFrame } from '../wire/frame.js'
import { GoodbyeReason, type DecodedMessage, type PeerInfo } from '../wire/messages.js'
import { HandshakeError, PeerError } from './errors.js'
import { Handshake, type HandshakeMessage, type HandshakeResult } from './handshake.js'
import { MAX_CAPABILITIES, MAX_LISTEN_ADDRESSES } from './handshake-transcript.js'
import { peerIdOf } from './identity.js'
import type { ResolvedOptions } from './options.js'

/**
 * Session frames buffered while the remote's auth is being verified; more is a protocol
 * violation. An honest peer sends its auth before any session frame (its session starts only
 * after it has signed for our hello), so these can only arrive in the moment the check takes;
 * before the remote auth, a session frame is refused outright. The byte bound holds one
 * subscribe message of 256 topics of the longest kind, with room to spare.
 */
export const MAX_EARLY_FRAMES = 64
export const MAX_EARLY_BYTES = 128 * 1_024

/** Why a peer is turned away once its hello names it, and the goodbye reason it is told. */
export interface Refusal {
  readonly goodbye: number
  readonly error: Error
  /** Peers to offer instead, sent in a redirect just before the goodbye. */
  readonly redirect?: readonly PeerInfo[]
}

export interface HandshakeRun {
  readonly result: HandshakeResult
  /** Frames of the session that arrived before the handshake completed on this side. */
  readonly earlyFrames: Uint8Array[]
}

/**
 * Offered in the hello of a connection dialled for a request only (a DHT lookup step): the
 * listener may prune the session as soon as it falls idle, when it needs the room.
 */
export const TRANSIENT_CAPABILITY = 'wasmesh:transient'

export interface HandshakeOverOptions {
  readonly expectedPeerId?: Uint8Array
  /** The dialler wants the session for a request only: say so in the hello (TRANSIENT_CAPABILITY). */
  readonly isTransient?: boolean
  readonly signal?: AbortSignal
  /** Called with the peer id a hello names, before anything is signed for it. */
  readonly screen: (peerId: Uint8Array) => Refusal | undefined
  /** Told of the bytes early frames hold: + as each is kept, - all of them once the handshake ends (stats().memory counts them). */
  readonly onBuffered?: (deltaBytes: number) => void
}

/** Sends a goodbye (after a redirect, when there are peers to offer) as a frame of its own and closes; for connections without a session. */
export function refuseConnection(connection: Connection, goodbye: number, reason: string, redirect: readonly PeerInfo[] = []): void {
  if (!connection.isOpen) return
  try {
    const bye = { type: 'goodbye', reason: goodbye } as const
    connection.send(encodeFrame(redirect.length === 0 ? [bye] : [{ type: 'redirect', peers: redirect }, bye]))
  } finally {
    connection.close(reason)
  }
}

/**
 * The remote closed our connection as a duplicate (a goodbye NORMAL after its hello): it
 * keeps another connection with us, whose session will serve the connect.
 */
export class DuplicateConnection extends PeerError {
  constructor(readonly remotePeerId: Uint8Array) {
    super('PEER_REFUSED', 'the remote closed this connection as a duplicate of another one between us')
  }
}

/** What the remote's goodbye during the handshake means for whoever awaits the connect. */
function remoteRefusal(reason: number, redirect: readonly PeerInfo[]): PeerError {
  const offered = redirect.length === 0 ? '' : `; it offered ${redirect.length} other peers (error.redirect)`
  if (reason === GoodbyeReason.TOO_MANY_PEERS) {
    return new PeerError('PEER_TOO_MANY_PEERS', `the remote refused the connection: it has as many peers as it takes${offered}`, { redirect })
  }
  if (reason === GoodbyeReason.BUSY) {
    return new PeerError('PEER_BUSY', `the remote refused the connection: it has as many handshakes under way as it takes; dial again shortly${offered}`, { redirect })
  }
  const name = Object.entries(GoodbyeReason).find(([, code]) => code === reason)?.[0] ?? `reason ${reason}`
  return new PeerError('PEER_REFUSED', `the remote refused the connection during the handshake (${name})${offered}`, { redirect })
}

function goodbyeFor(error: unknown): number {
  if (!(error instanceof HandshakeError)) return GoodbyeReason.PROTOCOL_ERROR
  switch (error.code) {
    case 'HANDSHAKE_VERSION':
      return GoodbyeReason.INCOMPATIBLE_VERSION
    case 'HANDSHAKE_BAD_KEY':
    case 'HANDSHAKE_ID_MISMATCH':
    case 'HANDSHAKE_BAD_SIGNATURE':
    case 'HANDSHAKE_SELF':
      return GoodbyeReason.AUTH_FAILED
    case 'HANDSHAKE_ABORTED':
      return GoodbyeReason.SHUTDOWN
    default:
      return GoodbyeReason.PROTOCOL_ERROR
  }
}

function toHandshakeMessage(message: DecodedMessage): HandshakeMessage | undefined {
  if (message.type === 'hello') {
    return { ...message, capabilities: [...message.capabilities], listenAddresses: [...message.listenAddresses] }
  }
  if (message.type === 'auth') return { type: 'auth', signature: message.signature }
  return undefined
}

/**
 * Authenticates the peer at the other end of `connection`. Resolves with the handshake's
 * result, or rejects with a HandshakeError (or the PeerError the remote's goodbye means,
 * or the screen's refusal); on rejection the connection is closed, with a goodbye when it
 * was our refusal.
 */
export async function handshakeOver(connection: Connection, options: ResolvedOptions, run: HandshakeOverOptions): Promise<HandshakeRun> {
  const handshake = new Handshake({
    identity: options.identity,
    protocolVersion: options.protocolVersion,
    minVersion: options.minVersion,
    // The marker takes the place of the last capability only if all 16 are in use.
    capabilities: run.isTransient === true ? [...options.capabilities.slice(0, MAX_CAPABILITIES - 1), TRANSIENT_CAPABILITY] : options.capabilities,
    listenAddresses: addressesOf(options.transport).slice(0, MAX_LISTEN_ADDRESSES),
    expectedPeerId: run.expectedPeerId,
    clock: options.clock,
    random: options.random,
    timeoutMs: options.handshakeTimeoutMs,
    signal: run.signal,
    ...(options.verify === undefined ? {} : { verify: options.verify }),
  })
  const earlyFrames: Uint8Array[] = []
  let earlyBytes = 0
  let hasRemoteAuth = false
  let refusal: Error | undefined
  let remotePeerId: Uint8Array | undefined

  let redirect: readonly PeerInfo[] = []

  const refuse = (goodbye: number, error: Error, offered?: readonly PeerInfo[]) => {
    if (refusal !== undefined) return
    refusal = error
    handshake.abort(error)
    refuseConnection(connection, goodbye, error.message, offered)
  }
  const sendReply = (reply: HandshakeMessage | null) => {
    if (reply === null || !connection.isOpen) return
    try {
      connection.send(encodeFrame([reply]))
    } catch (error) {
      handshake.abort(error)
    }
  }

  connection.send(encodeFrame([handshake.start()]))
  connection.onMessage((frame) => {
    if (refusal !== undefined || handshake.state === 'failed') return
    let messages: DecodedMessage[]
    try {
      messages = decodeFrame(frame, { unknownTypes: 'return' })
    } catch (error) {
      if (!(error instanceof WireError)) throw error
      refuse(GoodbyeReason.PROTOCOL_ERROR, new HandshakeError('HANDSHAKE_BAD_MESSAGE', `an undecodable frame arrived during the handshake: ${error.message}`, { cause: error }))
      return
    }
    const first = messages[0].type
    if (first !== 'hello' && first !== 'auth' && first !== 'goodbye' && first !== 'redirect') {
      if (!hasRemoteAuth) {
        refuse(GoodbyeReason.PROTOCOL_ERROR, new HandshakeError('HANDSHAKE_UNEXPECTED_MESSAGE', 'a session frame arrived before the remote’s auth'))
      } else if (earlyFrames.length >= MAX_EARLY_FRAMES || earlyBytes + frame.length > MAX_EARLY_BYTES) {
        refuse(GoodbyeReason.PROTOCOL_ERROR, new HandshakeError('HANDSHAKE_UNEXPECTED_MESSAGE', `more than ${MAX_EARLY_FRAMES} session frames or ${MAX_EARLY_BYTES} bytes arrived before the handshake completed`))
      } else {
        earlyFrames.push(frame)
        earlyBytes += frame.length
        run.onBuffered?.(frame.length)
      }
      return
    }
    for (const message of messages) {
      if (message.type === 'redirect') {
        // Kept for the refusal its goodbye brings; a redirect without a goodbye is ignored.
        redirect = message.peers
        continue
      }
      if (message.type === 'goodbye') {
        refusal = message.reason === GoodbyeReason.NORMAL && remotePeerId !== undefined ? new DuplicateConnection(remotePeerId) : remoteRefusal(message.reason, redirect)
        handshake.abort(refusal)
        connection.close('goodbye received during the handshake')
        return
      }
      const step = toHandshakeMessage(message)
      if (step === undefined) {
        refuse(GoodbyeReason.PROTOCOL_ERROR, new HandshakeError('HANDSHAKE_UNEXPECTED_MESSAGE', `a ${message.type} message arrived inside a handshake frame`))
        return
      }
      if (step.type === 'auth') hasRemoteAuth = true
      if (step.type === 'hello') {
        remotePeerId = peerIdOf(step.publicKey)
        const screened = run.screen(remotePeerId)
        if (screened !== undefined) {
          refuse(screened.goodbye, screened.error, screened.redirect)
          return
        }
      }
      void handshake.receive(step).then(sendReply)
    }
  })
  connection.onClose((info) => handshake.abort(new HandshakeError('HANDSHAKE_ABORTED', `the connection closed during the handshake (${info.initiator})`)))

  try {
    const result = await handshake.result
    if (!connection.isOpen) throw new HandshakeError('HANDSHAKE_ABORTED', 'the connection closed as the handshake completed')
    return { result, earlyFrames }
  } catch (error) {
    if (refusal !== undefined) throw refusal
    refuseConnection(connection, goodbyeFor(error), error instanceof Error ? error.message : 'handshake failed')
    throw error
  } finally {
    // Handed to the session (which reads them at once) or dropped: either way no longer held here.
    if (earlyBytes > 0) run.onBuffered?.(-earlyBytes)
  }
}
