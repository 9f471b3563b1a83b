// Acceptance, at the level of whole nodes: bad input from a peer (forged signatures, altered
// payloads, a wrong id in the handshake, oversized messages, malformed frames, 10x the rate)
// is dropped or refused, counted in node.stats() under its reason, charged to the sender, and
// the node keeps serving its honest peers: their publishes are delivered and relayed, their
// direct messages answered.
//
// The mesh: a victim, three honest nodes that join through it, and an attacker (attacker.ts)
// that completes the real handshake over the same MemoryNetwork and then sends what it likes.

import { describe, expect, it } from 'vitest'
import type { MeshNode } from '../../src/node.js'
import { HandshakeError } from '../../src/peers/errors.js'
import { bytesEqual } from '../../src/peers/identity.js'
import { useDeterministicEd25519 } from '../../src/peers/identity-crypto.js'
import { INITIAL_SCORE, PENALTIES } from '../../src/peers/score.js'
import { RelayError, type RelayMessage } from '../../src/relay/index.js'
import { MAX_PAYLOAD_BYTES } from '../../src/relay/options.js'
import { RoutingError } from '../../src/routing/index.js'
import type { MemoryNetworkOptions } from '../../src/transport/index.js'
import { seededRandom } from '../../src/util/random.js'
import { decodeFrame, encodeFrame, GoodbyeReason, MAX_MESSAGE_BYTES, type DecodedMessage, type PublishMessage } from '../../src/wire/index.js'
import { Attacker, concat, frameHeader, publishFrameWithData, type AttackerLink } from './attacker.js'
import { createMesh, type Mesh } from './harness.js'

// Signatures through noble: virtual-time runs must not wait on WebCrypto's thread pool.
useDeterministicEd25519()

const bytes = (text: string) => new TextEncoder().encode(text)
const text = (data: Uint8Array) => new TextDecoder().decode(data)

interface Honest {
  readonly mesh: Mesh
  readonly victim: MeshNode
  /** The honest nodes other than the victim; each joined through the victim. */
  readonly honest: MeshNode[]
  /** What each node's 'news' subscription delivered. */
  readonly inbox: Map<MeshNode, RelayMessage[]>
  /** What each node's onDirect handler delivered, as text. */
  readonly directs: Map<MeshNode, string[]>
  /** Reasons of the victim's peer:disconnect events, by peer key. */
  readonly disconnects: { peerKey: string; reason: string }[]
}

/** A victim and `count` honest nodes joined through it, all subscribed to 'news'. */
async function honestMesh(networkOptions: Omit<MemoryNetworkOptions, 'clock'> = {}, count = 3): Promise<Honest> {
  const mesh = createMesh(networkOptions)
  const inbox = new Map<MeshNode, RelayMessage[]>()
  const directs = new Map<MeshNode, string[]>()
  const watch = (node: MeshNode) => {
    const messages: RelayMessage[] = []
    const direct: string[] = []
    node.subscribe('news', (message) => messages.push(message))
    node.onDirect((message) => direct.push(text(message.data)))
    inbox.set(node, messages)
    directs.set(node, direct)
  }
  const victim = await mesh.node()
  watch(victim)
  const disconnects: { peerKey: string; reason: string }[] = []
  victim.addEventListener('peer:disconnect', (event) => disconnects.push({ peerKey: event.detail.peerKey, reason: event.detail.reason }))
  await mesh.settle(victim.start())
  const honest: MeshNode[] = []
  for (let i = 0; i < count; i++) {
    const node = await mesh.node({ bootstrap: victim.addresses })
    watch(node)
    honest.push(node)
  }
  await mesh.settle(Promise.all(honest.map((node) => node.start())))
  await mesh.runUntil(() => [victim, ...honest].every((node) => node.stats().layers.relay.peersWithTopics === node.stats().peers))
  return { mesh, victim, honest, inbox, directs, disconnects }
}

const isPeer = (node: MeshNode, id: Uint8Array) => node.peers().some((peer) => bytesEqual(peer.id, id))
const scoreOf = (node: MeshNode, id: Uint8Array) => node.stats().layers.peers.perPeer.find((peer) => peer.peerKey === node.peers().find((p) => bytesEqual(p.id, id))?.peerKey)?.score
const texts = (messages: readonly RelayMessage[]) => messages.map((message) => text(message.data))
/** Every delivery of every node, as text: what the application saw. */
const everything = (ctx: Honest) => [...ctx.inbox.values()].flatMap(texts).concat([...ctx.directs.values()].flat())

