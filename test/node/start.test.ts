// start() and its bootstrap addresses, as a new user meets them: a mistyped address fails at
// once with a typed error, silence is retried and can be cut short by a signal, and what
// start() waited for is bounded in virtual time. MemoryNetwork, ManualClock, the public API.

import { describe, expect, it } from 'vitest'
import { BootstrapError, createMeshNode, MeshNodeError } from '../../src/node.js'
import { BOOTSTRAP_STAGGER_MS } from '../../src/node/bootstrap.js'
import { WebSocketTransport } from '../../src/transport/index.js'
import { useDeterministicEd25519 } from '../../src/peers/identity-crypto.js'
import { createMesh } from './harness.js'

useDeterministicEd25519()

/** The harness's links: latency 10 ms, jitter 5 ms, so one round trip is at most 30 ms. */
const ROUND_TRIP_MS = 30

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

describe('start() through a bootstrap node busy with handshakes', () => {
  it('a newcomer pushed out of a full waiting room is told PEER_BUSY and dials again after its backoff: both newcomers start', async () => {
    const mesh = createMesh({ seed: 12 })
    // One handshake at a time: the second newcomer's dial pushes the first one's out.
    const seed = await mesh.node({ peers: { maxPendingHandshakes: 1 } })
    await mesh.settle(seed.start())
    const first = await mesh.node({ bootstrap: seed.addresses })
    const second = await mesh.node({ bootstrap: seed.addresses })
    const startedAt = mesh.clock.now()
    const startedAtMs: number[] = []
    await mesh.settle(Promise.all([first, second].map((node) => node.start().then(() => startedAtMs.push(mesh.clock.now() - startedAt)))))
    expect(first.isRunning && second.isRunning).toBe(true)
    expect(seed.stats().peers).toBe(2)
    expect(seed.stats().layers.peers.pendingHandshakes.evicted).toBeGreaterThanOrEqual(1)
    for (const node of [first, second]) expect(node.stats().bootstrap.connected).toEqual(seed.addresses)
    // The one pushed out waited the first backoff (5 s, ±20%) before its second dial.
    expect(Math.max(...startedAtMs)).toBeGreaterThanOrEqual(4_000)
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  })
})

