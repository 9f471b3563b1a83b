// The browser's side of the WebSocket transport: nothing to add. Dials use the global
// WebSocket; listen() is refused, as a page cannot accept connections.

import type { WebSocketRuntime } from './runtime.js'

export const runtime: WebSocketRuntime = {}
