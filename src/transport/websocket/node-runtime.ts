// Node's side of the WebSocket transport, through the ws package: its server (which answers
// plain HTTP requests with 426) and its client for Node versions without a global WebSocket.
// Never part of a browser bundle (see runtime.ts). It imports nothing but ws: a browser
// bundle that does reach it resolves ws to ws's own stub, never to Node's built-ins (node:https,
// for wss://, is imported by a name held in a variable, which bundlers leave alone).

import type { Server } from 'node:http'
import { WebSocket, WebSocketServer } from 'ws'
import { TransportError } from '../errors.js'
import type { WebSocketTlsOptions } from './options.js'
import type { WebSocketRuntime, WebSocketServerHandle, InboundSocketHandler } from './runtime.js'
import type { WebSocketLike } from './socket.js'

/** Held in a variable so that no bundler tries to resolve it. */
const HTTPS: string = 'node:https'

const pem = (value: string | Uint8Array): string | Buffer => (typeof value === 'string' ? value : Buffer.from(value))

async function listen(host: string, port: number, maxPayload: number, onSocket: InboundSocketHandler, tls?: WebSocketTlsOptions): Promise<WebSocketServerHandle> {
  const scheme = tls === undefined ? 'ws' : 'wss'
  // No compression: it costs CPU per frame, and a compressed frame is a way to make us inflate a bomb.
  const common = { maxPayload, perMessageDeflate: false, clientTracking: false }
  // With TLS the HTTPS server is ours to make (ws makes a plain one otherwise) and to listen with.
  let https: Server | undefined
  try {
    if (tls !== undefined) {
      const { createServer } = (await import(HTTPS)) as typeof import('node:https')
      https = createServer({ key: pem(tls.key), cert: pem(tls.cert) }) as unknown as Server
    }
  } catch (error) {
    throw new TransportError('TRANSPORT_INVALID_OPTION', `tls: the key or certificate cannot be used: ${(error as Error).message}`, { cause: error })
  }
  const wss = https === undefined ? new WebSocketServer({ host, port, ...common }) : new WebSocketServer({ server: https, ...common })
  const emitter = https ?? wss
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      emitter.off('listening', onListening)
      wss.close()
      https?.close()
      const code = error.code === 'EADDRINUSE' ? 'TRANSPORT_ADDRESS_IN_USE' : 'TRANSPORT_BAD_ADDRESS'
      reject(new TransportError(code, `cannot listen at ${scheme}://${host}:${port}: ${error.message}`, { cause: error }))
    }
    const onListening = () => {
      emitter.off('error', onError)
      resolve()
    }
    emitter.once('error', onError)
    emitter.once('listening', onListening)
    https?.listen(port, host)
  })
  // Once listening, a server error could only come from its own socket, which is gone with it;
  // an 'error' without a listener would throw, so it is kept for close() to report.
  let failure: Error | undefined
  wss.on('error', (error) => (failure ??= error))
  wss.on('connection', (socket, request) => {
    const { remoteAddress = '', remotePort = 0 } = request.socket
    const address = remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress
    onSocket(socket as unknown as WebSocketLike, `${scheme}://${address.includes(':') ? `[${address}]` : address}:${remotePort}`)
  })
  if (https !== undefined) https.on('error', (error) => (failure ??= error))
  const bound = (https ?? wss).address()
  // ws keeps the HTTP server it made for us in `_server`. Closing waits for its connections,
  // and one that never finishes its upgrade request (silent, or cut short) is not idle, so
  // Node would keep it until headersTimeout (60 s): close() drops them all instead.
  const http = https ?? (wss as unknown as { _server?: Server })._server
  return {
    port: typeof bound === 'object' && bound !== null ? bound.port : port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // ws closes a server it made itself; ours (HTTPS) is closed here.
        wss.close(() => {
          if (https === undefined) return failure === undefined ? resolve() : reject(failure)
          https.close(() => (failure === undefined ? resolve() : reject(failure)))
        })
        http?.closeAllConnections()
      }),
  }
}

function open(url: string, maxPayload: number): WebSocketLike {
  return new WebSocket(url, { maxPayload, perMessageDeflate: false }) as unknown as WebSocketLike
}

export const runtime: WebSocketRuntime = { listen, open }
