// LAN discovery over real UDP multicast on 127.0.0.1 (each test on a port of its own): two
// nodes with no bootstrap address find each other and talk; what a stranger on the LAN can
// send (garbage, a lie about an id, a flood of questions) is dropped, refused or rate-bounded.

import { createSocket } from 'node:dgram'
import { afterEach, describe, expect, it } from 'vitest'
import { LanDiscovery, type LanDiscoveryOptions } from '../../src/discovery/index.js'
import { decodeLanPacket, encodeLanPacket, MAX_LAN_PACKET_BYTES } from '../../src/discovery/lan-announce.js'
import { createMeshNode, type MeshNode } from '../../src/node.js'
import { WebSocketTransport } from '../../src/transport/index.js'
import { toHex } from '../../src/util/hex.js'
import { bytes, freeUdpPort, text, waitFor } from '../transport/real-time.js'

const GROUP = '239.255.42.99'
const nodes: MeshNode[] = []
const closers: (() => unknown)[] = []

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.stop()))
  await Promise.all(closers.splice(0).map((close) => close()))
})


async function lanNode(port: number, seed: number, lan: LanDiscoveryOptions = {}): Promise<{ node: MeshNode; discovery: LanDiscovery }> {
  const discovery = new LanDiscovery({ port, interfaceAddress: '127.0.0.1', ...lan })
  const node = await createMeshNode({ seed, transport: new WebSocketTransport({ listenAddress: 'ws://127.0.0.1:0' }), discovery: [discovery] })
  nodes.push(node)
  await node.start()
  return { node, discovery }
}

/** A stranger on the LAN: sends whatever it likes to the group, and hears what the nodes send. */
async function stranger(port: number) {
  const socket = createSocket({ type: 'udp4', reuseAddr: true })
  const heard: Uint8Array[] = []
  socket.on('message', (message) => heard.push(new Uint8Array(message)))
  await new Promise<void>((resolve) => socket.bind(port, resolve))
  socket.addMembership(GROUP, '127.0.0.1')
  socket.setMulticastInterface('127.0.0.1')
  socket.setMulticastLoopback(true)
  closers.push(() => new Promise<void>((resolve) => socket.close(() => resolve())))
  return { heard, send: (packet: Uint8Array) => new Promise<void>((resolve) => socket.send(packet, port, GROUP, () => resolve())) }
}

