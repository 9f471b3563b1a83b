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

export interface WebSocketRuntime {
  /** Listens at host:port, refusing frames over maxPayload bytes before buffering them; absent where nothing can listen. */
  readonly listen?: (host: string, port: number, maxPayload: number, onSocket: InboundSocketHandler, tls?: WebSocketTlsOptions) => Promise<WebSocketServerHandle>
  /** Opens a client socket with the same receive limit; used where there is no global WebSocket. */
  readonly open?: (url: string, maxPayload: number) => WebSocketLike
}
