// Node's side of the WebSocket transport, through the ws package: a server on our own HTTP
// server (so teardown can drop sockets still in their handshake), and ws's client for Node
// versions without a global WebSocket. Never part of a browser bundle (see runtime.ts).

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { WebSocket, WebSocketServer } from 'ws'
import { TransportError } from '../errors.js'
import type { WebSocketRuntime, WebSocketServerHandle, InboundSocketHandler } from './runtime.js'
import type { WebSocketLike } from './socket.js'

function refuseHttp(_request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(426, { connection: 'close', upgrade: 'websocket' }).end()
}

async function listen(host: string, port: number, maxPayload: number, onSocket: InboundSocketHandler): Promise<WebSocketServerHandle> {
  const http = createServer(refuseHttp)
  // No compression: it costs CPU per frame, and a compressed frame is a way to make us inflate a bomb.
  const wss = new WebSocketServer({ server: http, maxPayload, perMessageDeflate: false, clientTracking: false })
  wss.on('connection', (socket, request) => {
    const { remoteAddress = '', remotePort = 0 } = request.socket
    const host = remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress
    onSocket(socket as unknown as WebSocketLike, `ws://${host.includes(':') ? `[${host}]` : host}:${remotePort}`)
  })
  // Errors after listening belong to single sockets, which report them themselves.
  wss.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      http.off('listening', onListening)
      const code = error.code === 'EADDRINUSE' ? 'TRANSPORT_ADDRESS_IN_USE' : 'TRANSPORT_BAD_ADDRESS'
      reject(new TransportError(code, `cannot listen at ws://${host}:${port}: ${error.message}`, { cause: error }))
    }
    const onListening = () => {
      http.off('error', onError)
      resolve()
    }
    http.once('error', onError)
    http.once('listening', onListening)
    http.listen(port, host)
  })
  const bound = http.address()
  return {
    port: typeof bound === 'object' && bound !== null ? bound.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        wss.close()
        http.close(() => resolve())
        http.closeAllConnections()
      }),
  }
}

function open(url: string, maxPayload: number): WebSocketLike {
  return new WebSocket(url, { maxPayload, perMessageDeflate: false }) as unknown as WebSocketLike
}

export const runtime: WebSocketRuntime = { listen, open }
