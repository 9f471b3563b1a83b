// An in-process PeerNetwork for the relay's tests: N nodes with real identities, links
// between them, and messages delivered on a ManualClock after a latency, with optional
// seeded loss. Every message goes through the wire codec (encode, then decode) so what a
// node receives is exactly what a peer could have sent. Enough for a few hundred nodes.

import { Identity } from '../../src/peers/identity.js'
import type { Misbehaviour, PeerNetwork, PeerNetworkEvents, PeerSession, SendPriority } from '../../src/peers/session.js'
import { decodeMessage, encodeMessage } from '../../src/wire/codec.js'
import type { DecodedMessage } from '../../src/wire/messages.js'
import { ManualClock } from '../../src/util/clock.js'
import { SeededRandom } from '../../src/util/random.js'

export interface FakeMeshOptions {
  nodes: number
  seed?: number
  latencyMs?: number
  /** Probability that one message on a link is lost, 0 to 1. */
  loss?: number
  /** Encode and decode every message (default true). */
  codec?: boolean
}

type Handlers = { [E in keyof PeerNetworkEvents]: Set<PeerNetworkEvents[E]> }

let nextHandle = 1

/** One direction of a link: how `local` sees `remote`. */
export class FakeSession implements PeerSession {
  readonly peerId: Uint8Array
  readonly peerKey: string
  readonly handle = nextHandle++
  readonly publicKey: Uint8Array
  readonly version = 1
  readonly capabilities: readonly string[] = []
  readonly listenAddresses: readonly string[] = []
  readonly remoteAddress = 'memory://fake'
  readonly prefix: string | undefined = undefined
  isOpen = true
  /** Every penalty given to this peer, in order. */
  readonly penalties: Misbehaviour[] = []
  /** Every message queued to this peer. */
  readonly sent: DecodedMessage[] = []

  constructor(readonly mesh: FakeMesh, readonly local: FakeNode, readonly remote: FakeNode, readonly direction: 'inbound' | 'outbound') {
    this.peerId = remote.identity.peerId
    this.peerKey = remote.key
    this.publicKey = remote.identity.publicKey
  }

  send(message: DecodedMessage, _priority: SendPriority): boolean {
    if (!this.isOpen) return false
    this.sent.push(message)
    this.mesh.transmit(this, message)
    return true
  }

  penalize(reason: Misbehaviour): void {
    this.penalties.push(reason)
  }

  close(reason = 'closed'): void {
    this.mesh.unlink(this.local.index, this.remote.index, reason)
  }
}

export class FakeNode implements PeerNetwork {
  readonly key: string
  readonly sessions = new Map<number, FakeSession>()
  private readonly handlers: Handlers = { 'peer:connect': new Set(), 'peer:disconnect': new Set(), message: new Set() }

  constructor(readonly mesh: FakeMesh, readonly index: number, readonly identity: Identity, readonly random: SeededRandom) {
    this.key = Buffer.from(identity.peerId).toString('hex')
  }

  get clock(): ManualClock {
    return this.mesh.clock
  }

  peers(): readonly PeerSession[] {
    return [...this.sessions.values()]
  }

  peer(peerId: Uint8Array): PeerSession | undefined {
    const key = Buffer.from(peerId).toString('hex')
    for (const session of this.sessions.values()) if (session.peerKey === key) return session
    return undefined
  }

  /** The session to node `index`, which must be linked. */
  session(index: number): FakeSession {
    const session = this.sessions.get(index)
    if (session === undefined) throw new Error(`node ${this.index} has no link to node ${index}`)
    return session
  }

  connect(): Promise<PeerSession> {
    return Promise.reject(new Error('FakeNode.connect: link nodes with FakeMesh.link()'))
  }

  on<E extends keyof PeerNetworkEvents>(event: E, handler: PeerNetworkEvents[E]): () => void {
    const set = this.handlers[event] as Set<PeerNetworkEvents[E]>
    set.add(handler)
    return () => set.delete(handler)
  }

