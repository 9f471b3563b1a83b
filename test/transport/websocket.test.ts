// The WebSocket transport over real sockets on 127.0.0.1: the transport contract, then what
// is particular to WebSockets (addresses, hostile peers, options, teardown).

import { connect, createServer, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket as WsWebSocket } from 'ws'
import { TransportError, type CloseInfo, type Connection } from '../../src/transport/index.js'
import { WebSocketTransport, type WebSocketTransportOptions } from '../../src/transport/websocket/index.js'
import type { WebSocketConnection } from '../../src/transport/websocket/connection.js'
import { describeTransportContract } from './contract.js'

const LOOPBACK = 'ws://127.0.0.1:0'

/** A TCP server on 127.0.0.1 that accepts and never answers, so a WebSocket handshake hangs. */
async function silentServer(): Promise<{ address: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    address: `ws://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/** A peer that opens a WebSocket by hand over TCP, so it can send what no WebSocket class would (and ignore what it gets). */
function handshakeByHand(address: string): Socket {
  const socket = connect(Number(new URL(address).port), '127.0.0.1')
  socket.on('error', () => {})
  socket.resume()
  socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')
  return socket
}

/** A port on 127.0.0.1 that was free a moment ago, so nothing listens there. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

const contractOptions: WebSocketTransportOptions = {
  listenAddress: LOOPBACK,
  highWaterMarkBytes: 262_144,
  lowWaterMarkBytes: 65_536,
  maxBufferedBytes: 4 * 1_048_576,
}

describeTransportContract('WebSocketTransport (ws on 127.0.0.1)', () => {
  const silent: { close(): Promise<void> }[] = []
  return {
    create: () => new WebSocketTransport(contractOptions),
    unreachableAddress: async () => `ws://127.0.0.1:${await freePort()}`,
    silentAddress: async () => {
      const server = await silentServer()
      silent.push(server)
      return server.address
    },
    badAddresses: ['', 'memory://bob', 'ws://127.0.0.1', 'ws://127.0.0.1:0', 'ws://127.0.0.1:70000', 'http://127.0.0.1:80', 'ws://a b:1', 'ws://127.0.0.1:80/path'],
    backpressure: { frameBytes: 65_536, maxFramesToFill: 4_000 },
    cleanup: async () => {
      await Promise.all(silent.splice(0).map((server) => server.close()))
    },
  }
})