/** Connects the attacker to the victim with a genuine handshake, and waits until the victim holds the session. */
async function attach(ctx: Honest, attacker: Attacker): Promise<AttackerLink> {
  const link = await ctx.mesh.settle(attacker.dial(ctx.victim.addresses[0]!))
  await ctx.mesh.runUntil(() => isPeer(ctx.victim, attacker.id) && link.isRemoteAuthenticated)
  return link
}

/**
 * The victim still serves honest nodes: a publish from one reaches the victim and every other
 * honest node exactly once, the victim relays it, and it answers a direct message.
 */
async function expectStillServing(ctx: Honest, label: string): Promise<void> {
  const { mesh, victim, honest } = ctx
  const [origin, sender] = honest as [MeshNode, MeshNode]
  const relayedBefore = victim.stats().messages.relayed
  await mesh.settle(origin.publish('news', bytes(label)))
  const receivers = [victim, ...honest.filter((node) => node !== origin)]
  await mesh.runUntil(() => receivers.every((node) => texts(ctx.inbox.get(node)!).includes(label)))
  await mesh.runFor(200)
  for (const node of receivers) expect(texts(ctx.inbox.get(node)!).filter((entry) => entry === label)).toHaveLength(1)
  expect(victim.stats().messages.relayed).toBeGreaterThan(relayedBefore)

  const result = await mesh.settle(sender.send(victim.id, bytes(`direct: ${label}`)))
  expect(result.hops).toBe(1)
  expect(ctx.directs.get(victim)).toContain(`direct: ${label}`)
  expect(victim.isRunning).toBe(true)
}

async function finish(ctx: Honest, ...attackers: Attacker[]): Promise<void> {
  for (const attacker of attackers) await attacker.close()
  await ctx.mesh.stopAll()
  expect(ctx.mesh.clock.pending).toBe(0)
}

const goodbye = (link: AttackerLink) => link.goodbyes

