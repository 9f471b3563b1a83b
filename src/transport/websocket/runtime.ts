// What the platform adds to the WebSocket transport: Node listens (and, on Node 20, dials)
// through the ws package; browsers can only dial, with their own WebSocket. The browser
// builds swap node-runtime.ts for browser-runtime.ts (build/build.mjs), so ws and Node's
// built-ins never reach a browser bundle.

import type { WebSocketTlsOptions } from './options.js'
import type { WebSocketLike } from './socket.js'

export interface WebSocketServerHandle {
  /** The port actually bound (the one the system chose when 0 was asked). */
  readonly port: number
  /** Stops accepting, drops connections still in their handshake, and resolves once the server is closed. */
  close(): Promise<void>
}

export type InboundSocketHandler = (socket: WebSocketLike, remoteAddress: string) => void

/** What a plain HTTP request to a listening transport offers: node:http's IncomingMessage, which has more. */
export interface HttpRequestLike {
  readonly method?: string
  readonly url?: string
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
}

/** What its response offers: node:http's ServerResponse, which has more. */
export interface HttpResponseLike {
  writeHead(status: number, headers?: Record<string, string | number>): unknown
  end(body?: string | Uint8Array): unknown
}

/** Answers a plain HTTP request (not a WebSocket upgrade) to a listening transport, in Node. */
export type HttpRequestHandler = (request: HttpRequestLike, response: HttpResponseLike) => void

export interface WebSocketRuntime {
  /** Listens at host:port, refusing frames over maxPayload bytes before buffering them; absent where nothing can listen. */
  readonly listen?: (host: string, port: number, maxPayload: number, onSocket: InboundSocketHandler, tls?: WebSocketTlsOptions, onHttpRequest?: HttpRequestHandler) => Promise<WebSocketServerHandle>
  /** Opens a client socket with the same receive limit; used where there is no global WebSocket. */
  readonly open?: (url: string, maxPayload: number) => WebSocketLike
}