describe('LAN discovery (UDP multicast on 127.0.0.1)', () => {
  it('two nodes with no bootstrap address find each other, connect and deliver a publish', async () => {
    const port = await freeUdpPort()
    const a = await lanNode(port, 9_101)
    const b = await lanNode(port, 9_102)
    await waitFor(() => a.node.stats().peers === 1 && b.node.stats().peers === 1, 'a session between them')
    expect(a.node.peers()[0].peerKey).toBe(b.node.peerKey)
    const inbox: string[] = []
    a.node.subscribe('lan', (message) => inbox.push(text(message.data)))
    await b.node.waitForSubscribers('lan', { timeoutMs: 10_000 })
    await b.node.publish('lan', bytes('found on the LAN'))
    await waitFor(() => inbox.length === 1, 'the publish')
    expect(inbox).toEqual(['found on the LAN'])
    const found = [a, b].map((side) => side.node.stats().join.discovery[0])
    for (const one of found) expect(one).toMatchObject({ kind: 'lan', isRunning: true, error: undefined })
    // Whichever heard the other first dialled it; the other may have learned of it from that session before its announcement came.
    expect(found[0].new + found[1].new).toBeGreaterThanOrEqual(1)
    expect(b.discovery.stats().own).toBeGreaterThan(0) // its own packets loop back and are skipped
  })

  it('garbage and a lie about an id are dropped or refused; the node keeps finding the honest one', async () => {
    const port = await freeUdpPort()
    const mallory = await stranger(port)
    const a = await lanNode(port, 9_201)
    for (const packet of [new Uint8Array(0), new Uint8Array(MAX_LAN_PACKET_BYTES + 1), bytes('not json'), bytes('{"wasmesh":2,"type":"query"}'), bytes('{"wasmesh":1,"type":"announce","id":"zz","addresses":["ws://x"]}')]) {
      await mallory.send(packet)
    }
    await waitFor(() => a.discovery.stats().malformed >= 4, 'the garbage counted')
    // An announce naming an id that is not the node's at its address: the dial expects the id, and the handshake refuses.
    const b = await lanNode(port, 9_202, { maxAnnounceIntervalMs: 60_000 })
    await waitFor(() => a.node.stats().peers === 1, 'the honest session')
    const liar = toHex(new Uint8Array(32).fill(7))
    await mallory.send(encodeLanPacket({ type: 'announce', id: liar, addresses: b.node.addresses }))
    await waitFor(() => a.node.stats().join.discovery[0].new === 2, 'the lie heard')
    await waitFor(() => Object.keys(a.node.stats().layers.peers.handshakeFailuresByCode).length > 0, 'the dial to the lie refused')
    expect(Object.keys(a.node.stats().layers.peers.handshakeFailuresByCode)).toEqual([expect.stringMatching(/AUTH|PEER_ID|MISMATCH/)])
    expect(a.node.peers().map((peer) => peer.peerKey)).toEqual([b.node.peerKey])
  })

  it('a flood of questions gets at most one answer a second from each node', async () => {
    const port = await freeUdpPort()
    const mallory = await stranger(port)
    const a = await lanNode(port, 9_301, { maxAnswerDelayMs: 0 })
    await waitFor(() => mallory.heard.length >= 2, "the node's own question and announcement")
    const sentBefore = a.discovery.stats().sent
    const startedAt = performance.now()
    for (let i = 0; i < 200; i++) await mallory.send(encodeLanPacket({ type: 'query' }))
    await new Promise((resolve) => setTimeout(resolve, 300))
    const elapsedSec = (performance.now() - startedAt) / 1_000
    // At most one answer per second of the flood (and one more for the announcement schedule), never one per question.
    expect(a.discovery.stats().sent - sentBefore).toBeLessThanOrEqual(Math.ceil(elapsedSec) + 2)
    expect(a.discovery.stats().received).toBeGreaterThanOrEqual(200)
  })

  it('bad options are DISCOVERY_INVALID_OPTION; start() twice is DISCOVERY_INVALID_STATE', async () => {
    for (const options of [{ group: '10.0.0.1' }, { group: 'x' }, { port: 0 }, { port: 70_000 }, { interfaceAddress: 'lo' }, { maxAnnounceIntervalMs: 10 }, { maxAnswerDelayMs: -1 }] as LanDiscoveryOptions[]) {
      expect(() => new LanDiscovery(options), JSON.stringify(options)).toThrow(expect.objectContaining({ code: 'DISCOVERY_INVALID_OPTION' }))
    }
    const discovery = new LanDiscovery({ port: await freeUdpPort(), interfaceAddress: '127.0.0.1' })
    closers.push(() => discovery.stop())
    await discovery.start({ id: new Uint8Array(32), addresses: () => [], isBelowTarget: () => true }, () => {})
    await expect(discovery.start({ id: new Uint8Array(32), addresses: () => [], isBelowTarget: () => true }, () => {})).rejects.toMatchObject({ code: 'DISCOVERY_INVALID_STATE' })
    await expect(createMeshNode({ discovery: [{}] as never })).rejects.toMatchObject({ code: 'NODE_INVALID_OPTION' })
  })

  it('the packets: an announce keeps what fits one datagram; decoding refuses what is not ours', () => {
    const id = 'ab'.repeat(32)
    const many = Array.from({ length: 8 }, (_, i) => `ws://192.168.1.${i}:${'7'.repeat(200)}`)
    const packet = decodeLanPacket(encodeLanPacket({ type: 'announce', id, addresses: many }))
    expect(packet).toMatchObject({ type: 'announce', id })
    expect((packet as { readonly addresses: readonly string[] }).addresses.length).toBeLessThan(8)
    expect(encodeLanPacket({ type: 'announce', id, addresses: many }).length).toBeLessThanOrEqual(MAX_LAN_PACKET_BYTES)
    expect(decodeLanPacket(encodeLanPacket({ type: 'query' }))).toEqual({ type: 'query' })
    for (const bad of ['{"wasmesh":1,"type":"announce","id":"' + id + '","addresses":[]}', '{"wasmesh":1,"type":"announce","id":"' + id.toUpperCase() + '","addresses":["ws://x"]}', '[1]', 'null', '{"wasmesh":1,"type":"hello"}']) {
      expect(decodeLanPacket(bytes(bad)), bad).toBeUndefined()
    }
  })
})
