// WebRTC signaling through the mesh. A WebRtcTransport needs a Signaling to carry its knocks,
// offers, answers and candidates; before a node has peers that is the bootstrap server's, but
// once it has any, the mesh itself can carry them: each signal goes as a meshSignal, the
// router's own routed message (signed by its origin, acknowledged, retried, rate-limited per
// origin), to the peer whose id the signaling id names. So two nodes that never met connect
// over WebRTC without any server, and the mesh keeps growing after the server is gone.
//
// The signaling id is the node's peer id in hex, on the server too, so 'webrtc://<hex id>'
// reaches the node whichever path carries its signals. The node plugs the router in
// (createMeshNode's meshSignaling option); until then, and while the node has no peers,
// signals go to the server.

import type { Identity } from '../peers/identity.js'
import type { Router, RoutedMessage } from '../routing/router.js'
import type { SignalMessage, Signaling } from '../transport/webrtc/signaling.js'
import { UNREACHABLE_REASON } from '../transport/webrtc/signaling.js'
import { fromHex, toHex } from '../util/hex.js'
import { describeValue } from '../util/validate.js'
import { MeshNodeError } from './errors.js'

/**
 * The largest signal carried through the mesh, in bytes of its JSON: an offer's SDP with a
 * few candidates is 1-3 KB. Larger ones are not sent, and dropped when received.
 */
export const MAX_MESH_SIGNAL_BYTES = 16_384

export interface MeshSignalingOptions {
  /** The node's identity (the same one given to createMeshNode): the signaling id is its peer id in hex. */
  readonly identity: Identity
  /**
   * The bootstrap server's signaling (WebSocketSignaling), for signals while the node has no
   * peers: registered under the same id. DEFAULT none: the node signals through the mesh only.
   */
  readonly server?: Signaling
}

export interface MeshSignalingStats {
  /** Signals sent as meshSignal messages, and those the mesh did not acknowledge in time (or refused at once). */
  readonly sentThroughMesh: number
  readonly meshSendFailures: number
  /** Signals handed to the server's signaling. */
  readonly sentThroughServer: number
  /** Signals with no way to go (no peers and no server, or an id that is not a peer id while the server is gone): answered as for an unknown peer. */
  readonly unroutable: number
  /** Signals received through the mesh, and those dropped: over MAX_MESH_SIGNAL_BYTES, or not JSON. */
  readonly receivedThroughMesh: number
  readonly droppedOversized: number
  readonly droppedMalformed: number
}

/** What the node gives a MeshSignaling: its router, and whether it has a session to send through. */
interface MeshPath {
  readonly router: Router
  readonly hasPeers: () => boolean
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })
const PEER_ID_HEX = /^[0-9a-f]{64}$/

/**
 * A Signaling that carries WebRTC signals through the mesh once the node has peers, and
 * through the bootstrap server's signaling (if given) before. Give it to the node's
 * WebRtcTransport and to createMeshNode as `meshSignaling`:
 *
 * ```ts
 * const identity = Identity.generate()
 * const server = await WebSocketSignaling.connect(url, { id: MeshSignaling.idOf(identity) })
 * const signaling = new MeshSignaling({ identity, server })
 * const node = await createMeshNode({ identity, transport: new WebRtcTransport({ signaling }), meshSignaling: signaling })
 * ```
 *
 * What comes through the mesh is signed by its origin, so its sender id is proved, unlike the
 * server's word; the transport checks every signal either way (parseSignal).
 */
export class MeshSignaling implements Signaling {
  readonly localId: string
  readonly #server: Signaling | undefined
  #path: MeshPath | undefined
  #handler: ((fromId: string, message: unknown) => void) | undefined
  #isClosed = false
  #sentThroughMesh = 0
  #meshSendFailures = 0
  #sentThroughServer = 0
  #unroutable = 0
  #receivedThroughMesh = 0
  #droppedOversized = 0
  #droppedMalformed = 0

