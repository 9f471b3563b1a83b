// Attacks on the handshake's waiting room (issue 10, attack 3): connections opened and never
// handshaken, re-opened as soon as they are closed, from many sources and from one; and
// connections that send a hello and then stall. Pending handshakes are bounded apart from
// sessions, per source and in time (src/peers/pending-handshakes.ts): the victim keeps
// accepting honest peers while the attack runs, and its waiting room never grows past its cap.

import { describe, expect, it } from 'vitest'
import type { MeshNode } from '../../src/node.js'
import { bytesEqual, Identity } from '../../src/peers/identity.js'
import { useDeterministicEd25519 } from '../../src/peers/identity-crypto.js'
import { DEFAULT_HELLO_TIMEOUT_MS, DEFAULT_MAX_PENDING_HANDSHAKES, DEFAULT_MAX_PENDING_HANDSHAKES_PER_SOURCE } from '../../src/peers/options.js'
import type { Connection, MemoryTransport } from '../../src/transport/index.js'
import { seededRandom } from '../../src/util/random.js'
import { encodeFrame } from '../../src/wire/index.js'
import { createMesh, type Mesh } from './harness.js'

useDeterministicEd25519()

const isPeer = (node: MeshNode, id: Uint8Array) => node.peers().some((peer) => bytesEqual(peer.id, id))

/** Keeps `perSource` connections from each of `sources` transports open to `target`, re-dialling each one the victim closes. */
function holdOpen(mesh: Mesh, target: string, sources: number, perSource: number, onOpen: (connection: Connection) => void = () => {}) {
  const transports: MemoryTransport[] = []
  let isRunning = true
  let opened = 0
  const open = (transport: MemoryTransport) => {
    if (!isRunning) return
    transport.dial(target).then((connection) => {
      opened++
      connection.onMessage(() => {})
      connection.onClose(() => open(transport))
      onOpen(connection)
    }, () => {})
  }
  for (let s = 0; s < sources; s++) {
    const transport = mesh.net.createTransport(`sybil-${s}`)
    transports.push(transport)
    for (let c = 0; c < perSource; c++) open(transport)
  }
  return {
    get opened() {
      return opened
    },
    async stop() {
      isRunning = false
      await Promise.all(transports.map((transport) => transport.close()))
    },
  }
}

/** Fresh honest nodes, one a second, each dialling only the victim; resolves with how many got a session with it. */
async function honestArrivals(mesh: Mesh, victim: MeshNode, count: number): Promise<number> {
  let connected = 0
  for (let i = 0; i < count; i++) {
    const node = await mesh.node({ peers: { maxRetries: 0 } })
    await mesh.settle(node.start())
    const outcome = await mesh.settle(node.connect(victim.addresses[0]!).then(() => true, () => false))
    if (outcome && isPeer(victim, node.id)) connected++
    await mesh.runFor(1_000 - 50)
    await mesh.settle(node.stop())
  }
  return connected
}

