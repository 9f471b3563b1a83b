// The transport manager's own promises: options checked, each address dialled by the
// transport that takes it, a peer's addresses ordered by the manager's order, listening only
// where a transport can, and close() closing all of them.

import { describe, expect, it } from 'vitest'
import { MemoryNetwork, MemorySignaling, TransportError, TransportManager, WebRtcTransport, WebSocketTransport, type Connection, type Transport } from '../../src/transport/index.js'

async function codeOf(promise: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof promise === 'function' ? promise() : promise)
  } catch (error) {
    expect(error).toBeInstanceOf(TransportError)
    return (error as TransportError).code
  }
  return 'resolved'
}

/** A transport that never listens (as a WebSocket transport in a browser) and dials 'dialonly://' addresses. */
function dialOnly(net: MemoryNetwork, name: string): Transport & { dialled: string[] } {
  const inner = net.createTransport(name)
  const dialled: string[] = []
  return {
    kind: 'dial-only',
    localAddress: `dialonly://${name}`,
    canListen: false,
    dialled,
    listen: () => Promise.reject(new TransportError('TRANSPORT_INVALID_STATE', 'cannot listen here')),
    dialOrder: (addresses) => addresses.filter((address) => address.startsWith('dialonly://')),
    dial: (address) => {
      dialled.push(address)
      return inner.dial(address.replace('dialonly://', 'memory://'))
    },
    close: () => inner.close(),
  }
}

