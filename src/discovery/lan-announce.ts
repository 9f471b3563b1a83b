// What LAN discovery says over UDP multicast (lan-discovery.ts): one JSON object a datagram,
// UTF-8, at most MAX_LAN_PACKET_BYTES, so it fits one unfragmented datagram on any LAN.
//
//   { "wasmesh": 1, "type": "query" }                                  who is there?
//   { "wasmesh": 1, "type": "announce", "id": "<64 hex>", "addresses": ["ws://192.168.1.7:7000", ...] }
//
// Anyone on the LAN can send anything, so what arrives is checked and bounded here, and a
// node takes an announce only as a hint: the handshake proves the id (the dial expects it).

import { MAX_ADDRESS_LENGTH, MAX_ANNOUNCED_ADDRESSES } from './protocol.js'

export const LAN_PROTOCOL_VERSION = 1
export const MAX_LAN_PACKET_BYTES = 1_200

export type LanPacket =
  | { readonly type: 'query' }
  | { readonly type: 'announce'; readonly id: string; readonly addresses: readonly string[] }

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })
const PEER_ID_HEX = /^[0-9a-f]{64}$/

/** Encodes a packet; addresses past what fits in MAX_LAN_PACKET_BYTES (or past 8) are left out. */
export function encodeLanPacket(packet: LanPacket): Uint8Array {
  if (packet.type === 'query') return encoder.encode(JSON.stringify({ wasmesh: LAN_PROTOCOL_VERSION, type: 'query' }))
  const addresses = packet.addresses.filter((address) => address.length > 0 && address.length <= MAX_ADDRESS_LENGTH).slice(0, MAX_ANNOUNCED_ADDRESSES)
  for (let kept = addresses.length; ; kept--) {
    const bytes = encoder.encode(JSON.stringify({ wasmesh: LAN_PROTOCOL_VERSION, type: 'announce', id: packet.id, addresses: addresses.slice(0, kept) }))
    if (bytes.length <= MAX_LAN_PACKET_BYTES || kept === 0) return bytes
  }
}

/** A packet from a stranger, checked; undefined for anything else (wrong version, wrong shape, too large, not UTF-8 JSON). */
export function decodeLanPacket(bytes: Uint8Array): LanPacket | undefined {
  if (bytes.length === 0 || bytes.length > MAX_LAN_PACKET_BYTES) return undefined
  let value: unknown
  try {
    value = JSON.parse(decoder.decode(bytes))
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const packet = value as Record<string, unknown>
  if (packet.wasmesh !== LAN_PROTOCOL_VERSION) return undefined
  if (packet.type === 'query') return { type: 'query' }
  if (packet.type !== 'announce' || typeof packet.id !== 'string' || !PEER_ID_HEX.test(packet.id)) return undefined
  const { addresses } = packet
  if (!Array.isArray(addresses) || addresses.length === 0 || addresses.length > MAX_ANNOUNCED_ADDRESSES) return undefined
  if (!addresses.every((address) => typeof address === 'string' && address.length > 0 && address.length <= MAX_ADDRESS_LENGTH)) return undefined
  return { type: 'announce', id: packet.id, addresses: [...(addresses as string[])] }
}