describe('hostile peers: the handshake waiting room', () => {
  it('100 idle connections from 25 sources, re-opened as they are closed, for 20 s: all 20 honest newcomers still connect, and pending handshakes never exceed their cap', async () => {
    const mesh = createMesh({ latencyMs: 10, jitterMs: 5 })
    const victim = await mesh.node()
    await mesh.settle(victim.start())
    let maxPending = 0
    const sample = () => (maxPending = Math.max(maxPending, victim.stats().layers.peers.handshaking))
    const attack = holdOpen(mesh, victim.addresses[0]!, 25, 4, sample)
    await mesh.runFor(500)

    const connected = await honestArrivals(mesh, victim, 20)
    const pending = victim.stats().layers.peers.pendingHandshakes

    expect(connected).toBe(20)
    // The attack ran the whole minute: every idle connection was closed by its hello timeout or pushed out, and re-opened.
    expect(attack.opened).toBeGreaterThan(100 * Math.floor(20_000 / DEFAULT_HELLO_TIMEOUT_MS) * 0.9)
    expect(pending.helloTimeouts + pending.evicted).toBeGreaterThan(900)
    expect(maxPending).toBeLessThanOrEqual(DEFAULT_MAX_PENDING_HANDSHAKES + 1)
    expect(victim.stats().layers.peers.handshaking).toBeLessThanOrEqual(DEFAULT_MAX_PENDING_HANDSHAKES + 1)

    await attack.stop()
    await mesh.runFor(DEFAULT_HELLO_TIMEOUT_MS * 2)
    expect(victim.stats().layers.peers.handshaking).toBe(0)
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  }, 90_000)

  it('one source gets at most its share of the waiting room; the rest of its connections are refused at once, and another source still connects', async () => {
    const mesh = createMesh({ latencyMs: 10, jitterMs: 0 })
    const victim = await mesh.node()
    await mesh.settle(victim.start())
    const closedAt: number[] = []
    const attacker = mesh.net.createTransport('one-host')
    const connections = await mesh.settle(Promise.all(Array.from({ length: 10 }, () => attacker.dial(victim.addresses[0]!))))
    for (const connection of connections) {
      connection.onMessage(() => {})
      connection.onClose(() => closedAt.push(mesh.clock.now()))
    }
    await mesh.runFor(100)

    expect(victim.stats().layers.peers.handshaking).toBe(DEFAULT_MAX_PENDING_HANDSHAKES_PER_SOURCE)
    expect(victim.stats().layers.peers.pendingHandshakes.refused).toBe(10 - DEFAULT_MAX_PENDING_HANDSHAKES_PER_SOURCE)
    expect(closedAt).toHaveLength(10 - DEFAULT_MAX_PENDING_HANDSHAKES_PER_SOURCE)

    const honest = await mesh.node()
    await mesh.settle(honest.start())
    await mesh.settle(honest.connect(victim.addresses[0]!))
    expect(isPeer(victim, honest.id)).toBe(true)

    // The silent ones are closed by the hello timeout, long before the handshake's own.
    await mesh.runFor(DEFAULT_HELLO_TIMEOUT_MS)
    expect(closedAt).toHaveLength(10)
    expect(victim.stats().layers.peers.pendingHandshakes.helloTimeouts).toBe(DEFAULT_MAX_PENDING_HANDSHAKES_PER_SOURCE)
    await attacker.close()
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  })

  it('connections that send a hello and then stall cannot hold the waiting room: the oldest make room for newcomers, and each is closed when no auth follows within a hello timeout', async () => {
    const mesh = createMesh({ latencyMs: 10, jitterMs: 0 })
    const victim = await mesh.node()
    await mesh.settle(victim.start())
    const random = seededRandom(99)
    // A hello costs nothing to make (no signature): a fresh key and nonce each time.
    const sendHello = (connection: Connection) => {
      const nonce = new Uint8Array(32)
      random.fill(nonce)
      const publicKey = Identity.generate(random).publicKey
      connection.send(encodeFrame([{ type: 'hello', protocolVersion: 1, minVersion: 1, capabilities: [], publicKey, nonce, listenAddresses: [] }]))
    }
    const attack = holdOpen(mesh, victim.addresses[0]!, DEFAULT_MAX_PENDING_HANDSHAKES, 1, sendHello)
    await mesh.runFor(DEFAULT_HELLO_TIMEOUT_MS + 500)
    // Every slot is held by a connection that has spoken.
    expect(victim.stats().layers.peers.handshaking).toBe(DEFAULT_MAX_PENDING_HANDSHAKES)

    const connected = await honestArrivals(mesh, victim, 5)
    expect(connected).toBe(5)
    expect(victim.stats().layers.peers.pendingHandshakes.evicted).toBeGreaterThanOrEqual(5)
    await attack.stop()
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  })
})
