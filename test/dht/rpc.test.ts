// Rpc: a request waiting on a session that closes does not wait out its timeout. It moves to
// the session that replaced the closed one (as when two nodes dialled each other at once and
// one connection was kept), or fails at once, and leaves no timer behind either way.

import { describe, expect, it } from 'vitest'
import { DhtError } from '../../src/dht/errors.js'
import { Rpc } from '../../src/dht/rpc.js'
import type { PeerSession } from '../../src/peers/session.js'
import { PRIORITY_DHT } from '../../src/peers/session.js'
import type { FindNodeMessage } from '../../src/wire/messages.js'
import { FakeMesh, type FakeNode } from './fake-network.js'

const TIMEOUT_MS = 5_000

/** Two linked nodes; `b` answers every findNode (on the session it came on) unless told to stay silent. */
function pair(options: { isSilent?: boolean } = {}) {
  const mesh = new FakeMesh({ seed: 5, latencyMs: 10 })
  const a = mesh.addNode()
  const b = mesh.addNode()
  const arrivals: { session: PeerSession; requestId: number }[] = []
  b.on('message', (session, message) => {
    if (message.type !== 'findNode') return
    arrivals.push({ session, requestId: message.requestId })
    if (!options.isSilent) session.send({ type: 'nodes', requestId: message.requestId, peers: [] }, PRIORITY_DHT)
  })
  const rpc = new Rpc(a, TIMEOUT_MS)
  a.on('message', (session, message) => {
    if (message.type === 'nodes') rpc.handleReply(session, message)
  })
  const first = a.link(b)
  return { mesh, a, b, rpc, first, arrivals }
}

const findNode = (rpc: Rpc, to: FakeNode) => rpc.request<FindNodeMessage>({ id: to.id, addresses: [to.address] }, { type: 'findNode', target: to.id })

describe('Rpc: a request whose session closes', () => {
  it('moves to the session that replaced the closed one, with the same requestId, and resolves from it long before the timeout', async () => {
    const { mesh, a, b, rpc, first, arrivals } = pair()
    const request = findNode(rpc, b)
    await mesh.advance(5) // sent, not yet arrived: closing now loses it
    first.close('replaced by the connection dialled by the lower peer id')
    const second = a.link(b) // the survivor, admitted in the same task as the close
    expect(second).not.toBe(first)

    const { session, reply } = await mesh.run(request)
    expect(session).toBe(a.peer(b.id))
    expect(session).toBe(second)
    expect(arrivals).toHaveLength(1)
    expect(arrivals[0]!.requestId).toBe(reply.requestId)
    expect(mesh.clock.now()).toBe(25) // 5 ms on the closed session, then a round trip of 20 on the survivor
    expect(rpc.counters).toMatchObject({ requestsMoved: 1, requestsLostToClose: 0, requestTimeouts: 0 })
    expect(rpc.pendingCount).toBe(0)
    expect(mesh.clock.pending).toBe(0)
    rpc.close()
  })

  it('rejects at once with DHT_UNREACHABLE when no session replaces it, and no timer is left', async () => {
    const { mesh, b, rpc, first } = pair({ isSilent: true })
    const request = findNode(rpc, b)
    let outcome: unknown
    request.then((value) => (outcome = value), (error: unknown) => (outcome = error))
    await mesh.advance(15) // delivered, unanswered
    expect(outcome).toBeUndefined()
    const closedAt = mesh.clock.now()
    first.close('the peer said goodbye (SHUTDOWN)')
    await new Promise<void>((resolve) => setImmediate(resolve)) // promise callbacks only: virtual time stands still
    expect(outcome).toBeInstanceOf(DhtError)
    expect((outcome as DhtError).code).toBe('DHT_UNREACHABLE')
    expect((outcome as DhtError).message).toContain('SHUTDOWN')
    expect(mesh.clock.now()).toBe(closedAt)
    expect(rpc.counters).toMatchObject({ requestsMoved: 0, requestsLostToClose: 1, requestTimeouts: 0 })
    expect(rpc.pendingCount).toBe(0)
    expect(mesh.clock.pending).toBe(0)
    rpc.close()
  })

  it('a request to another peer is not touched, and close() stops listening for closes', async () => {
    const { mesh, a, b, rpc, first } = pair({ isSilent: true })
    const c = mesh.addNode()
    c.on('message', (session, message) => {
      if (message.type === 'findNode') session.send({ type: 'nodes', requestId: message.requestId, peers: [] }, PRIORITY_DHT)
    })
    a.link(c)
    const toB = findNode(rpc, b).then(() => 'answered', (error: DhtError) => error.code)
    const toC = findNode(rpc, c)
    await mesh.advance(5)
    first.close('closed')
    expect(await mesh.run(toB)).toBe('DHT_UNREACHABLE')
    expect((await mesh.run(toC)).session.peerKey).toBe(c.key)
    const listening = a.listenerCount()
    rpc.close()
    expect(a.listenerCount()).toBe(listening - 1)
    expect(mesh.clock.pending).toBe(0)
  })
})
