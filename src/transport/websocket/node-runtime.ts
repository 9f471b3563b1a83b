// Node's side of the WebSocket transport, through the ws package: its server (which answers
// plain HTTP requests with 426, or hands them to onHttpRequest) and its client for Node versions without a global WebSocket.
// Never part of a browser bundle (see runtime.ts). It imports nothing but ws: a browser
// bundle that does reach it resolves ws to ws's own stub, never to Node's built-ins (node:http
// and node:https are imported by names held in variables, which bundlers leave alone).

import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { WebSocket, WebSocketServer } from 'ws'
import { TransportError } from '../errors.js'
import type { WebSocketTlsOptions } from './options.js'
import type { HttpRequestHandler, InboundSocketHandler, WebSocketRuntime, WebSocketServerHandle } from './runtime.js'
import type { WebSocketLike } from './socket.js'

/** Held in variables so that no bundler tries to resolve them. */
const HTTP: string = 'node:http'
const HTTPS: string = 'node:https'

const pem = (value: string | Uint8Array): string | Buffer => (typeof value === 'string' ? value : Buffer.from(value))

/** The HTTP(S) server the WebSocket server upgrades from: ours, so that plain requests can be answered (onHttpRequest) and every socket dropped on close. */
async function httpServer(tls: WebSocketTlsOptions | undefined): Promise<Server> {
  if (tls === undefined) return ((await import(HTTP)) as typeof import('node:http')).createServer()
  try {
    const { createServer } = (await import(HTTPS)) as typeof import('node:https')
    return createServer({ key: pem(tls.key), cert: pem(tls.cert) }) as unknown as Server
  } catch (error) {
    throw new TransportError('TRANSPORT_INVALID_OPTION', `tls: the key or certificate cannot be used: ${(error as Error).message}`, { cause: error })
  }
}

async function listen(host: string, port: number, maxPayload: number, onSocket: InboundSocketHandler, tls?: WebSocketTlsOptions, onHttpRequest?: HttpRequestHandler): Promise<WebSocketServerHandle> {
  const scheme = tls === undefined ? 'ws' : 'wss'
  const server = await httpServer(tls)
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (onHttpRequest !== undefined) return onHttpRequest(request, response)
    response.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end('Upgrade Required')
  })
  // No compression: it costs CPU per frame, and a compressed frame is a way to make us inflate a bomb.
  const wss = new WebSocketServer({ server, maxPayload, perMessageDeflate: false, clientTracking: false })
  // ws passes the HTTP server's errors on to its own 'error' event, which throws without a
  // listener: a failure to listen is reported below; one after, from the server's own socket,
  // is kept for close() to report.
  let failure: Error | undefined
  let isListening = false
  wss.on('error', (error) => {
    if (isListening) failure ??= error
  })
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening)
      wss.close()
      server.close()
      const code = error.code === 'EADDRINUSE' ? 'TRANSPORT_ADDRESS_IN_USE' : 'TRANSPORT_BAD_ADDRESS'
      reject(new TransportError(code, `cannot listen at ${scheme}://${host}:${port}: ${error.message}`, { cause: error }))
    }
    const onListening = () => {
      server.off('error', onError)
      isListening = true
      resolve()
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, host)
  })
  server.on('error', (error) => (failure ??= error))
  wss.on('connection', (socket, request) => {
    const { remoteAddress = '', remotePort = 0 } = request.socket
    const address = remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress
    onSocket(socket as unknown as WebSocketLike, `${scheme}://${address.includes(':') ? `[${address}]` : address}:${remotePort}`)
  })
  const bound = server.address()
  return {
    port: typeof bound === 'object' && bound !== null ? bound.port : port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        wss.close(() => server.close(() => (failure === undefined ? resolve() : reject(failure))))
        // Closing waits for the server's connections, and one that never finishes its upgrade
        // request (silent, or cut short) is not idle, so Node would keep it until headersTimeout
        // (60 s): close() drops them all instead.
        server.closeAllConnections()
      }),
  }
}

function open(url: string, maxPayload: number): WebSocketLike {
  return new WebSocket(url, { maxPayload, perMessageDeflate: false }) as unknown as WebSocketLike
}

export const runtime: WebSocketRuntime = { listen, open }
