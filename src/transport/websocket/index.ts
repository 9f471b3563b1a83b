// The WebSocket transport: dials anywhere, listens in Node.

export { WebSocketTransport } from './transport.js'
export type { WebSocketTransportStats } from './transport.js'
export type { WebSocketTlsOptions, WebSocketTransportOptions } from './options.js'
export type { HttpRequestHandler, HttpRequestLike, HttpResponseLike } from './runtime.js'
export type { WebSocketTraffic } from './connection.js'
export type { SocketListener, WebSocketConstructor, WebSocketLike } from './socket.js'
export { REFUSED_BACKLOG, REFUSED_MALFORMED, REFUSED_TEXT, REFUSED_TOO_LARGE } from './connection.js'
