// An in-process PeerNetwork for the DHT's tests: N nodes, each with a seeded Identity and the
// address 'memory://<hex id>'; connect() makes a session pair to any live node, and every
// message is encoded, carried by a ManualClock timer after `latencyMs` and decoded, so what
// the DHT sends must be valid on the wire. Nodes can be killed (sessions close, dials fail).

import { Identity, verifySignature } from '../../src/peers/identity.js'
import type { Misbehaviour, PeerNetwork, PeerNetworkEvents, PeerSession, SendPriority } from '../../src/peers/session.js'
import { ManualClock } from '../../src/util/clock.js'
import { SeededRandom } from '../../src/util/random.js'
import { decodeMessage, encodeMessage } from '../../src/wire/index.js'
import type { DecodedMessage } from '../../src/wire/messages.js'
import { toHex } from '../../src/dht/ids.js'
import type { VerifyFn } from '../../src/dht/records.js'

export interface FakeMeshOptions {
  latencyMs?: number
  seed?: number
  /** Real milliseconds each signature takes on top of the crypto: a slow or busy machine. */
  slowSignMs?: number
}

type Handlers = { [E in keyof PeerNetworkEvents]: Set<PeerNetworkEvents[E]> }

export class FakeMesh {
  readonly clock = new ManualClock()
  readonly random: SeededRandom
  readonly latencyMs: number
  readonly nodes: FakeNode[] = []
  readonly byAddress = new Map<string, FakeNode>()
  messagesDelivered = 0
  /** Signatures made or checked in flight: the driver does not move time while crypto runs off-thread. */
  busy = 0
  /** verifySignature, counted in `busy`; give it to every Dht of the mesh. */
  readonly verify: VerifyFn = async (publicKey, message, signature) => {
    this.busy++
    try {
      return await verifySignature(publicKey, message, signature)
    } finally {
      this.busy--
    }
  }

  private readonly slowSignMs: number

  constructor(options: FakeMeshOptions = {}) {
    this.latencyMs = options.latencyMs ?? 10
    this.slowSignMs = options.slowSignMs ?? 0
    this.random = new SeededRandom(options.seed ?? 1)
  }

  addNode(): FakeNode {
    const identity = Identity.generate(this.random)
    // Signing (a put) is real async work too: virtual time must wait for it as for a verify,
    // or a slow machine lets requests time out in virtual time while a signature is made.
    const sign = identity.sign.bind(identity)
    identity.sign = async (message) => {
      this.busy++
      try {
        if (this.slowSignMs > 0) await new Promise((resolve) => setTimeout(resolve, this.slowSignMs))
        return await sign(message)
      } finally {
        this.busy--
      }
    }
    const node = new FakeNode(this, identity, this.random.fork())
    this.nodes.push(node)
    this.byAddress.set(node.address, node)
    return node
  }

  /**
   * Resolves with what `promise` gives, moving virtual time forward only while the real event
   * loop has nothing left to do (no microtask, no signature check in flight).
   */
  async run<T>(promise: Promise<T>, maxIdleSteps = 1_000_000): Promise<T> {
    let isDone = false
    promise.then(
      () => { isDone = true },
      () => { isDone = true },
    )
    for (let step = 0; !isDone; step++) {
      await new Promise<void>((resolve) => setImmediate(resolve))
      if (isDone) break
      if (this.busy > 0) continue
      if (step > maxIdleSteps) throw new Error('FakeMesh.run: the promise did not settle')
      const next = this.clock.nextTimerAt
      const now = this.clock.now()
      this.clock.advanceTo(next === undefined ? now + this.latencyMs : Math.max(now, Math.min(next, now + this.latencyMs)))
    }
    return promise
  }

  /** Advances virtual time by `ms`, letting async work run between timers. */
  async advance(ms: number): Promise<void> {
    const end = this.clock.now() + ms
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve))
      if (this.busy > 0) continue
      const next = this.clock.nextTimerAt
      if (next === undefined || next > end) break
      this.clock.advanceTo(Math.max(this.clock.now(), next))
    }
    this.clock.advanceTo(end)
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
}

export class FakeNode implements PeerNetwork {
  readonly clock: ManualClock
  readonly address: string
  readonly key: string
  isDown = false
  readonly penalties: { peer: string; reason: Misbehaviour }[] = []
  private readonly sessions = new Map<string, FakeSession>()
  private readonly handlers: Handlers = { 'peer:connect': new Set(), 'peer:disconnect': new Set(), message: new Set() }
  private nextHandle = 1

  constructor(readonly mesh: FakeMesh, readonly identity: Identity, readonly random: SeededRandom) {
    this.clock = mesh.clock
    this.key = toHex(identity.peerId)
    this.address = `memory://${this.key}`
  }

  get id(): Uint8Array {
    return this.identity.peerId
  }