describe('bad input: forged and altered publishes', () => {
  it('forged publishes from an authenticated neighbour are never delivered, are counted by reason, get the sender banned, and cannot shadow the genuine message', async () => {
    const ctx = await honestMesh()
    const { mesh, victim, honest } = ctx
    const alice = honest[0]!
    const attacker = new Attacker(mesh.net, 'mallory', 666)
    const link = await attach(ctx, attacker)
    link.send([{ type: 'subscribe', topics: ['news'] }])
    await mesh.runUntil(() => victim.stats().layers.relay.peersWithTopics === victim.stats().peers)

    // The attacker learns a genuine publish of alice's (and so her key, her seq and a valid signature).
    await mesh.settle(alice.publish('news', bytes('genuine 1')))
    await mesh.runUntil(() => link.received.some((message) => message.type === 'publish' && bytesEqual(message.origin, alice.id)))
    const captured = link.received.find((message): message is PublishMessage => message.type === 'publish')!
    await mesh.runFor(200)
    const before = victim.stats()
    const relayBefore = before.layers.relay.dropped

    // 0. A direct message "from alice" with random signature bytes, from a second attacker. Every
    //    hop verifies a direct message before passing it on, so whoever hands over a bad one is charged.
    const random = new Uint8Array(64)
    seededRandom(5).fill(random)
    const accomplice = new Attacker(mesh.net, 'trudy', 667)
    const accompliceLink = await attach(ctx, accomplice)
    const accompliceScore = scoreOf(victim, accomplice.id)!
    accompliceLink.send([{ type: 'direct', messageId: 0x1234_5678_0000_0108n, origin: alice.id, target: victim.id, originKey: alice.publicKey, timestampMs: Math.floor(mesh.clock.now()), ttl: 8, data: bytes('forged: direct'), signature: random }])
    await mesh.runUntil(() => victim.stats().layers.routing.dropped['bad-signature'] === before.layers.routing.dropped['bad-signature'] + 1)
    expect(victim.stats().layers.peers.penalties).toEqual({ ...before.layers.peers.penalties, 'bad-signature': before.layers.peers.penalties['bad-signature'] + 1 })
    expect(scoreOf(victim, accomplice.id)).toBeLessThanOrEqual(accompliceScore - PENALTIES['bad-signature'] + 1)

    // 1. Alice's id with the attacker's own key (signed by the attacker): the key is not hers.
    const own = await mesh.settle(attacker.publish('news', bytes('forged: not her key')))
    link.send([{ ...own, origin: alice.id }])
    // 2. Alice's id and key, random signature bytes.
    link.send([{ ...captured, seq: captured.seq + 100n, data: bytes('forged: random signature'), signature: random, path: [alice.id, attacker.id], ttl: 7 }])
    await mesh.runUntil(() => victim.stats().layers.relay.dropped['bad-signature'] === relayBefore['bad-signature'] + 1)
    expect(isPeer(victim, attacker.id)).toBe(true)
    const score = scoreOf(victim, attacker.id)!
    expect(score).toBeLessThanOrEqual(INITIAL_SCORE - PENALTIES['invalid-message'] - PENALTIES['bad-signature'] + 1)
    // 3. Alice's next seq with the signature of her earlier message: a valid signature, of other bytes.
    link.send([{ ...captured, seq: captured.seq + 1n, data: bytes('forged: borrowed signature'), path: [alice.id, attacker.id], ttl: 7 }])
    await mesh.runUntil(() => !isPeer(victim, attacker.id))

    const after = victim.stats()
    expect(after.layers.relay.dropped['invalid-message']).toBe(relayBefore['invalid-message'] + 1)
    expect(after.layers.relay.dropped['bad-signature']).toBe(relayBefore['bad-signature'] + 2)
    expect(after.drops.relay['bad-signature']).toBe(relayBefore['bad-signature'] + 2)
    expect(after.layers.peers.penalties['bad-signature']).toBe(before.layers.peers.penalties['bad-signature'] + 3)
    expect(after.layers.peers.penalties['invalid-message']).toBe(before.layers.peers.penalties['invalid-message'] + 1)
    expect(after.messages.delivered).toBe(before.messages.delivered)
    // Banned: told why, disconnected with the reason, and remembered.
    expect(after.layers.peers.bans).toBe(1)
    await mesh.runUntil(() => link.closed !== undefined)
    expect(goodbye(link)).toEqual([GoodbyeReason.PROTOCOL_ERROR])
    expect(ctx.disconnects).toContainEqual({ peerKey: expect.any(String), reason: expect.stringMatching(/^banned: .*\(last: bad-signature\)$/) })
    // Nothing forged reached any application, and the victim forwarded none of it.
    expect(everything(ctx).filter((entry) => entry.startsWith('forged'))).toEqual([])
    for (const node of honest) expect(node.stats().layers.relay.dropped['bad-signature']).toBe(0)

    // While banned, the attacker is refused at its hello.
    const again = await mesh.settle(attacker.dial(victim.addresses[0]!))
    await mesh.runUntil(() => again.closed !== undefined)
    expect(goodbye(again)).toEqual([GoodbyeReason.PROTOCOL_ERROR])
    expect(victim.stats().layers.peers.handshakeFailures).toBe(before.layers.peers.handshakeFailures + 1)
    expect(isPeer(victim, attacker.id)).toBe(false)

    // Alice's genuine next message, whose seq the borrowed-signature forgery used, is delivered.
    await expectStillServing(ctx, 'genuine 2')
    const delivered = ctx.inbox.get(victim)!.find((message) => text(message.data) === 'genuine 2')!
    expect(delivered.seq).toBe(captured.seq + 1n)
    expect(delivered.origin).toEqual(alice.id)
    await finish(ctx, attacker, accomplice)
  })

  it('a genuine publish whose data a relay altered is dropped as bad-signature and charged to that relay; the unaltered copy is still delivered', async () => {
    const ctx = await honestMesh()
    const { mesh, victim, honest } = ctx
    // Olivia is honest, but her only neighbour is the attacker: her messages reach the mesh through it.
    const olivia = await mesh.node()
    await mesh.settle(olivia.start())
    const attacker = new Attacker(mesh.net, 'mallory', 667)
    const toOlivia = await mesh.settle(attacker.dial(olivia.addresses[0]!))
    await mesh.runUntil(() => isPeer(olivia, attacker.id) && toOlivia.isRemoteAuthenticated)
    toOlivia.send([{ type: 'subscribe', topics: ['news'] }])
    const link = await attach(ctx, attacker)
    await mesh.runUntil(() => olivia.stats().layers.relay.peersWithTopics === 1)

    await mesh.settle(olivia.publish('news', bytes('olivia says hello')))
    await mesh.runUntil(() => toOlivia.received.some((message) => message.type === 'publish'))
    const genuine = toOlivia.received.find((message): message is PublishMessage => message.type === 'publish')!
    const before = victim.stats()

    const flipped = genuine.data.slice()
    flipped[3] ^= 0x20 // 'olivia says hello' -> 'oliVia says hello'
    link.send([attacker.forward(genuine, { data: flipped })])
    await mesh.runUntil(() => victim.stats().layers.relay.dropped['bad-signature'] === before.layers.relay.dropped['bad-signature'] + 1)
    await mesh.runFor(200)
    let after = victim.stats()
    expect(after.layers.peers.penalties['bad-signature']).toBe(before.layers.peers.penalties['bad-signature'] + 1)
    expect(after.messages.delivered).toBe(before.messages.delivered)
    expect(everything(ctx)).not.toContain(text(flipped))
    // One offence costs the relay half its score, not its session.
    expect(scoreOf(victim, attacker.id)).toBeLessThanOrEqual(INITIAL_SCORE - PENALTIES['bad-signature'] + 1)
    expect(isPeer(victim, attacker.id)).toBe(true)

    // The altered copy did not enter the dedup set: the genuine one, relayed next, is delivered everywhere once.
    link.send([attacker.forward(genuine)])
    const everyone = [victim, ...honest]
    await mesh.runUntil(() => everyone.every((node) => texts(ctx.inbox.get(node)!).includes('olivia says hello')))
    await mesh.runFor(200)
    for (const node of everyone) expect(texts(ctx.inbox.get(node)!).filter((entry) => entry === 'olivia says hello')).toHaveLength(1)
    expect(ctx.inbox.get(victim)!.find((message) => text(message.data) === 'olivia says hello')!.origin).toEqual(olivia.id)
    after = victim.stats()
    expect(after.layers.relay.dropped['bad-signature']).toBe(before.layers.relay.dropped['bad-signature'] + 1)
    expect(everything(ctx)).not.toContain(text(flipped))

    await expectStillServing(ctx, 'after the altered copy')
    await finish(ctx, attacker)
  })
})

