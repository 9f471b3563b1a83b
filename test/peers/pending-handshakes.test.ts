import { describe, expect, it } from 'vitest'
import { isLoopbackSource, sourceOf } from '../../src/peers/address-source.js'
import { PendingHandshakes } from '../../src/peers/pending-handshakes.js'
import type { Connection } from '../../src/transport/index.js'
import { ManualClock } from '../../src/util/clock.js'

describe('sourceOf', () => {
  it.each([
    ['ws://203.0.113.9:4312', '203.0.113.9'],
    ['wss://Example.COM:443/mesh?x=1', 'example.com'],
    ['ws://user@198.51.100.1:80', '198.51.100.1'],
    ['ws://[2001:db8:1:2:3:4:5:6]:9000', '2001:db8:1:2'],
    ['ws://[2001:db8::1]:9000', '2001:db8:0:0'],
    ['ws://[2001:0db8:0000:0001::]:1', '2001:db8:0:1'],
    ['ws://[::1]:1', '::1'],
    ['memory://alice', 'alice'],
    ['not an address', 'not an address'],
  ])('%s -> %s', (address, source) => {
    expect(sourceOf(address)).toBe(source)
  })

  it('two addresses in one IPv6 /64 are one source, in two /64s two', () => {
    expect(sourceOf('ws://[2001:db8:a:b::1]:1')).toBe(sourceOf('ws://[2001:db8:a:b:ffff::2]:2'))
    expect(sourceOf('ws://[2001:db8:a:b::1]:1')).not.toBe(sourceOf('ws://[2001:db8:a:c::1]:1'))
  })

  it('loopback is recognised, nothing else is', () => {
    for (const source of ['127.0.0.1', '127.8.9.10', '::1', 'localhost']) expect(isLoopbackSource(source)).toBe(true)
    for (const source of ['128.0.0.1', '10.0.0.1', '2001:db8:0:0', 'alice']) expect(isLoopbackSource(source)).toBe(false)
  })
})

const connectionFrom = (remoteAddress: string) => ({ remoteAddress }) as Connection

function setup(limits = { maxPending: 3, maxPerSource: 2, helloTimeoutMs: 100 }) {
  const clock = new ManualClock()
  const dropped: { connection: Connection; why: string }[] = []
  const pending = new PendingHandshakes(limits, clock, (connection, why) => dropped.push({ connection, why }))
  return { clock, dropped, pending }
}

describe('PendingHandshakes', () => {
  it('caps each source, and frees the slot when a handshake ends', () => {
    const { pending } = setup()
    const [a, b, c] = [1, 2, 3].map(() => connectionFrom('ws://192.0.2.1:1'))
    expect(pending.admit(a).ok).toBe(true)
    expect(pending.admit(b).ok).toBe(true)
    const refused = pending.admit(c)
    expect(refused.ok).toBe(false)
    expect(refused.ok === false && refused.why).toContain('192.0.2.1')
    expect(pending.refused).toBe(1)
    pending.release(a)
    pending.release(a)
    expect(pending.admit(c).ok).toBe(true)
    expect(pending.sizes()).toEqual({ pending: 2, sources: 1 })
  })

  it('loopback connections are never capped per source', () => {
    const { pending } = setup({ maxPending: 10, maxPerSource: 1, helloTimeoutMs: 100 })
    for (let i = 0; i < 5; i++) expect(pending.admit(connectionFrom(`ws://127.0.0.1:${i}`)).ok).toBe(true)
  })

  it('when full, a newcomer pushes out the oldest connection of the fullest source; a newcomer whose source would be the fullest is refused', () => {
    const { pending, dropped } = setup({ maxPending: 3, maxPerSource: 3, helloTimeoutMs: 100 })
    const x1 = connectionFrom('ws://192.0.2.1:1')
    const y1 = connectionFrom('ws://198.51.100.1:1')
    const x2 = connectionFrom('ws://192.0.2.1:2')
    for (const connection of [x1, y1, x2]) expect(pending.admit(connection).ok).toBe(true)
    const z = connectionFrom('ws://203.0.113.1:1')
    expect(pending.admit(z).ok).toBe(true)
    expect(dropped.map((entry) => entry.connection)).toEqual([x1])
    expect(pending.evicted).toBe(1)
    // Now one each from x, y and z: a second from y would make y the fullest.
    expect(pending.admit(connectionFrom('ws://198.51.100.1:2')).ok).toBe(false)
    // A newcomer from a fourth source pushes out the oldest of the equals: y1.
    expect(pending.admit(connectionFrom('ws://233.252.0.1:1')).ok).toBe(true)
    expect(dropped.map((entry) => entry.connection)).toEqual([x1, y1])
    expect(pending.size).toBe(3)
  })

  it('closes a connection with no hello within helloTimeoutMs, and one whose auth does not follow its hello within another', () => {
    const { pending, dropped, clock } = setup({ maxPending: 10, maxPerSource: 10, helloTimeoutMs: 100 })
    const silent = connectionFrom('ws://192.0.2.1:1')
    const stalls = connectionFrom('ws://192.0.2.1:2')
    const finishes = connectionFrom('ws://192.0.2.1:3')
    for (const connection of [silent, stalls, finishes]) pending.admit(connection)
    clock.advance(60)
    pending.spoke(stalls)
    pending.spoke(finishes)
    pending.spoke(finishes)
    clock.advance(40)
    expect(dropped.map((entry) => entry.connection)).toEqual([silent])
    expect(dropped[0].why).toContain('no hello within 100 ms')
    pending.release(finishes)
    clock.advance(59)
    expect(dropped).toHaveLength(1)
    clock.advance(1)
    expect(dropped.map((entry) => entry.connection)).toEqual([silent, stalls])
    expect(dropped[1].why).toContain('no auth after the hello')
    expect(pending.silentTimeouts).toBe(2)
    expect(pending.size).toBe(0)
    expect(clock.pending).toBe(0)
  })

  it('drain() releases everything and leaves no timer', () => {
    const { pending, clock } = setup()
    pending.admit(connectionFrom('ws://192.0.2.1:1'))
    pending.admit(connectionFrom('ws://192.0.2.2:1'))
    expect(pending.drain()).toHaveLength(2)
    expect(pending.sizes()).toEqual({ pending: 0, sources: 0 })
    expect(clock.pending).toBe(0)
  })
})