  constructor(options: MeshSignalingOptions) {
    if (typeof options !== 'object' || options === null) throw invalid(`MeshSignaling options must be an object, got ${describeValue(options)}`)
    const { identity, server } = options
    if (!(identity?.peerId instanceof Uint8Array) || identity.peerId.length !== 32) throw invalid(`identity must be the node's Identity, got ${describeValue(identity)}`)
    this.localId = toHex(identity.peerId)
    if (server !== undefined) {
      if (typeof server?.send !== 'function' || typeof server.onMessage !== 'function' || typeof server.close !== 'function') {
        throw invalid(`server must be a Signaling (send, onMessage, close), got ${describeValue(server)}`)
      }
      if (server.localId !== this.localId) {
        throw invalid(`the server signaling is registered as ${JSON.stringify(String(server.localId).slice(0, 80))}; it must use the node's peer id in hex, ${this.localId}, so both paths reach the same webrtc:// address`)
      }
      server.onMessage((fromId, message) => {
        if (!this.#isClosed) this.#handler?.(fromId, message)
      })
    }
    this.#server = server
  }

  /** The signaling id of a node with `identity`: its peer id in hex (register the server's signaling under it). */
  static idOf(identity: Identity): string {
    return toHex(identity.peerId)
  }

  /** Whether the node has plugged its router in (createMeshNode's meshSignaling option). */
  get isAttached(): boolean {
    return this.#path !== undefined
  }

  /**
   * Plugs the node's router in: from now on signals to a peer id go through the mesh while
   * `hasPeers()`, and meshSignal messages to this node come out of onMessage. Returns the
   * function that unplugs it (the node calls it as it stops).
   * @internal
   */
  attach(router: Router, hasPeers: () => boolean): () => void {
    if (this.#path !== undefined) throw invalid('this MeshSignaling is already the meshSignaling of a node: give each node its own')
    const path: MeshPath = { router, hasPeers }
    this.#path = path
    router.onMeshSignal((message) => this.#receive(message))
    return () => {
      if (this.#path !== path) return
      this.#path = undefined
      router.onMeshSignal(undefined)
    }
  }

  send(toId: string, message: SignalMessage): void {
    if (this.#isClosed) return
    const path = this.#path
    if (path !== undefined && PEER_ID_HEX.test(toId) && path.hasPeers()) {
      const bytes = encoder.encode(JSON.stringify(message))
      if (bytes.length <= MAX_MESH_SIGNAL_BYTES) {
        this.#sentThroughMesh++
        path.router.sendMeshSignal(fromHex(toId), bytes).catch(() => {
          this.#meshSendFailures++
        })
        return
      }
    }
    if (this.#server !== undefined) {
      this.#sentThroughServer++
      this.#server.send(toId, message)
      return
    }
    this.#unroutable++
    // As a signaling that does not know the peer answers (Signaling.send), never from inside send().
    if (message.type !== 'bye') queueMicrotask(() => this.#handler?.(toId, { type: 'bye', connectionId: message.connectionId, reason: UNREACHABLE_REASON }))
  }

  onMessage(handler: (fromId: string, message: unknown) => void): void {
    this.#handler = handler
  }

  /** Stops both paths; closes the server's signaling too. Idempotent. */
  close(): void {
    if (this.#isClosed) return
    this.#isClosed = true
    this.#handler = undefined
    this.#server?.close()
  }

  stats(): MeshSignalingStats {
    return {
      sentThroughMesh: this.#sentThroughMesh,
      meshSendFailures: this.#meshSendFailures,
      sentThroughServer: this.#sentThroughServer,
      unroutable: this.#unroutable,
      receivedThroughMesh: this.#receivedThroughMesh,
      droppedOversized: this.#droppedOversized,
      droppedMalformed: this.#droppedMalformed,
    }
  }

  #receive(message: RoutedMessage): void {
    if (this.#isClosed) return
    this.#receivedThroughMesh++
    if (message.data.length > MAX_MESH_SIGNAL_BYTES) {
      this.#droppedOversized++
      return
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(decoder.decode(message.data))
    } catch {
      this.#droppedMalformed++
      return
    }
    this.#handler?.(toHex(message.from), parsed)
  }
}

function invalid(message: string): MeshNodeError {
  return new MeshNodeError('NODE_INVALID_OPTION', message)
}