describe('bad input: wrong id in the handshake', () => {
  it('a hello presenting another node’s key, or a key that is no valid point, is refused with AUTH_FAILED and counted; the real node’s session is untouched', async () => {
    const ctx = await honestMesh()
    const { mesh, victim, honest } = ctx
    const alice = honest[0]!
    const attacker = new Attacker(mesh.net, 'mallory', 668)
    const before = victim.stats()
    const peersBefore = victim.peers().map((peer) => peer.peerKey).sort()

    // Claims to be alice: her public key in the hello, an auth it can only sign with its own key.
    const impostor = await mesh.settle(attacker.dial(victim.addresses[0]!, { claimedPublicKey: alice.publicKey }))
    await mesh.runUntil(() => impostor.closed !== undefined)
    expect(goodbye(impostor)).toEqual([GoodbyeReason.AUTH_FAILED])
    expect(impostor.received).toEqual([])
    // A key that is not a canonical Ed25519 point.
    const badKey = await mesh.settle(attacker.dial(victim.addresses[0]!, { claimedPublicKey: new Uint8Array(32).fill(0xff) }))
    await mesh.runUntil(() => badKey.closed !== undefined)
    expect(goodbye(badKey)).toEqual([GoodbyeReason.AUTH_FAILED])

    const after = victim.stats()
    expect(after.layers.peers.handshakeFailures).toBe(before.layers.peers.handshakeFailures + 2)
    // Alice's key without her secret cannot sign the auth; a non-point key is refused as such.
    expect(after.layers.peers.handshakeFailuresByCode).toEqual({ HANDSHAKE_BAD_SIGNATURE: 1, HANDSHAKE_BAD_KEY: 1 })
    expect(after.queues.handshaking).toBe(0)
    expect(victim.peers().map((peer) => peer.peerKey).sort()).toEqual(peersBefore)
    expect(ctx.disconnects).toEqual([])
    expect(isPeer(alice, victim.id)).toBe(true)
    await expectStillServing(ctx, 'after the impostor')
    await finish(ctx, attacker)
  })

  it('a dialled address that answers with another id than expected is refused with HANDSHAKE_ID_MISMATCH, not retried, and counted', async () => {
    const ctx = await honestMesh()
    const { mesh, victim } = ctx
    // Carol is honest and not yet a neighbour of the victim (connect() to an open session's id never dials).
    const carol = await mesh.node()
    await mesh.settle(carol.start())
    // The attacker sits at an address the victim believes is carol's (a stale or poisoned address book).
    const attacker = new Attacker(mesh.net, 'carols-new-home', 669)
    await attacker.listen()
    const before = victim.stats()

    const error = await mesh.settle(victim.connect(attacker.address, { expectedPeerId: carol.id })).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(HandshakeError)
    expect((error as HandshakeError).code).toBe('HANDSHAKE_ID_MISMATCH')
    const link = attacker.links[0]!
    await mesh.runUntil(() => link.closed !== undefined)
    expect(goodbye(link)).toEqual([GoodbyeReason.AUTH_FAILED])
    expect(link.received).toEqual([])
    expect(attacker.links).toHaveLength(1)

    const after = victim.stats()
    expect(after.layers.peers.dialAttempts).toBe(before.layers.peers.dialAttempts + 1)
    expect(after.layers.peers.handshakeFailures).toBe(before.layers.peers.handshakeFailures + 1)
    expect(after.layers.peers.handshakeFailuresByCode).toEqual({ HANDSHAKE_ID_MISMATCH: 1 })
    expect(after.queues.handshaking).toBe(0)
    expect(isPeer(victim, attacker.id)).toBe(false)
    expect(ctx.disconnects).toEqual([])
    // Carol herself, at her real address, is accepted.
    const peer = await mesh.settle(victim.connect(carol.addresses[0]!, { expectedPeerId: carol.id }))
    expect(peer.id).toEqual(carol.id)
    await expectStillServing(ctx, 'after the wrong id')
    await finish(ctx, attacker)
  })
})

