// Router: a send whose attempt went to a neighbour whose session then closed does not wait
// out its ack timeout. The next attempt starts at once (reaching the target over the session
// that replaced the closed one), or the send rejects at once when no attempt is left.

import { describe, expect, it } from 'vitest'
import { useDeterministicEd25519 } from '../../src/peers/identity-crypto.js'
import { RoutingError } from '../../src/routing/index.js'
import { createRoutedNet, stopNet } from './harness.js'

useDeterministicEd25519()

const data = new TextEncoder().encode('across the replaced session')
const ACK_TIMEOUT_MS = 5_000

describe('Router: a send whose neighbour\'s session closes', () => {
  it('retries at once over the session that replaced it and is acknowledged long before the ack timeout', async () => {
    const net = createRoutedNet(2, { ackTimeoutMs: ACK_TIMEOUT_MS })
    const [a, b] = net.nodes
    const first = a!.link(b!)
    const send = net.routers[0]!.send(b!.id, data)
    await net.mesh.advance(5) // the attempt is on its way over `first`: closing it loses the message
    first.close('replaced by the connection dialled by the lower peer id')
    a!.link(b!)
    const result = await net.mesh.run(send)
    expect(result.attempts).toBe(2)
    expect(result.hops).toBe(1)
    expect(result.rttMs).toBe(20)
    expect(net.mesh.clock.now()).toBeLessThan(100)
    expect(net.inboxes[1]).toHaveLength(1)
    expect(net.routers[0]!.stats()).toMatchObject({ retriesOnClose: 1, acked: 1, pendingSends: 0 })
    expect(await stopNet(net)).toBe(0)
  })

  it('rejects at once with ROUTING_UNREACHABLE when the closed session took its last attempt', async () => {
    const net = createRoutedNet(2, { ackTimeoutMs: ACK_TIMEOUT_MS, maxRetries: 0 })
    const [a, b] = net.nodes
    const first = a!.link(b!)
    const send = net.routers[0]!.send(b!.id, data).then(() => undefined, (error: unknown) => error)
    await net.mesh.advance(5)
    const closedAt = net.mesh.clock.now()
    first.close('the connection closed (remote)')
    const failure = await net.mesh.run(send)
    expect(failure).toBeInstanceOf(RoutingError)
    expect((failure as RoutingError).code).toBe('ROUTING_UNREACHABLE')
    expect((failure as RoutingError).message).toContain('session closed')
    expect(net.mesh.clock.now()).toBe(closedAt)
    expect(net.routers[0]!.stats()).toMatchObject({ unreachable: 1, retriesOnClose: 0, pendingSends: 0 })
    expect(await stopNet(net)).toBe(0)
  })

  it('a send flooded to several neighbours keeps waiting when one of them closes', async () => {
    const net = createRoutedNet(4, { ackTimeoutMs: ACK_TIMEOUT_MS, closestPeers: () => [] })
    const [a, b, c, d] = net.nodes
    const toB = a!.link(b!)
    a!.link(c!)
    b!.link(d!)
    c!.link(d!)
    const send = net.routers[0]!.send(d!.id, data)
    await net.mesh.advance(5)
    toB.close('closed')
    const result = await net.mesh.run(send)
    expect(result).toMatchObject({ path: 'flood', attempts: 1, hops: 2 })
    expect(net.routers[0]!.stats().retriesOnClose).toBe(0)
    expect(await stopNet(net)).toBe(0)
  })
})