describe('start() with bootstrap addresses that cannot be reached', () => {
  it('an address nothing listens at rejects with BootstrapError NODE_BOOTSTRAP_FAILED within a round trip, and the node is stopped', async () => {
    const mesh = createMesh({ seed: 11 })
    const node = await mesh.node({ bootstrap: ['memory://does-not-exist'] })
    const events: string[] = []
    node.addEventListener('bootstrap:failed', () => events.push('bootstrap:failed'))
    node.addEventListener('stopped', () => events.push('stopped'))
    const startedAt = mesh.clock.now()
    const error = await failureOf(mesh.settle(node.start()))
    expect(mesh.clock.now() - startedAt).toBeLessThanOrEqual(ROUND_TRIP_MS)
    expect(error).toBeInstanceOf(BootstrapError)
    expect(error).toBeInstanceOf(MeshNodeError)
    const failure = error as BootstrapError
    expect(failure.code).toBe('NODE_BOOTSTRAP_FAILED')
    expect(failure.message).toContain('memory://does-not-exist: PEER_UNREACHABLE')
    expect(failure.message).toContain('nothing listens at memory://does-not-exist')
    expect(failure.bootstrap.failed).toEqual([{ address: 'memory://does-not-exist', code: 'PEER_UNREACHABLE', message: expect.stringContaining('in 1 attempts') }])
    expect(events).toEqual(['bootstrap:failed', 'stopped'])
    expect(node.isRunning).toBe(false)
    expect(mesh.clock.pending).toBe(0)
    await expect(node.start()).rejects.toMatchObject({ code: 'NODE_INVALID_STATE' })
  })

  it('an address the transport cannot take fails the same way, with its TRANSPORT_BAD_ADDRESS code', async () => {
    const mesh = createMesh({ seed: 12 })
    const node = await mesh.node({ bootstrap: ['ws://127.0.0.1:7777'] })
    const startedAt = mesh.clock.now()
    const error = (await failureOf(mesh.settle(node.start()))) as BootstrapError
    expect(mesh.clock.now()).toBe(startedAt)
    expect(error.code).toBe('NODE_BOOTSTRAP_FAILED')
    expect(error.bootstrap.failed.map((failure) => failure.code)).toEqual(['TRANSPORT_BAD_ADDRESS'])
    expect(mesh.clock.pending).toBe(0)
  })

  it('one wrong address among good ones: start() resolves and stats().bootstrap names the wrong one', async () => {
    const mesh = createMesh({ seed: 13 })
    const seed = await mesh.node()
    await mesh.settle(seed.start())
    const node = await mesh.node({ bootstrap: ['memory://typo', ...seed.addresses] })
    await mesh.settle(node.start())
    expect(node.isRunning).toBe(true)
    expect(node.stats().bootstrap).toMatchObject({ connected: seed.addresses, failed: [{ address: 'memory://typo', code: 'PEER_UNREACHABLE' }], isDhtJoined: true })
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  })

  it("onBootstrapFailure 'keep-trying' resolves within a round trip with the node running alone and dialling with backoff", async () => {
    const mesh = createMesh({ seed: 14 })
    const node = await mesh.node({ bootstrap: ['memory://later'] })
    const startedAt = mesh.clock.now()
    await mesh.settle(node.start({ onBootstrapFailure: 'keep-trying' }))
    expect(mesh.clock.now() - startedAt).toBeLessThanOrEqual(ROUND_TRIP_MS)
    expect(node.isRunning).toBe(true)
    expect(node.stats().join).toMatchObject({ isIsolated: true })
    expect(node.stats().join.nextRoundInMs).toBeGreaterThan(0)
    const later = await mesh.node({ address: 'later' })
    await mesh.settle(later.start())
    await mesh.runUntil(() => node.stats().peers === 1)
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  })

  it('silence (a cut link) is retried with backoff: start() takes the retries, then rejects with every attempt counted', async () => {
    const mesh = createMesh({ seed: 15 })
    const seed = await mesh.node({ address: 'silent' })
    await mesh.settle(seed.start())
    const node = await mesh.node({ address: 'newcomer', bootstrap: seed.addresses, peers: { maxRetries: 2, retryBaseMs: 1_000, retryJitter: 0 } })
    mesh.net.cut('memory://newcomer', 'memory://silent')
    const startedAt = mesh.clock.now()
    const error = (await failureOf(mesh.settle(node.start()))) as BootstrapError
    // Three dials of 10 s (the network's dial timeout) and waits of 1 s and 2 s between them.
    expect(mesh.clock.now() - startedAt).toBeGreaterThanOrEqual(33_000)
    expect(mesh.clock.now() - startedAt).toBeLessThanOrEqual(33_000 + ROUND_TRIP_MS)
    expect(error.bootstrap.failed).toEqual([{ address: 'memory://silent', code: 'PEER_UNREACHABLE', message: expect.stringContaining('got no answer') }])
    expect(node.stats().layers.peers.dialAttempts).toBe(3)
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  })

  it('a silent address among good ones holds start() no longer than the stagger: the good one is dialled after it and joins the node', async () => {
    const mesh = createMesh({ seed: 16 })
    const silent = await mesh.node({ address: 'silent' })
    await mesh.settle(silent.start())
    const good = await mesh.node({ address: 'good' })
    await mesh.settle(good.start())
    const node = await mesh.node({ address: 'newcomer', bootstrap: [...silent.addresses, ...good.addresses], peers: { maxRetries: 3, retryBaseMs: 5_000, retryJitter: 0 } })
    mesh.net.cut('memory://newcomer', 'memory://silent')
    const startedAt = mesh.clock.now()
    await mesh.settle(node.start())
    // At worst the silent address came first in the turn: the good one starts a stagger later.
    expect(mesh.clock.now() - startedAt).toBeLessThanOrEqual(BOOTSTRAP_STAGGER_MS + 2 * ROUND_TRIP_MS)
    expect(node.stats().bootstrap.connected).toEqual(good.addresses)
    // Dialled before the good one answered, it was still silent then: no answer to report.
    expect(node.stats().bootstrap.failed).toEqual([])
    await mesh.runFor(60_000)
    expect(node.isRunning).toBe(true)
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  })

  it('start({ signal }): aborting stops the node and rejects with NODE_ABORTED, an AbortError, with no timer left', async () => {
    const mesh = createMesh({ seed: 16 })
    const seed = await mesh.node({ address: 'silent' })
    await mesh.settle(seed.start())
    const node = await mesh.node({ address: 'newcomer', bootstrap: seed.addresses })
    mesh.net.cut('memory://newcomer', 'memory://silent')
    const controller = new AbortController()
    const started = node.start({ signal: controller.signal })
    await mesh.runFor(15_000) // first dial timed out, waiting out its backoff
    controller.abort(new Error('the user gave up'))
    const error = (await failureOf(mesh.settle(started))) as MeshNodeError
    expect(error).toBeInstanceOf(MeshNodeError)
    expect(error.code).toBe('NODE_ABORTED')
    expect(error.name).toBe('AbortError')
    expect((error.cause as Error).message).toBe('the user gave up')
    expect(node.isRunning).toBe(false)
    await seed.stop()
    await mesh.runFor(1_000)
    expect(mesh.clock.pending).toBe(0)
  })

  it('an aborted signal stops the node before it starts; bad start options are NODE_INVALID_ARGUMENT', async () => {
    const mesh = createMesh({ seed: 17 })
    const node = await mesh.node()
    await expect(node.start({ onBootstrapFailure: 'retry' as 'reject' })).rejects.toMatchObject({ code: 'NODE_INVALID_ARGUMENT', message: expect.stringContaining('reject, keep-trying') })
    await expect(node.start({ signal: 'soon' as unknown as AbortSignal })).rejects.toMatchObject({ code: 'NODE_INVALID_ARGUMENT' })
    await expect(node.start({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'NODE_ABORTED', name: 'AbortError' })
    expect(node.isRunning).toBe(false)
    expect(mesh.clock.pending).toBe(0)
  })

  it('over real WebSockets, a port nothing listens on fails start() with its cause, without a retry', async () => {
    const node = await createMeshNode({ seed: 19, transport: new WebSocketTransport({ listenAddress: 'ws://127.0.0.1:0' }), bootstrap: ['ws://127.0.0.1:1'] })
    const error = (await failureOf(node.start())) as BootstrapError
    expect(error.code).toBe('NODE_BOOTSTRAP_FAILED')
    expect(error.bootstrap.failed).toEqual([{ address: 'ws://127.0.0.1:1', code: 'PEER_UNREACHABLE', message: expect.stringContaining('ECONNREFUSED') }])
    expect(node.stats().layers.peers.dialAttempts).toBe(1)
    expect(node.isRunning).toBe(false)
  })

  it('a bootstrap node that accepts and then goes: start() resolves (a session opened), the node runs with no peer and dials on', async () => {
    const mesh = createMesh({ seed: 19 })
    const seed = await mesh.node()
    await mesh.settle(seed.start())
    // The bootstrap node leaves as soon as the newcomer's session opens, before its join ends.
    seed.addEventListener('peer:connect', () => void seed.stop(), { once: true })
    const node = await mesh.node({ bootstrap: seed.addresses })
    await mesh.settle(node.start())
    expect(node.isRunning).toBe(true)
    expect(node.stats().bootstrap).toMatchObject({ connected: seed.addresses, failed: [] })
    expect(node.peers()).toEqual([])
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  })

  it('a node without bootstrap addresses starts alone and resolves at once', async () => {
    const mesh = createMesh({ seed: 18 })
    const node = await mesh.node()
    const startedAt = mesh.clock.now()
    await mesh.settle(node.start())
    expect(mesh.clock.now()).toBe(startedAt)
    expect(node.isRunning).toBe(true)
    await mesh.stopAll()
  })
})
