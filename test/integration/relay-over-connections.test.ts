// The layers plugged together as a node will use them: Relay over the real ConnectionManager,
// over the MemoryNetwork, in virtual time. 30 nodes, each dialling 3 random others.

import { describe, expect, it } from 'vitest'
import { ConnectionManager } from '../../src/peers/connection-manager.js'
import { Identity } from '../../src/peers/identity.js'
import { Relay, type RelayMessage } from '../../src/relay/index.js'
import { MemoryNetwork } from '../../src/transport/index.js'
import { ManualClock } from '../../src/util/clock.js'
import { seededRandom } from '../../src/util/random.js'

const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('Relay over ConnectionManager over MemoryNetwork', () => {
  it('delivers a publish to every subscriber exactly once, and stops cleanly', async () => {
    const clock = new ManualClock()
    const net = new MemoryNetwork({ clock, latencyMs: 10, jitterMs: 5, seed: 7 })
    const random = seededRandom(42)
    const count = 30
    const managers: ConnectionManager[] = []
    const relays: Relay[] = []
    const received: RelayMessage[][] = []
    for (let i = 0; i < count; i++) {
      const manager = new ConnectionManager({
        identity: Identity.generate(seededRandom(1000 + i)), transport: net.createTransport(`node${i}`), clock, random: seededRandom(i),
      })
      const relay = new Relay({ network: manager })
      const inbox: RelayMessage[] = []
      relay.subscribe('news', (message) => inbox.push(message))
      managers.push(manager)
      relays.push(relay)
      received.push(inbox)
      await manager.start()
    }
    /** Runs promise callbacks (WebCrypto) and virtual time together until `isDone`. */
    const runUntil = async (isDone: () => boolean) => {
      for (let step = 0; step < 5_000 && !isDone(); step++) {
        for (let i = 0; i < 3; i++) await turn()
        clock.advance(1)
      }
      expect(isDone()).toBe(true)
    }

    const dials: Promise<unknown>[] = []
    for (let i = 0; i < count; i++) {
      for (let d = 0; d < 3; d++) {
        const j = random.nextInt(count)
        if (j !== i) dials.push(managers[i]!.connect(`memory://node${j}`).catch(() => undefined))
      }
    }
    let settled = false
    void Promise.all(dials).then(() => (settled = true))
    await runUntil(() => settled)
    // Subscriptions travel to neighbours after connect.
    await runUntil(() => relays.every((relay) => relay.stats().peersWithTopics === managers[relays.indexOf(relay)]!.peers().length))

    const data = new TextEncoder().encode('hello mesh')
    await relays[0]!.publish('news', data)
    await runUntil(() => received.slice(1).every((inbox) => inbox.length > 0))
    clock.advance(1_000)
    for (let i = 0; i < 5; i++) await turn()

    expect(received[0]).toEqual([]) // the origin does not hear its own publish
    for (const inbox of received.slice(1)) {
      expect(inbox).toHaveLength(1)
      expect(inbox[0]!.data).toEqual(data)
      expect(inbox[0]!.origin).toEqual(managers[0]!.identity.peerId)
    }
    const copies = relays.slice(1).reduce((sum, relay) => sum + relay.stats().received, 0) / (count - 1)
    expect(copies).toBeGreaterThanOrEqual(1)
    console.log(`relay over connections: ${count} nodes, ${copies.toFixed(2)} copies received per node`)

    for (const relay of relays) relay.stop()
    await Promise.all(managers.map((manager) => manager.stop()))
    clock.advance(60_000)
    expect(clock.pending).toBe(0)
  }, 60_000)
})
