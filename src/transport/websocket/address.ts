// WebSocket addresses: 'ws://host:port' (and 'wss://host:port' to dial), the port always
// written out, so an address compares equal to the one a listener reports.

import { TransportError } from '../errors.js'

export interface WebSocketAddress {
  readonly scheme: 'ws' | 'wss'
  /** A hostname, an IPv4 address, or an IPv6 address without its brackets. */
  readonly host: string
  readonly port: number
}

const ADDRESS = /^(wss?):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253}):(\d{1,5})\/?$/

/**
 * Parses 'ws://host:port' or 'wss://host:port' ('[::1]' for IPv6). Port 0 only when
 * `isListen` (the system picks one). Throws TransportError('TRANSPORT_BAD_ADDRESS').
 */
export function parseWebSocketAddress(address: string, isListen = false): WebSocketAddress {
  const match = typeof address === 'string' ? ADDRESS.exec(address) : null
  const port = match === null ? -1 : Number(match[3])
  if (match === null || port > 65_535 || (port === 0 && !isListen)) {
    const expected = isListen ? "'ws://host:port' or 'wss://host:port' (port 0 for any free one)" : "'ws://host:port' or 'wss://host:port' (port 1 to 65535)"
    throw new TransportError('TRANSPORT_BAD_ADDRESS', `a WebSocket address must be ${expected}, got ${typeof address === 'string' ? JSON.stringify(address) : String(address)}`)
  }
  const host = match[2].startsWith('[') ? match[2].slice(1, -1) : match[2]
  return { scheme: match[1] as 'ws' | 'wss', host, port }
}

export function formatWebSocketAddress({ scheme, host, port }: WebSocketAddress): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`
}