describe('bad input: oversized messages', () => {
  it('a publish over 1 MiB, and frames whose length fields claim more than the limit, are refused at the header, counted and charged; nothing is decoded from them', async () => {
    // A transport that carries 4 MiB messages (a WebSocket could): the node's own limits must hold.
    const ctx = await honestMesh({ maxMessageBytes: 4 * 1_048_576 })
    const { mesh, victim } = ctx
    const attacker = new Attacker(mesh.net, 'mallory', 670)
    const link = await attach(ctx, attacker)
    await mesh.runFor(100)
    const before = victim.stats()
    const attackerInBefore = victim.stats().layers.peers.perPeer.find((peer) => peer.peerKey === victim.peers().find((p) => bytesEqual(p.id, attacker.id))!.peerKey)!.messagesIn

    // A well-formed, genuinely signed publish except for its 1 MiB + 1 byte of data.
    const huge = new Uint8Array(MAX_MESSAGE_BYTES + 1).fill(0x41)
    link.sendBytes(publishFrameWithData(await mesh.settle(attacker.publish('news', bytes('small'))), huge))
    // A frame header claiming 4 GiB, followed by a few bytes.
    link.sendBytes(concat(frameHeader(0xffff_fff0, 1), new Uint8Array(32)))
    // A small frame whose one message header claims a 2 MiB body.
    const lyingMessage = concat(Uint8Array.of(0x12, 0x00, 0x20, 0x00, 0x00), new Uint8Array(16))
    link.sendBytes(concat(frameHeader(lyingMessage.length, 1), lyingMessage))
    await mesh.runUntil(() => victim.stats().layers.peers.dropped['invalid-frame'] === before.layers.peers.dropped['invalid-frame'] + 3)
    await mesh.runFor(200)

    const after = victim.stats()
    expect(after.drops.peers['invalid-frame']).toBe(3)
    expect(after.layers.peers.penalties['invalid-frame']).toBe(before.layers.peers.penalties['invalid-frame'] + 3)
    expect(after.messages.received).toBe(before.messages.received)
    expect(after.messages.delivered).toBe(before.messages.delivered)
    const attackerIn = after.layers.peers.perPeer.find((peer) => peer.peerKey === victim.peers().find((p) => bytesEqual(p.id, attacker.id))!.peerKey)!.messagesIn
    expect(attackerIn).toBe(attackerInBefore)
    expect(everything(ctx).some((entry) => entry.startsWith('AAAA'))).toBe(false)
    // Three offences cost 60 points: still connected.
    expect(scoreOf(victim, attacker.id)).toBeLessThanOrEqual(INITIAL_SCORE - 3 * PENALTIES['invalid-frame'] + 1)
    expect(isPeer(victim, attacker.id)).toBe(true)

    // The node does not make oversized messages either: typed refusals, nothing sent.
    const sentBefore = victim.stats().messages.out
    const tooBig = new Uint8Array(MAX_PAYLOAD_BYTES + 1)
    const publishError = await mesh.settle(victim.publish('news', tooBig)).catch((caught: unknown) => caught)
    expect(publishError).toBeInstanceOf(RelayError)
    expect((publishError as RelayError).code).toBe('RELAY_MESSAGE_TOO_LARGE')
    const sendError = await mesh.settle(victim.send(ctx.honest[0]!.id, tooBig)).catch((caught: unknown) => caught)
    expect(sendError).toBeInstanceOf(RoutingError)
    expect((sendError as RoutingError).code).toBe('ROUTING_MESSAGE_TOO_LARGE')
    expect(victim.stats().messages.out).toBe(sentBefore)

    await expectStillServing(ctx, 'after the oversized frames')
    await finish(ctx, attacker)
  })

  // A payload the relay accepts (up to ~1 MiB) but larger than a link carries (256 KiB on the
  // default MemoryNetwork, as on WebRTC) is dropped for that link and counted; it once made
  // the session take the link for dead and close.
  it('an honest publish larger than the links carry is refused or counted, and costs no session', async () => {
    const ctx = await honestMesh()
    const { mesh, victim, honest } = ctx
    const drops = () => Object.values({ ...victim.stats().drops.relay, ...victim.stats().drops.peers }).reduce((a, b) => a + b, 0)
    try {
      const peersBefore = victim.stats().peers
      const dropsBefore = drops()
      const large = new Uint8Array(300 * 1_024).fill(0x42)
      const outcome = await mesh.settle(victim.publish('news', large)).then(
        () => 'sent',
        (error: unknown) => (error instanceof RelayError ? error.code : 'other error'),
      )
      await mesh.runFor(500)
      expect(ctx.disconnects).toEqual([])
      expect(victim.stats().peers).toBe(peersBefore)
      for (const node of honest) expect(isPeer(node, victim.id)).toBe(true)
      // Not sent to any of the peers, each counted.
      expect(outcome).toBe('sent')
      expect(victim.stats().drops.peers['too-large-for-link']).toBe(peersBefore)
      expect(victim.stats().drops.relay['send-refused']).toBe(peersBefore)
      expect(drops() - dropsBefore).toBe(2 * peersBefore)
    } finally {
      await finish(ctx)
    }
  })
})

