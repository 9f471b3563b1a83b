// The part of the W3C WebSocket API this transport uses. The browser's WebSocket, Node 22's
// global one and the ws package's class all have it, so one connection class serves them all.

export interface WebSocketLike {
  binaryType: string
  readonly bufferedAmount: number
  readonly readyState: number
  send(data: Uint8Array): void
  close(code?: number, reason?: string): void
  /** ws only: drops the TCP connection at once, without the closing handshake. */
  terminate?(): void
  /** ws only: stops reading from the TCP socket (its window then holds the sender back). */
  pause?(): void
  /** ws only: reads again after pause(). */
  resume?(): void
  addEventListener(type: string, listener: SocketListener): void
  removeEventListener(type: string, listener: SocketListener): void
}

/**
 * Typed loosely on purpose: the DOM's WebSocket, undici's and ws's each type their events
 * differently, and all three must fit; connection.ts and dial.ts read the events through
 * SocketMessageEvent, SocketCloseEvent and SocketErrorEvent.
 */
export type SocketListener = (event: any) => void

/** A WebSocket class in the W3C shape, such as globalThis.WebSocket; for the `WebSocket` option. */
export type WebSocketConstructor = new (url: string) => WebSocketLike

export interface SocketMessageEvent {
  readonly data: unknown
}

export interface SocketCloseEvent {
  readonly code: number
  readonly reason: string
  readonly wasClean?: boolean
}

export interface SocketErrorEvent {
  /** ws sets the Error, whose `code` tells a frame over maxPayload ('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'). */
  readonly error?: unknown
}

export const OPEN = 1

/** Close codes (RFC 6455, section 7.4.1). */
export const CLOSE_NORMAL = 1000
/** Reported, never sent: the connection dropped without a close frame. */
export const CLOSE_ABNORMAL = 1006
// The W3C close() takes only 1000 and 3000-4999, so refusals use private codes that mirror
// 1003 (unsupported data) and 1009 (message too big).
export const CLOSE_REFUSED_DATA = 4003
export const CLOSE_REFUSED_SIZE = 4009

/** A close reason is at most 123 bytes of UTF-8; longer ones are cut at a character boundary. */
export function closeReason(reason: string): string {
  const encoded = new TextEncoder().encode(reason)
  if (encoded.length <= 123) return reason
  let end = 123
  while (end > 0 && (encoded[end] & 0xc0) === 0x80) end--
  return new TextDecoder().decode(encoded.subarray(0, end))
}