describe('WebSocketTransport', () => {
  const made: WebSocketTransport[] = []
  const create = (options: WebSocketTransportOptions = {}) => {
    const transport = new WebSocketTransport({ listenAddress: LOOPBACK, ...options })
    made.push(transport)
    return transport
  }
  afterEach(async () => {
    await Promise.all(made.splice(0).map((transport) => transport.close()))
  })

  async function listening(options: WebSocketTransportOptions = {}) {
    const transport = create(options)
    const accepted: Connection[] = []
    await transport.listen((connection) => accepted.push(connection))
    return { transport, accepted }
  }

  function closed(connection: Connection): Promise<CloseInfo> {
    return new Promise((resolve) => connection.onClose(resolve))
  }

  /** A plain ws client, as a hostile or foreign peer would be. */
  async function rawClient(address: string): Promise<WsWebSocket> {
    const socket = new WsWebSocket(address)
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve)
      socket.once('error', reject)
    })
    return socket
  }

  async function accept(accepted: Connection[]): Promise<Connection> {
    while (accepted.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    return accepted[0]
  }

  it('reports the port it bound when port 0 was asked, and dials reach it', async () => {
    const { transport, accepted } = await listening()
    expect(transport.kind).toBe('websocket')
    expect(transport.localAddress).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/)
    expect(transport.localAddress).not.toBe(LOOPBACK)
    const connection = await create().dial(transport.localAddress)
    const inbound = await accept(accepted)
    expect(inbound.remoteAddress).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/)
    expect(connection.remoteAddress).toBe(transport.localAddress)
  })

  it('pauseReading() stops reading the socket, so TCP holds the sender back; resumeReading() then delivers everything', async () => {
    const { transport, accepted } = await listening()
    const outbound = await create({ maxBufferedBytes: 64 * 1_048_576 }).dial(transport.localAddress)
    const inbound = await accept(accepted)
    let received = 0
    inbound.onMessage(() => received++)
    expect(typeof inbound.pauseReading).toBe('function')
    inbound.pauseReading!()
    // Send until the sender's own buffer holds 2 MiB: the kernel's buffers on both sides are
    // full by then, since nothing is read. Bounded, so a transport that kept reading fails.
    const frame = new Uint8Array(65_536)
    let sent = 0
    while (outbound.bufferedAmount < 2 * 1_048_576 && sent < 800) {
      for (let i = 0; i < 16; i++, sent++) outbound.send(frame)
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    expect(outbound.bufferedAmount).toBeGreaterThanOrEqual(2 * 1_048_576)
    expect(received).toBe(0)
    inbound.resumeReading!()
    while (received < sent) await new Promise((resolve) => setTimeout(resolve, 5))
    expect(received).toBe(sent)
  }, 30_000)

  it('closing a connection that paused its reading drops the TCP connection at once rather than read its backlog for the close frame', async () => {
    const { transport, accepted } = await listening({ closeTimeoutMs: 60_000 })
    const outbound = await create({ maxBufferedBytes: 64 * 1_048_576 }).dial(transport.localAddress)
    const inbound = await accept(accepted)
    let received = 0
    inbound.onMessage(() => received++)
    inbound.pauseReading!()
    for (let i = 0; i < 64; i++) outbound.send(new Uint8Array(65_536))
    const far = closed(outbound)
    const here = closed(inbound)
    inbound.close('banned')
    // Within closeTimeoutMs (a minute) only because nothing waits for the far side's close frame.
    expect((await here).initiator).toBe('local')
    expect(['remote', 'network']).toContain((await far).initiator)
    await (inbound as WebSocketConnection).gone
    expect(received).toBe(0)
  }, 30_000)

  it('closing a connection whose far side keeps sending instead of its close frame drops it after 64 KiB, not after reading everything it queued', async () => {
    const { transport, accepted } = await listening({ closeTimeoutMs: 60_000 })
    const flooder = await rawClient(transport.localAddress)
    const inbound = await accept(accepted)
    const here = closed(inbound)
    let received = 0
    // Banned on its 8th frame, as the node bans inside its message handler.
    inbound.onMessage(() => {
      if (++received === 8) inbound.close('banned')
    })
    const far = new Promise<number>((resolve) => flooder.once('close', (code) => resolve(code)))
    // 4 MiB queued at once, as a flood cut off by a ban has queued: the client's close frame can only come behind it.
    for (let i = 0; i < 256; i++) flooder.send(new Uint8Array(16_384))
    expect((await here).initiator).toBe('local')
    // Dropped well within closeTimeoutMs (a minute), without reading the flood to its close frame.
    await far
    await (inbound as WebSocketConnection).gone
    expect(transport.stats().terminatedAfterClose).toBe(1)
    expect(received).toBe(8)
  }, 30_000)

  it('answers plain HTTP requests with 426, or with onHttpRequest when given, and still upgrades WebSockets on the same port', async () => {
    const { transport: plain } = await listening()
    const refused = await fetch(plain.localAddress.replace('ws://', 'http://') + '/anything')
    expect([refused.status, await refused.text()]).toEqual([426, 'Upgrade Required'])
    const seen: string[] = []
    const { transport: served, accepted } = await listening({
      onHttpRequest: (request, response) => {
        seen.push(`${request.method} ${request.url}`)
        response.writeHead(200, { 'content-type': 'text/plain' })
        response.end('hello')
      },
    })
    const answered = await fetch(served.localAddress.replace('ws://', 'http://') + '/health')
    expect([answered.status, await answered.text(), seen]).toEqual([200, 'hello', ['GET /health']])
    const connection = await create().dial(served.localAddress)
    expect(connection.isOpen).toBe(true)
    await accept(accepted)
    expect(() => create({ onHttpRequest: 'yes' as never })).toThrow(expect.objectContaining({ code: 'TRANSPORT_INVALID_OPTION' }))
  })

  it('a text frame from the far side closes that connection and is counted, and the transport carries on', async () => {
    const { transport, accepted } = await listening()
    const socket = await rawClient(transport.localAddress)
    const inbound = await accept(accepted)
    const frames: Uint8Array[] = []
    inbound.onMessage((frame) => frames.push(frame))
    const info = closed(inbound)
    const remoteClose = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)))
    socket.send('hello')
    expect(await info).toEqual({ initiator: 'local', reason: 'refused a text frame' })
    expect(await remoteClose).toBe(4003)
    expect(frames).toEqual([])
    expect(transport.stats().refusedText).toBe(1)
    const again = await create().dial(transport.localAddress)
    expect(again.isOpen).toBe(true)
  })

  it('a frame over maxMessageBytes is refused by ws before it is buffered, closing the connection', async () => {
    const { transport, accepted } = await listening({ maxMessageBytes: 1_000 })
    const socket = await rawClient(transport.localAddress)
    const inbound = await accept(accepted)
    const frames: Uint8Array[] = []
    inbound.onMessage((frame) => frames.push(frame))
    const info = closed(inbound)
    socket.on('error', () => {})
    socket.send(new Uint8Array(1_000))
    socket.send(new Uint8Array(1_001))
    expect(await info).toEqual({ initiator: 'local', reason: 'refused a frame over maxMessageBytes' })
    expect(frames.map((frame) => frame.byteLength)).toEqual([1_000])
    expect(transport.stats().refusedTooLarge).toBe(1)
  })

  it('a dialler using a WebSocket class without a receive limit still refuses oversized frames', async () => {
    const { transport, accepted } = await listening({ maxMessageBytes: 100_000 })
    class PlainWebSocket extends WsWebSocket {
      constructor(url: string) {
        super(url)
      }
    }
    const client = create({ maxMessageBytes: 10, WebSocket: PlainWebSocket })
    const outbound = await client.dial(transport.localAddress)
    const inbound = await accept(accepted)
    const info = closed(outbound)
    inbound.send(new Uint8Array(11))
    expect(await info).toEqual({ initiator: 'local', reason: 'refused a frame over maxMessageBytes' })
    expect(client.stats().refusedTooLarge).toBe(1)
  })

  it('a peer that drops its TCP connection is reported with initiator network', async () => {
    const { transport, accepted } = await listening()
    const socket = await rawClient(transport.localAddress)
    const inbound = await accept(accepted)
    const info = closed(inbound)
    socket.terminate()
    expect((await info).initiator).toBe('network')
  })

  it('close() drops a peer that never answers the close frame once closeTimeoutMs passed', async () => {
    const { transport, accepted } = await listening({ closeTimeoutMs: 100 })
    const socket = handshakeByHand(transport.localAddress) // and then says nothing, ever
    const inbound = await accept(accepted)
    const info = closed(inbound)
    const peerGone = new Promise((resolve) => socket.once('close', resolve))
    await transport.close()
    expect(await info).toEqual({ initiator: 'local', reason: 'transport closed' })
    expect(transport.stats().connections).toBe(0)
    await peerGone // we dropped the TCP connection ourselves
  })

  it('close() does not wait on TCP peers that never finish their upgrade request', async () => {
    const { transport } = await listening()
    const port = Number(new URL(transport.localAddress).port)
    const silent = connect(port, '127.0.0.1')
    const halfway = connect(port, '127.0.0.1')
    const gone = [silent, halfway].map((socket) => {
      socket.on('error', () => {})
      socket.resume()
      return new Promise((resolve) => socket.once('close', resolve))
    })
    await new Promise((resolve) => halfway.once('connect', resolve))
    halfway.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n') // and never the rest
    await new Promise((resolve) => setTimeout(resolve, 50))
    await transport.close() // within the test's timeout, not Node's 60 s headersTimeout
    await Promise.all(gone)
  }, 20_000)

  it('a frame that breaks the protocol (unmasked, from a client) closes that connection and is counted', async () => {
    const { transport, accepted } = await listening()
    const socket = handshakeByHand(transport.localAddress)
    const inbound = await accept(accepted)
    const info = closed(inbound)
    socket.write(Uint8Array.of(0x82, 0x01, 0x07)) // a one-byte binary frame without the client's mask
    expect(await info).toEqual({ initiator: 'local', reason: 'refused a malformed frame' })
    expect(transport.stats().refusedMalformed).toBe(1)
    socket.destroy()
  })

  it('listening where another server listens rejects with TRANSPORT_ADDRESS_IN_USE', async () => {
    const { transport } = await listening()
    const second = create({ listenAddress: transport.localAddress })
    const error = await second.listen(() => {}).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(TransportError)
    expect((error as TransportError).code).toBe('TRANSPORT_ADDRESS_IN_USE')
    await second.listen(() => {}).catch(() => {})
  })

  it('validates its options with TRANSPORT_INVALID_OPTION', () => {
    const bad: WebSocketTransportOptions[] = [
      { listenAddress: 'wss://127.0.0.1:0' },
      { listenAddress: 'memory://x' },
      { maxMessageBytes: 0 },
      { maxMessageBytes: 1.5 },
      { highWaterMarkBytes: -1 },
      { lowWaterMarkBytes: 2, highWaterMarkBytes: 1 },
      { maxBufferedBytes: 0 },
      { dialTimeoutMs: -1 },
      { closeTimeoutMs: Infinity },
      { drainPollMs: 0 },
      { WebSocket: 'ws' as never },
    ]
    for (const options of bad) {
      let code: string | undefined
      try {
        new WebSocketTransport(options)
      } catch (error) {
        code = (error as TransportError).code
      }
      expect([options, code]).toEqual([options, 'TRANSPORT_INVALID_OPTION'])
    }
    expect(() => new WebSocketTransport(null as never)).toThrow(TransportError)
  })

  it('after close() no socket, server or timer of the transports is left', async () => {
    const before = await settledResources()
    const server = new WebSocketTransport({ listenAddress: LOOPBACK })
    const client = new WebSocketTransport({ listenAddress: LOOPBACK, highWaterMarkBytes: 1_000 })
    const accepted: Connection[] = []
    await server.listen((connection) => accepted.push(connection))
    const connections = await Promise.all([client.dial(server.localAddress), client.dial(server.localAddress)])
    await accept(accepted)
    for (const connection of connections) connection.onDrain(() => {})
    for (let i = 0; i < 50; i++) connections[0].send(new Uint8Array(65_536)) // a drain awaited, a backlog in flight
    const silent = await silentServer()
    const pending = client.dial(silent.address).catch((error: unknown) => error)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(countResources()).not.toEqual(before)
    await Promise.all([server.close(), client.close()])
    expect((await pending as TransportError).code).toBe('TRANSPORT_CLOSED')
    await silent.close()
    const after = await settledResources(before)
    const left = Object.entries(after).filter(([kind, count]) => count > (before[kind] ?? 0))
    expect(left).toEqual([]) // earlier tests' handles may finish closing meanwhile, so fewer is fine
  })
})

/**
 * The handle counts once libuv has finished closing what was closed (a closed handle leaves
 * the list a loop turn or so after its 'close' event): polled until no kind is above
 * `limit` (or, without one, until they stop changing), within a generous deadline.
 */
async function settledResources(limit?: Record<string, number>): Promise<Record<string, number>> {
  let last = JSON.stringify(countResources())
  for (let i = 0; i < 100; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    const counts = countResources()
    if (limit !== undefined ? Object.entries(counts).every(([kind, count]) => count <= (limit[kind] ?? 0)) : JSON.stringify(counts) === last) break
    last = JSON.stringify(counts)
  }
  return countResources()
}

/** Handles of the kinds a transport may hold (sockets, servers, timers), by kind. */
function countResources(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'TCPSocketWrap' || kind === 'TCPServerWrap' || kind === 'Timeout') counts[kind] = (counts[kind] ?? 0) + 1
  }
  return counts
}