describe('bad input: malformed frames', () => {
  it('undecodable frames after the handshake are counted as invalid-frame and penalized; the sixth bans the sender while honest traffic flows', async () => {
    const ctx = await honestMesh()
    const { mesh, victim, honest } = ctx
    const attacker = new Attacker(mesh.net, 'mallory', 671)
    const link = await attach(ctx, attacker)
    await mesh.runFor(100)
    const before = victim.stats()

    const valid = encodeFrame([{ type: 'subscribe', topics: ['news', 'more-news'] }])
    const withLength = (frame: Uint8Array, payloadBytes: number) => {
      const copy = frame.slice()
      new DataView(copy.buffer).setUint32(2, payloadBytes)
      return copy
    }
    const noise = new Uint8Array(64)
    seededRandom(9).fill(noise)
    const garbage = [
      noise, //                                                      random bytes
      valid.subarray(0, valid.length - 7), //                        a truncated frame
      withLength(valid, valid.length - 8 + 10), //                   header claims more than is there
      withLength(valid, valid.length - 8 - 3), //                    header claims less: trailing bytes
      concat(frameHeader(5 + 4, 1), Uint8Array.of(0x12, 0, 0, 1, 0), new Uint8Array(4)), // message length past the frame's end
      Uint8Array.of(0x57, 0x02, 0, 0, 0, 5, 0, 1, 0x04, 0, 0, 0, 0), // a wire version nobody speaks
    ]
    for (let i = 0; i < garbage.length; i++) {
      link.sendBytes(garbage[i]!)
      await mesh.runUntil(() => victim.stats().layers.peers.dropped['invalid-frame'] === before.layers.peers.dropped['invalid-frame'] + i + 1)
      if (i === 4) {
        // Five offences: the score is at its floor, the session still open, honest traffic served.
        expect(isPeer(victim, attacker.id)).toBe(true)
        await expectStillServing(ctx, 'between malformed frames')
      }
    }
    await mesh.runUntil(() => link.closed !== undefined)

    const after = victim.stats()
    expect(after.layers.peers.dropped['invalid-frame']).toBe(before.layers.peers.dropped['invalid-frame'] + 6)
    expect(after.drops.peers['invalid-frame']).toBe(6)
    expect(after.layers.peers.penalties['invalid-frame']).toBe(before.layers.peers.penalties['invalid-frame'] + 6)
    expect(after.layers.peers.bans).toBe(1)
    expect(isPeer(victim, attacker.id)).toBe(false)
    expect(goodbye(link)).toEqual([GoodbyeReason.PROTOCOL_ERROR])
    expect(ctx.disconnects).toContainEqual({ peerKey: expect.any(String), reason: expect.stringMatching(/^banned: .*\(last: invalid-frame\)$/) })
    // Nothing of the subscribe inside the mangled frames was taken: the victim forwards no news to the attacker.
    expect(link.received.filter((message) => message.type === 'publish')).toEqual([])
    expect(texts(ctx.inbox.get(victim)!)).toEqual(['between malformed frames'])

    // Refused while banned, at its hello.
    const again = await mesh.settle(attacker.dial(victim.addresses[0]!))
    await mesh.runUntil(() => again.closed !== undefined)
    expect(goodbye(again)).toEqual([GoodbyeReason.PROTOCOL_ERROR])

    // Garbage instead of a handshake, from a fresh identity: refused and counted as a handshake failure.
    const stranger = new Attacker(mesh.net, 'stranger', 672)
    const connection = await mesh.settle(stranger.transport.dial(victim.addresses[0]!))
    const answers: DecodedMessage[] = []
    let isClosed = false
    connection.onMessage((frame) => answers.push(...decodeFrame(frame, { unknownTypes: 'return' })))
    connection.onClose(() => (isClosed = true))
    const failuresBefore = victim.stats().layers.peers.handshakeFailures
    connection.send(noise)
    await mesh.runUntil(() => isClosed)
    expect(answers.map((message) => message.type)).toEqual(['hello', 'goodbye'])
    expect(answers[1]).toEqual({ type: 'goodbye', reason: GoodbyeReason.PROTOCOL_ERROR })
    expect(victim.stats().layers.peers.handshakeFailures).toBe(failuresBefore + 1)

    await expectStillServing(ctx, 'after the ban')
    expect(honest.every((node) => isPeer(node, victim.id))).toBe(true)
    await finish(ctx, attacker, stranger)
  })
})

