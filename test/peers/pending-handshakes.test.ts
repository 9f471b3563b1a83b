import { describe, expect, it } from 'vitest'
import { isLoopbackSource, prefixOf, sourceOf } from '../../src/peers/address-source.js'
import { PendingHandshakes } from '../../src/peers/pending-handshakes.js'
import type { Connection } from '../../src/transport/index.js'
import { ManualClock } from '../../src/util/clock.js'

describe('sourceOf and prefixOf', () => {
  it.each([
    ['ws://203.0.113.9:4312', '203.0.113.9', '203.0'],
    ['wss://Example.COM:443/mesh?x=1', 'example.com', 'example.com'],
    ['ws://user@198.51.100.1:80', '198.51.100.1', '198.51'],
    ['ws://[2001:db8:1:2:3:4:5:6]:9000', '2001:db8:1:2', '2001:db8'],
    ['ws://[2001:db8::1]:9000', '2001:db8:0:0', '2001:db8'],
    ['ws://[2001:0db8:0000:0001::]:1', '2001:db8:0:1', '2001:db8'],
    ['ws://[::1]:1', '::1', undefined],
    ['memory://alice', 'alice', 'alice'],
    ['memory://45.2.17.1', '45.2.17.1', '45.2'],
    ['memory://300.1.2.3', '300.1.2.3', '300.1.2.3'],
    ['webrtc://peer-7', 'peer-7', 'peer-7'],
    ['not an address', 'not an address', 'not an address'],
  ])('%s: source %s, prefix %s', (address, source, prefix) => {
    expect(sourceOf(address)).toBe(source)
    expect(prefixOf(address)).toBe(prefix)
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

describe('prefixOf', () => {
  it.each([
    'ws://127.0.0.1:1', 'ws://127.9.9.9:1', 'ws://localhost:8080', 'ws://[::1]:1',
    'ws://10.1.2.3:1', 'ws://172.16.0.1:1', 'ws://172.31.255.1:1', 'ws://192.168.1.20:1', 'ws://169.254.3.4:1',
    'ws://[fd12:3456::1]:1', 'ws://[fc00::1]:1', 'ws://[fe80::1%eth0]:1',
  ])('%s is exempt (loopback or a private range)', (address) => {
    expect(prefixOf(address)).toBeUndefined()
  })

  it('the ranges next to the private ones are not exempt', () => {
    for (const address of ['ws://172.15.0.1:1', 'ws://172.32.0.1:1', 'ws://11.0.0.1:1', 'ws://192.169.0.1:1', 'ws://[fe00::1]:1']) expect(prefixOf(address)).toBeDefined()
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
    expect(pending.sizes()).toEqual({ pending: 2, sources: 1, groups: 1 })
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

  it('a burst from a few prefixes pushes out its own members, never a newcomer alone in its prefix, even an older one', () => {
    const { pending, dropped } = setup({ maxPending: 8, maxPerSource: 4, helloTimeoutMs: 100 })
    const honest = connectionFrom('ws://81.0.0.1:1')
    expect(pending.admit(honest).ok).toBe(true)
    // 40 hosts in two /16s, each opening one connection.
    const burst = Array.from({ length: 40 }, (_, i) => connectionFrom(`ws://45.${i % 2}.${i}.1:1`))
    for (const connection of burst) pending.admit(connection)
    expect(dropped.map((entry) => entry.connection)).not.toContain(honest)
    expect(dropped).toHaveLength(40 - 7)
    expect(pending.size).toBe(8)
    expect(pending.sizes().groups).toBe(3)
    // The /16s hold 4 and 3: of two more from one of them, the one that would make it hold 5 finds nobody fuller and is refused.
    const tries = [200, 201].map((host) => pending.admit(connectionFrom(`ws://45.1.${host}.1:1`)).ok)
    expect(tries).toContain(false)
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
    expect(pending.sizes()).toEqual({ pending: 0, sources: 0, groups: 0 })
    expect(clock.pending).toBe(0)
  })
})
