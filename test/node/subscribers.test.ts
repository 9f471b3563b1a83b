// waitForSubscribers() and what publish() says when a message reaches nobody: the first
// publish of a new user's program goes out only once a neighbour's subscription has arrived,
// and a publish that went nowhere says so in its result. MemoryNetwork, virtual time.

import { describe, expect, it } from 'vitest'
import { MeshNodeError, type MeshNode } from '../../src/node.js'
import { useDeterministicEd25519 } from '../../src/peers/identity-crypto.js'
import type { RelayMessage } from '../../src/relay/index.js'
import { createMesh, type Mesh } from './harness.js'

useDeterministicEd25519()

const bytes = (text: string) => new TextEncoder().encode(text)

async function pair(seed: number): Promise<{ mesh: Mesh; a: MeshNode; b: MeshNode }> {
  const mesh = createMesh({ seed })
  const a = await mesh.node()
  await mesh.settle(a.start())
  const b = await mesh.node({ bootstrap: a.addresses })
  await mesh.settle(b.start())
  return { mesh, a, b }
}

async function failureOf(promise: Promise<unknown>): Promise<MeshNodeError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof MeshNodeError) return error
    throw error
  }
  throw new Error('expected a rejection')
}

describe('publish() says when a message reaches nobody', () => {
  it("a lone node's publish: isSent false, notSentReason 'no-peers'", async () => {
    const mesh = createMesh({ seed: 31 })
    const alone = await mesh.node()
    await mesh.settle(alone.start())
    const result = await mesh.settle(alone.publish('chat', bytes('anyone?')))
    expect(result).toMatchObject({ peers: 0, subscribers: 0, isSent: false, notSentReason: 'no-peers' })
    await mesh.stopAll()
  })

  it("published right after the subscriber subscribed: 'no-subscribers'; after waitForSubscribers it is sent and received", async () => {
    const { mesh, a, b } = await pair(32)
    const inbox: RelayMessage[] = []
    b.subscribe('chat', (message) => inbox.push(message))
    // b's subscribe message is still on the link.
    expect(await mesh.settle(a.publish('chat', bytes('too early')))).toMatchObject({ peers: 0, isSent: false, notSentReason: 'no-subscribers' })
    expect(await mesh.settle(a.waitForSubscribers('chat'))).toBe(1)
    const result = await mesh.settle(a.publish('chat', bytes('hi')))
    expect(result).toMatchObject({ peers: 1, subscribers: 1, isSent: true, notSentReason: undefined })
    await mesh.runUntil(() => inbox.length === 1)
    expect(new TextDecoder().decode(inbox[0]!.data)).toBe('hi')
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  })
})

describe('waitForSubscribers()', () => {
  it('resolves at once, with the count, when enough neighbours subscribe already', async () => {
    const { mesh, a, b } = await pair(33)
    b.subscribe('news', () => undefined)
    await mesh.settle(a.waitForSubscribers('news'))
    const before = mesh.clock.now()
    expect(await a.waitForSubscribers('news', { min: 1 })).toBe(1)
    expect(mesh.clock.now()).toBe(before)
    await mesh.stopAll()
  })

  it('waits for `min` subscribed neighbours, however many subscribe in between', async () => {
    const { mesh, a, b } = await pair(34)
    const c = await mesh.node({ bootstrap: a.addresses })
    await mesh.settle(c.start())
    let settled: number | undefined
    void a.waitForSubscribers('news', { min: 2 }).then((count) => (settled = count))
    b.subscribe('news', () => undefined)
    await mesh.runFor(1_000)
    expect(settled).toBeUndefined()
    c.subscribe('news', () => undefined)
    await mesh.runUntil(() => settled !== undefined)
    expect(settled).toBe(2)
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  })

  it('rejects with NODE_TIMEOUT after timeoutMs, saying how many subscribed and how many peers there are, and leaves no timer', async () => {
    const { mesh, a } = await pair(35)
    const pendingBefore = mesh.clock.pending
    const startedAt = mesh.clock.now()
    const waiting = a.waitForSubscribers('nobody-follows-this', { timeoutMs: 2_000 })
    expect(mesh.clock.pending).toBe(pendingBefore + 1)
    const error = await failureOf(mesh.settle(waiting))
    expect(mesh.clock.now() - startedAt).toBeCloseTo(2_000, 6) // times carry link jitter, so the difference is a float
    expect(error.code).toBe('NODE_TIMEOUT')
    expect(error.message).toBe('0 of the 1 subscribed neighbours waited for had announced topic "nobody-follows-this" after 2000 ms (this node has 1 peer)')
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  })

  it('rejects with NODE_ABORTED, an AbortError, when its signal aborts, and releases its timer', async () => {
    const { mesh, a } = await pair(36)
    const pendingBefore = mesh.clock.pending
    const controller = new AbortController()
    const waiting = a.waitForSubscribers('news', { signal: controller.signal })
    controller.abort(new Error('enough'))
    const error = await failureOf(waiting)
    expect(error).toMatchObject({ code: 'NODE_ABORTED', name: 'AbortError' })
    expect((error.cause as Error).message).toBe('enough')
    expect(mesh.clock.pending).toBe(pendingBefore)
    await expect(a.waitForSubscribers('news', { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'NODE_ABORTED' })
    await mesh.stopAll()
  })

  it('rejects with NODE_STOPPED when the node stops meanwhile, and with NODE_INVALID_STATE once stopped', async () => {
    const { mesh, a } = await pair(37)
    const waiting = a.waitForSubscribers('news')
    await a.stop()
    expect((await failureOf(waiting)).code).toBe('NODE_STOPPED')
    expect((await failureOf(a.waitForSubscribers('news'))).code).toBe('NODE_INVALID_STATE')
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  })

  it('refuses bad arguments with NODE_INVALID_ARGUMENT naming the range', async () => {
    const { mesh, a } = await pair(38)
    expect((await failureOf(a.waitForSubscribers(''))).message).toMatch(/topic must be a non-empty string/)
    expect((await failureOf(a.waitForSubscribers('t', { min: 0 }))).message).toBe('min must be an integer from 1 to 10000, got 0')
    expect((await failureOf(a.waitForSubscribers('t', { timeoutMs: -1 }))).message).toBe('timeoutMs must be an integer from 1 to 2147483647, got -1')
    expect((await failureOf(a.waitForSubscribers('t', { signal: {} as AbortSignal }))).code).toBe('NODE_INVALID_ARGUMENT')
    await mesh.stopAll()
  })
})