describe('bad input: a peer sending 10x its rate', () => {
  it('at 1,000 msg/s against the 100 msg/s limit the excess is dropped and counted, honest traffic is all delivered, and a steady flood is banned', async () => {
    const ctx = await honestMesh()
    const { mesh, victim, honest } = ctx
    const alice = honest[0]!
    // Only the victim follows 'flood': what it accepts is delivered there and goes no further.
    const flood: RelayMessage[] = []
    victim.subscribe('flood', (message) => flood.push(message))
    const attacker = new Attacker(mesh.net, 'mallory', 673)
    const link = await attach(ctx, attacker)
    await mesh.runUntil(() => link.received.some((message) => message.type === 'subscribe' && message.topics.includes('flood')))
    await mesh.runFor(100)
    const before = victim.stats()

    // 3 s at 1,000 genuinely signed publishes a second: 10 every 10 ms. Alice publishes every 100 ms meanwhile.
    const SECONDS = 3
    const messages: PublishMessage[] = []
    for (let i = 0; i < SECONDS * 1_000; i++) messages.push(await attacker.publish('flood', bytes(`flood ${i}`)))
    const startedAt = mesh.clock.now()
    for (let tick = 0; tick < SECONDS * 100; tick++) {
      link.send(messages.slice(tick * 10, tick * 10 + 10))
      if (tick % 10 === 0) void alice.publish('news', bytes(`honest ${tick / 10}`))
      await mesh.runFor(10)
    }
    await mesh.runFor(500)

    const victimKey = victim.peers().find((peer) => bytesEqual(peer.id, attacker.id))!.peerKey
    const stats = victim.stats()
    const dropped = stats.layers.peers.dropped['rate-limit'] - before.layers.peers.dropped['rate-limit']
    const accepted = stats.layers.peers.perPeer.find((peer) => peer.peerKey === victimKey)!.messagesIn
    // Every message the attacker sent was either taken within its rate or dropped and counted.
    expect(accepted + dropped).toBe(link.messagesSent)
    // Taken: the burst (100) plus 100 a second, no more; delivered: exactly those of the flood taken.
    expect(flood.length).toBeLessThanOrEqual(100 + 100 * SECONDS + 1)
    expect(flood.length).toBeGreaterThanOrEqual(100 * SECONDS)
    expect(dropped).toBeGreaterThanOrEqual(SECONDS * 1_000 - (100 + 100 * SECONDS + 1))
    expect(stats.drops.peers['rate-limit']).toBe(stats.layers.peers.dropped['rate-limit'])
    // Charged at most once a second, and a burst of a few seconds is not a ban.
    // (penalties counts every penalize() call, once per frame with a drop; the score is what is charged.)
    expect(stats.layers.peers.penalties['rate-limit']).toBeGreaterThan(before.layers.peers.penalties['rate-limit'])
    const score = scoreOf(victim, attacker.id)!
    expect(score).toBeLessThanOrEqual(INITIAL_SCORE - SECONDS * PENALTIES['rate-limit'] + SECONDS + 1)
    expect(score).toBeGreaterThanOrEqual(INITIAL_SCORE - (SECONDS + 1) * PENALTIES['rate-limit'])
    expect(isPeer(victim, attacker.id)).toBe(true)
    // Alice's 30 messages reached every node, once, during the flood.
    const honestTexts = Array.from({ length: SECONDS * 10 }, (_, i) => `honest ${i}`)
    for (const node of [victim, ...honest.slice(1)]) expect(texts(ctx.inbox.get(node)!).sort()).toEqual([...honestTexts].sort())
    expect(mesh.clock.now() - startedAt).toBeGreaterThanOrEqual(SECONDS * 1_000)

    // Kept up (replaying what the victim took already, which it drops as duplicates), the flood
    // is banned: each second over the rate costs 5 points and only 1 comes back.
    const deliveredBefore = flood.length
    const taken = new Set(flood.map((message) => message.seq))
    const replays = messages.filter((message) => taken.has(message.seq))
    const floodStart = mesh.clock.now()
    for (let tick = 0; isPeer(victim, attacker.id) && tick < 4_000; tick++) {
      link.send(Array.from({ length: 10 }, (_, i) => replays[(tick * 10 + i) % replays.length]!))
      await mesh.runFor(10)
    }
    expect(isPeer(victim, attacker.id)).toBe(false)
    expect(mesh.clock.now() - floodStart).toBeLessThanOrEqual(30_000)
    await mesh.runUntil(() => link.closed !== undefined)
    expect(goodbye(link)).toEqual([GoodbyeReason.RATE_LIMITED])
    expect(ctx.disconnects).toContainEqual({ peerKey: victimKey, reason: expect.stringMatching(/^banned: .*\(last: rate-limit\)$/) })
    expect(victim.stats().layers.peers.bans).toBe(1)
    expect(flood.length).toBe(deliveredBefore)

    await expectStillServing(ctx, 'after the flood')
    await finish(ctx, attacker)
  }, 60_000)
})