  /** Calls the handlers of `event` (copying the set: a handler may unsubscribe). */
  emit<E extends keyof PeerNetworkEvents>(event: E, ...args: Parameters<PeerNetworkEvents[E]>): void {
    for (const handler of [...this.handlers[event]] as Array<(...a: Parameters<PeerNetworkEvents[E]>) => void>) handler(...args)
  }

  get listenerCount(): number {
    return this.handlers['peer:connect'].size + this.handlers['peer:disconnect'].size + this.handlers.message.size
  }
}

export class FakeMesh {
  readonly clock = new ManualClock(1_000)
  readonly nodes: FakeNode[] = []
  latencyMs: number
  loss: number
  readonly random: SeededRandom
  private readonly codec: boolean
  /** Messages put on links, and how many of them the loss dropped. */
  transmitted = 0
  lost = 0

  constructor(options: FakeMeshOptions) {
    this.random = new SeededRandom(options.seed ?? 1)
    this.latencyMs = options.latencyMs ?? 10
    this.loss = options.loss ?? 0
    this.codec = options.codec ?? true
    for (let i = 0; i < options.nodes; i++) {
      const random = this.random.fork()
      this.nodes.push(new FakeNode(this, i, Identity.generate(random), random))
    }
  }

  /** Opens a link between nodes a and b; both sides hear 'peer:connect'. */
  link(a: number, b: number): void {
    if (a === b || this.nodes[a].sessions.has(b)) return
    const ab = new FakeSession(this, this.nodes[a], this.nodes[b], 'outbound')
    const ba = new FakeSession(this, this.nodes[b], this.nodes[a], 'inbound')
    this.nodes[a].sessions.set(b, ab)
    this.nodes[b].sessions.set(a, ba)
    this.nodes[a].emit('peer:connect', ab)
    this.nodes[b].emit('peer:connect', ba)
  }

  unlink(a: number, b: number, reason = 'closed'): void {
    const ab = this.nodes[a].sessions.get(b)
    const ba = this.nodes[b].sessions.get(a)
    if (ab === undefined || ba === undefined) return
    ab.isOpen = false
    ba.isOpen = false
    this.nodes[a].sessions.delete(b)
    this.nodes[b].sessions.delete(a)
    this.nodes[a].emit('peer:disconnect', ab, reason)
    this.nodes[b].emit('peer:disconnect', ba, reason)
  }

  /** Each node dials `degree` distinct random others (so the mean degree is about 2 * degree). */
  linkRandom(degree: number): void {
    const n = this.nodes.length
    for (let a = 0; a < n; a++) {
      let made = 0
      while (made < degree) {
        const b = this.random.nextInt(n)
        if (b === a || this.nodes[a].sessions.has(b)) continue
        this.link(a, b)
        made++
      }
    }
  }

  /** True when every node can reach every other over links. */
  isConnected(): boolean {
    const seen = new Set<number>([0])
    const queue = [0]
    while (queue.length > 0) {
      const a = queue.pop() as number
      for (const b of this.nodes[a].sessions.keys()) if (!seen.has(b)) (seen.add(b), queue.push(b))
    }
    return seen.size === this.nodes.length
  }

  transmit(from: FakeSession, message: DecodedMessage): void {
    this.transmitted++
    if (this.loss > 0 && this.random.nextFloat() < this.loss) {
      this.lost++
      return
    }
    const copy = this.codec ? decodeMessage(encodeMessage(message)) : message
    const receiver = from.remote
    const senderIndex = from.local.index
    this.clock.setTimeout(() => {
      const back = receiver.sessions.get(senderIndex)
      if (back === undefined || !back.isOpen) return
      receiver.emit('message', back, copy)
    }, this.latencyMs)
  }

  /** Runs the clock until no message is in flight. */
  run(): void {
    this.clock.runAll()
  }
}