  peers(): readonly PeerSession[] {
    return [...this.sessions.values()]
  }

  peer(peerId: Uint8Array): PeerSession | undefined {
    return this.sessions.get(toHex(peerId))
  }

  connect(address: string, options: { expectedPeerId?: Uint8Array; signal?: AbortSignal } = {}): Promise<PeerSession> {
    return new Promise<PeerSession>((resolve, reject) => {
      const target = this.mesh.byAddress.get(address)
      if (this.isDown) return reject(new Error('this node is down'))
      if (target === this) return reject(new Error('cannot connect to self'))
      if (target !== undefined && options.expectedPeerId !== undefined && toHex(options.expectedPeerId) !== target.key) {
        return reject(new Error(`${address} is not the expected peer`))
      }
      const open = target === undefined ? undefined : this.sessions.get(target.key)
      if (open !== undefined) return resolve(open)
      // A dial takes one round trip; a dead or unknown address fails after the same time.
      const timer = this.clock.setTimeout(() => {
        options.signal?.removeEventListener('abort', onAbort)
        if (target === undefined || target.isDown || this.isDown) return reject(new Error(`${address} is unreachable`))
        resolve(this.sessions.get(target.key) ?? this.openPair(target))
      }, 2 * this.mesh.latencyMs)
      const onAbort = () => {
        this.clock.clearTimeout(timer)
        reject(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'))
      }
      options.signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Connects to `other` now, without waiting a round trip (test set-up). */
  link(other: FakeNode): PeerSession {
    return this.sessions.get(other.key) ?? this.openPair(other)
  }

  on<E extends keyof PeerNetworkEvents>(event: E, handler: PeerNetworkEvents[E]): () => void {
    const set = this.handlers[event] as Set<PeerNetworkEvents[E]>
    set.add(handler)
    return () => set.delete(handler)
  }

  /** Takes the node off the network: its sessions close and nobody reaches it any more. */
  kill(): void {
    this.isDown = true
    for (const session of [...this.sessions.values()]) session.close('killed')
  }

  listenerCount(): number {
    return this.handlers['peer:connect'].size + this.handlers['peer:disconnect'].size + this.handlers.message.size
  }

  private openPair(other: FakeNode): FakeSession {
    const mine = new FakeSession(this, other, this.nextHandle++, 'outbound')
    const theirs = new FakeSession(other, this, other.nextHandle++, 'inbound')
    mine.counterpart = theirs
    theirs.counterpart = mine
    this.sessions.set(other.key, mine)
    other.sessions.set(this.key, theirs)
    other.emit('peer:connect', theirs)
    this.emit('peer:connect', mine)
    return mine
  }

  /** @internal */
  dropSession(session: FakeSession, reason: string): void {
    if (this.sessions.get(session.peerKey) !== session) return
    this.sessions.delete(session.peerKey)
    for (const handler of this.handlers['peer:disconnect']) handler(session, reason)
  }

  /** @internal */
  deliver(session: FakeSession, message: DecodedMessage): void {
    this.mesh.messagesDelivered++
    for (const handler of this.handlers.message) handler(session, message)
  }

  private emit(event: 'peer:connect', session: FakeSession): void {
    for (const handler of this.handlers[event]) handler(session)
  }
}

export class FakeSession implements PeerSession {
  readonly peerId: Uint8Array
  readonly peerKey: string
  readonly publicKey: Uint8Array
  readonly version = 1
  readonly capabilities: readonly string[] = ['dht/1']
  readonly listenAddresses: readonly string[]
  readonly remoteAddress: string
  readonly prefix: string | undefined = undefined
  isOpen = true
  counterpart: FakeSession | undefined

  constructor(readonly owner: FakeNode, readonly remote: FakeNode, readonly handle: number, readonly direction: 'inbound' | 'outbound') {
    this.peerId = remote.identity.peerId
    this.peerKey = remote.key
    this.publicKey = remote.identity.publicKey
    this.listenAddresses = [remote.address]
    this.remoteAddress = remote.address
  }

  send(message: DecodedMessage, _priority: SendPriority): boolean {
    if (!this.isOpen) return false
    const bytes = encodeMessage(message)
    const counterpart = this.counterpart as FakeSession
    this.owner.clock.setTimeout(() => {
      if (counterpart.isOpen && !this.remote.isDown) this.remote.deliver(counterpart, decodeMessage(bytes))
    }, this.owner.mesh.latencyMs)
    return true
  }

  penalize(reason: Misbehaviour): void {
    this.owner.penalties.push({ peer: this.peerKey, reason })
  }

  close(reason = 'closed'): void {
    if (!this.isOpen) return
    this.isOpen = false
    const counterpart = this.counterpart as FakeSession
    counterpart.isOpen = false
    this.owner.dropSession(this, reason)
    this.remote.dropSession(counterpart, reason)
  }
}