describe('TransportManager', () => {
  it('refuses options that are not 1 to 8 distinct transports with a dialOrder()', async () => {
    const net = new MemoryNetwork()
    const a = net.createTransport('a')
    const noOrder: Transport = { kind: 'x', localAddress: 'x://1', listen: () => Promise.resolve(), dial: () => Promise.reject(new Error('no')), close: () => Promise.resolve() }
    const attempts: unknown[] = [undefined, {}, { transports: [] }, { transports: 'a' }, { transports: [a, a] }, { transports: [{}] }, { transports: [noOrder] },
      { transports: Array.from({ length: 9 }, (_, i) => net.createTransport(`many-${i}`)) }]
    for (const options of attempts) {
      expect(await codeOf(() => new TransportManager(options as never)), JSON.stringify(options)?.slice(0, 60)).toBe('TRANSPORT_INVALID_OPTION')
    }
    await net.close()
  })

  it('orders one peer\'s addresses by the manager\'s transports, leaving out those none dials', async () => {
    const hub = new MemorySignaling()
    const webrtc = new WebRtcTransport({ signaling: hub.connect('me') })
    const ws = new WebSocketTransport({ listenAddress: 'ws://127.0.0.1:0' })
    const manager = new TransportManager({ transports: [webrtc, ws] })
    expect(manager.dialOrder(['ws://127.0.0.1:9', 'memory://x', 'webrtc://peer', 'wss://example.org:443', 'webrtc://other']))
      .toEqual(['webrtc://peer', 'webrtc://other', 'ws://127.0.0.1:9', 'wss://example.org:443'])
    // Its own address is never one to dial.
    expect(manager.dialOrder(['webrtc://me', 'ws://127.0.0.1:9'])).toEqual(['ws://127.0.0.1:9'])
    const reversed = new TransportManager({ transports: [new WebSocketTransport(), new WebRtcTransport({ signaling: hub.connect('me2') })] })
    expect(reversed.dialOrder(['webrtc://peer', 'ws://127.0.0.1:9'])).toEqual(['ws://127.0.0.1:9', 'webrtc://peer'])
    await Promise.all([manager.close(), reversed.close()])
  })

  it('dials each address with the transport that takes it, and refuses with TRANSPORT_BAD_ADDRESS an address none takes', async () => {
    const net = new MemoryNetwork()
    const server = net.createTransport('server')
    const accepted: Connection[] = []
    await server.listen((connection) => accepted.push(connection))
    const only = dialOnly(net, 'client-b')
    const manager = new TransportManager({ transports: [net.createTransport('client'), only] })
    const viaMemory = await manager.dial('memory://server')
    const viaDialOnly = await manager.dial('dialonly://server')
    expect(viaMemory.isOpen && viaDialOnly.isOpen).toBe(true)
    expect(only.dialled).toEqual(['dialonly://server'])
    expect(await codeOf(manager.dial('webrtc://server'))).toBe('TRANSPORT_BAD_ADDRESS')
    expect(await codeOf(manager.dial('memory://nobody'))).toBe('TRANSPORT_UNREACHABLE')
    const stats = manager.stats()
    expect(stats.transports.map((part) => [part.kind, part.dialsStarted, part.dialsFailed])).toEqual([['memory', 2, 1], ['dial-only', 1, 0]])
    expect(stats.dialsUnroutable).toBe(1)
    await manager.close()
    await net.close()
  })

  it('listens on every transport that can, advertises their addresses in order, and only dials with the others', async () => {
    const net = new MemoryNetwork()
    const ws = new WebSocketTransport({ listenAddress: 'ws://127.0.0.1:0' })
    const manager = new TransportManager({ transports: [net.createTransport('node'), dialOnly(net, 'node-b'), ws] })
    // Before listen(): what it will listen on, with the WebSocket port not bound yet.
    expect(manager.localAddresses).toEqual(['memory://node', 'ws://127.0.0.1:0'])
    const accepted: Connection[] = []
    await manager.listen((connection) => accepted.push(connection))
    expect(manager.isListening).toBe(true)
    expect(manager.localAddresses[0]).toBe('memory://node')
    expect(manager.localAddresses[1]).toMatch(/^ws:\/\/127\.0\.0\.1:[1-9]\d*$/)
    expect(manager.localAddresses).toHaveLength(2)
    expect(manager.localAddress).toBe('memory://node')
    expect(manager.stats().transports.map((part) => part.isListening)).toEqual([true, false, true])
    // Both listening transports hand their connections to the one handler.
    const client = new WebSocketTransport()
    const fromWs = await client.dial(manager.localAddresses[1])
    const fromMemory = await net.createTransport('other').dial('memory://node')
    await expect.poll(() => accepted.length).toBe(2)
    expect(fromWs.isOpen && fromMemory.isOpen).toBe(true)
    expect(await codeOf(manager.listen(() => {}))).toBe('TRANSPORT_INVALID_STATE')
    await Promise.all([client.close(), manager.close()])
    await net.close()
  })

  it('a manager none of whose transports can listen rejects listen() with TRANSPORT_INVALID_STATE, and can still dial', async () => {
    const net = new MemoryNetwork()
    const server = net.createTransport('server')
    await server.listen(() => {})
    const manager = new TransportManager({ transports: [dialOnly(net, 'browser')] })
    expect(manager.canListen).toBe(false)
    expect(await codeOf(manager.listen(() => {}))).toBe('TRANSPORT_INVALID_STATE')
    expect((await manager.dial('dialonly://server')).isOpen).toBe(true)
    await manager.close()
    await net.close()
  })

  it('close() closes every transport and their connections, is idempotent, and refuses dial and listen after', async () => {
    const net = new MemoryNetwork()
    const server = net.createTransport('server')
    await server.listen(() => {})
    const ws = new WebSocketTransport({ listenAddress: 'ws://127.0.0.1:0' })
    const memory = net.createTransport('client')
    const manager = new TransportManager({ transports: [memory, ws] })
    await manager.listen(() => {})
    const connection = await manager.dial('memory://server')
    const closes: string[] = []
    connection.onClose((info) => closes.push(info.initiator))
    await Promise.all([manager.close(), manager.close()])
    expect(memory.isClosed).toBe(true)
    expect(ws.isListening).toBe(false)
    await expect.poll(() => closes).toEqual(['local'])
    expect(await codeOf(manager.dial('memory://server'))).toBe('TRANSPORT_CLOSED')
    expect(await codeOf(manager.listen(() => {}))).toBe('TRANSPORT_CLOSED')
    await net.close()
  })
})
