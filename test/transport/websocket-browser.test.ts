// The WebSocket transport as browser builds make it (build/build.mjs swaps node-runtime.ts for
// browser-runtime.ts): it dials with a W3C WebSocket class and refuses to listen.

import { afterEach, describe, expect, it, vi } from 'vitest'
import { WebSocket as WsWebSocket } from 'ws'
import { TransportError, type Connection } from '../../src/transport/index.js'
import { WebSocketTransport } from '../../src/transport/websocket/index.js'

vi.mock('../../src/transport/websocket/node-runtime.js', () => import('../../src/transport/websocket/browser-runtime.js'))

/** Listens with ws directly, standing in for a Node peer the page dials. */
async function nodePeer() {
  const { WebSocketServer } = await import('ws')
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  const sockets: WsWebSocket[] = []
  server.on('connection', (socket) => sockets.push(socket))
  return {
    address: `ws://127.0.0.1:${(server.address() as { port: number }).port}`,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.terminate()
        server.close(() => resolve())
      }),
  }
}

describe('WebSocketTransport with the browser runtime', () => {
  const cleanups: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  it('listen() rejects with TRANSPORT_INVALID_STATE: a page cannot accept connections', async () => {
    const transport = new WebSocketTransport()
    cleanups.push(() => transport.close())
    const error = await transport.listen(() => {}).catch((caught: unknown) => caught)
    expect((error as TransportError).code).toBe('TRANSPORT_INVALID_STATE')
  })

  it('with no WebSocket class anywhere, a dial rejects with TRANSPORT_INVALID_STATE', async () => {
    vi.stubGlobal('WebSocket', undefined) // as on Node 20; Node 22 has one
    cleanups.push(async () => void vi.unstubAllGlobals())
    const transport = new WebSocketTransport()
    cleanups.push(() => transport.close())
    const error = await transport.dial('ws://127.0.0.1:1').catch((caught: unknown) => caught)
    expect((error as TransportError).code).toBe('TRANSPORT_INVALID_STATE')
  })

  it('dials with the WebSocket class it is given, and a text frame from the far side closes the connection', async () => {
    const peer = await nodePeer()
    cleanups.push(peer.close)
    const transport = new WebSocketTransport({ WebSocket: WsWebSocket as never })
    cleanups.push(() => transport.close())
    const connection: Connection = await transport.dial(peer.address)
    while (peer.sockets.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    const frames: number[][] = []
    connection.onMessage((frame) => frames.push([...frame]))
    const closed = new Promise((resolve) => connection.onClose(resolve))
    peer.sockets[0].send(Uint8Array.of(1, 2))
    peer.sockets[0].send('not binary')
    expect(await closed).toEqual({ initiator: 'local', reason: 'refused a text frame' })
    expect(frames).toEqual([[1, 2]])
    expect(transport.stats().refusedText).toBe(1)
  })

  it('a WebSocket class that throws at construction rejects the dial with TRANSPORT_BAD_ADDRESS, leaving no timer armed', async () => {
    class Refusing {
      constructor(url: string) {
        throw new SyntaxError(`cannot open ${url}`)
      }
    }
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length
    const before = timers() // vitest's own timeout for this test among them
    const transport = new WebSocketTransport({ WebSocket: Refusing as never })
    const error = await transport.dial('ws://127.0.0.1:1').catch((caught: unknown) => caught)
    expect((error as TransportError).code).toBe('TRANSPORT_BAD_ADDRESS')
    expect((error as TransportError).cause).toBeInstanceOf(SyntaxError)
    expect(timers()).toBe(before)
    await transport.close()
  })
})
