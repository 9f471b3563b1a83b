// Signed end-to-end acks: the target signs its ack, the origin verifies it before resolving
// `send`, and a relay that saw the messageId cannot forge one.

import { describe, expect, it } from 'vitest'
import { Identity, verifySignatureSync } from '../../src/peers/identity.js'
import { useDeterministicEd25519 } from '../../src/peers/identity-crypto.js'
import { RoutingError } from '../../src/routing/index.js'
import { DIRECT_ACK_TAG, DIRECT_TAG, ackSignedBytes } from '../../src/routing/envelope.js'
import { withLowByte } from '../../src/routing/message-id.js'
import { SeededRandom } from '../../src/util/random.js'
import type { DecodedMessage, DirectAckMessage, DirectMessage } from '../../src/wire/messages.js'
import type { FakeNode } from '../dht/fake-network.js'
import { byDistanceTo, createRoutedNet, linkLine, stopNet, type RoutedNet } from './harness.js'

useDeterministicEd25519()

const data = new TextEncoder().encode('ack me')
const mallory = Identity.generate(new SeededRandom(66))

/** Three nodes in a greedy line origin - relay - target; returns their indices. */
function greedyLine(net: RoutedNet): { origin: number; relay: number; target: number } {
  const target = net.nodes[2].id
  const line = [...net.nodes].sort(byDistanceTo(target)).reverse()
  linkLine(line)
  return { origin: net.nodes.indexOf(line[0]), relay: net.nodes.indexOf(line[1]), target: net.nodes.indexOf(line[2]) }
}

/** Calls `onDirect` with every direct message `node` receives (after its router saw it). */
function watchDirect(node: FakeNode, onDirect: (message: DirectMessage) => void): void {
  node.on('message', (_peer, message: DecodedMessage) => {
    if (message.type === 'direct') onDirect(message)
  })
}

/** An ack of `message` as `signer` signs it, claiming to come from `target` with `targetKey`. */
async function ackBy(signer: Identity, message: DirectMessage, targetKey: Uint8Array, hops = 2): Promise<DirectAckMessage> {
  const messageId = withLowByte(message.messageId, hops)
  const signature = await signer.sign(ackSignedBytes(messageId, message.origin, message.target))
  return { type: 'directAck', messageId, origin: message.origin, target: message.target, targetKey, ttl: 16, signature }
}

describe('Signed acks', () => {
  it('the ack transcript is domain-separated from direct messages', () => {
    const origin = new Uint8Array(32).fill(1)
    const target = new Uint8Array(32).fill(2)
    const bytes = ackSignedBytes(0x0102n, origin, target)
    expect(Buffer.from(bytes.subarray(0, DIRECT_ACK_TAG.length)).toString()).toBe('wasmesh/routing/direct-ack/v1\0')
    expect(bytes.length).toBe(DIRECT_ACK_TAG.length + 8 + 32 + 32)
    expect(Buffer.from(DIRECT_ACK_TAG).equals(Buffer.from(DIRECT_TAG))).toBe(false)
    expect(Buffer.from(bytes.subarray(DIRECT_ACK_TAG.length, DIRECT_ACK_TAG.length + 8)).toString('hex')).toBe('0000000000000102')
  })

  it("the target's ack carries its key and a signature that verifies", async () => {
    const net = createRoutedNet(2)
    linkLine(net.nodes)
    const acks: DirectAckMessage[] = []
    net.nodes[0].on('message', (_peer, message) => {
      if (message.type === 'directAck') acks.push(message)
    })
    await net.mesh.run(net.routers[0].send(net.nodes[1].id, data))
    expect(acks).toHaveLength(1)
    const [ack] = acks
    expect(ack.targetKey).toEqual(net.nodes[1].identity.publicKey)
    expect(verifySignatureSync(ack.targetKey, ackSignedBytes(ack.messageId, ack.origin, ack.target), ack.signature)).toBe(true)
    expect(await stopNet(net)).toBe(0)
  })

  it('a forged ack from a relay on the path does not resolve the send; the genuine one does', async () => {
    const net = createRoutedNet(3)
    const { origin, relay, target } = greedyLine(net)
    const relayNode = net.nodes[relay]
    // The relay forwards the message honestly but also acks it itself, at once, twice: once
    // under its own key, once under the target's key with its own signature.
    watchDirect(relayNode, (message) => {
      const back = relayNode.peer(message.origin)
      void ackBy(relayNode.identity, message, relayNode.identity.publicKey).then((ack) => back?.send(ack, 1))
      void ackBy(relayNode.identity, message, net.nodes[target].identity.publicKey).then((ack) => back?.send(ack, 1))
    })
    const result = await net.mesh.run(net.routers[origin].send(net.nodes[target].id, data))
    // The forgeries came back after 20 ms; the send resolved on the target's ack, after 40.
    expect(result).toMatchObject({ path: 'dht', hops: 2, attempts: 1, rttMs: 40 })
    const stats = net.routers[origin].stats()
    expect(stats.dropped['forged-ack']).toBe(2)
    expect(stats.acked).toBe(1)
    // The relay is not blamed by the origin (it might be passing on someone else's forgery).
    expect(net.nodes[origin].penalties).toEqual([])
    expect(await stopNet(net)).toBe(0)
  })

  it('a relay that swallows the message and forges acks cannot make the send succeed', async () => {
    const net = createRoutedNet(3, { ackTimeoutMs: 100, maxRetries: 2, retryBaseMs: 10 })
    const { origin, relay, target } = greedyLine(net)
    const relayNode = net.nodes[relay]
    net.routers[relay].stop() // forwards nothing
    watchDirect(relayNode, (message) => {
      void ackBy(relayNode.identity, message, net.nodes[target].identity.publicKey).then((ack) => relayNode.peer(message.origin)?.send(ack, 1))
    })
    const outcome = await net.mesh.run(net.routers[origin].send(net.nodes[target].id, data).catch((error: unknown) => error))
    expect(outcome).toBeInstanceOf(RoutingError)
    expect((outcome as RoutingError).code).toBe('ROUTING_UNREACHABLE')
    const stats = net.routers[origin].stats()
    expect(stats.dropped['forged-ack']).toBe(3) // one per attempt
    expect(stats.acked).toBe(0)
    expect(net.inboxes[target]).toHaveLength(0)
    expect(await stopNet(net)).toBe(0)
  })

  it('an ack signed by the wrong key is counted, the sender penalized when it claims to be the target, and the send keeps waiting', async () => {
    const net = createRoutedNet(2, { ackTimeoutMs: 1_000 })
    linkLine(net.nodes)
    const [a, b] = net.nodes
    net.routers[1].stop() // b acks nothing by itself: the test speaks for it
    let seen: DirectMessage | undefined
    watchDirect(b, (message) => {
      seen = message
    })
    let isSettled = false
    const sending = net.routers[0].send(b.id, data)
    void sending.then(() => (isSettled = true), () => (isSettled = true))
    await net.mesh.advance(15)
    if (seen === undefined) throw new Error('the direct message did not reach b')
    const toA = b.peer(a.id) as NonNullable<ReturnType<FakeNode['peer']>>
    // b's key, mallory's signature; then mallory's key under b's id; then a valid ack of another attempt.
    toA.send(await ackBy(mallory, seen, b.identity.publicKey, 1), 1)
    toA.send(await ackBy(mallory, seen, mallory.publicKey, 1), 1)
    const tampered = await ackBy(b.identity, seen, b.identity.publicKey, 1)
    toA.send({ ...tampered, messageId: withLowByte(tampered.messageId, 7) }, 1) // hops altered after signing
    await net.mesh.advance(15)
    expect(isSettled).toBe(false)
    const stats = net.routers[0].stats()
    expect(stats.dropped['forged-ack']).toBe(3)
    expect(a.penalties.map((p) => p.reason)).toEqual(['bad-signature', 'bad-signature', 'bad-signature'])
    expect(stats.pendingSends).toBe(1)
    // The genuine ack still resolves it, with the hop count b signed.
    toA.send(await ackBy(b.identity, seen, b.identity.publicKey, 1), 1)
    const result = await net.mesh.run(sending)
    expect(result).toMatchObject({ hops: 1, attempts: 1 })
    expect(net.routers[0].stats().acked).toBe(1)
    expect(await stopNet(net)).toBe(0)
  })

  it('a forged copy of an ack does not shadow the genuine one at a relay', async () => {
    const net = createRoutedNet(4)
    const target = net.nodes[3].id
    const line = [...net.nodes].sort(byDistanceTo(target)).reverse()
    linkLine(line)
    const [originNode, , second] = line
    const origin = net.nodes.indexOf(originNode)
    // The node two hops out sends a forged ack (same origin and messageId) back to the first
    // relay ahead of the genuine one; the first relay must still pass the genuine one on.
    watchDirect(second, (message) => {
      const back = second.peer(line[1].id)
      void ackBy(mallory, message, net.nodes[3].identity.publicKey, 3).then((ack) => back?.send(ack, 1))
    })
    const result = await net.mesh.run(net.routers[origin].send(target, data))
    expect(result).toMatchObject({ hops: 3, attempts: 1 })
    expect(net.routers[origin].stats().dropped['forged-ack']).toBe(1)
    expect(await stopNet(net)).toBe(0)
  })
})
