// What a bootstrap server and its clients say over the WebSocket: JSON objects, one per binary
// frame, UTF-8. Everything a client sends is checked and bounded here before the server acts
// on it; a client checks what the server forwards with the WebRTC transport's parseSignal.
//
//   client -> server   { type: 'register', id }                 first, once: the signaling id
//                      { type: 'signal', to, message }          a WebRTC signal for `to`
//                      { type: 'announce', addresses, peerId? } where this client can be dialled, and its
//                                                               mesh peer id in hex if it has one (GET /peers)
//   server -> client   { type: 'registered', id }
//                      { type: 'signal', from, message }
//                      { type: 'error', code, message }         a refusal; `code` as below

import { isSignalingId } from '../transport/webrtc/address.js'

/** The longest frame either side sends: a signal carries an SDP of at most 16,384 characters. */
export const MAX_FRAME_BYTES = 65_536
export const MAX_ANNOUNCED_ADDRESSES = 8
export const MAX_ADDRESS_LENGTH = 256
/** A mesh peer id as announced: SHA-256 of the public key, in lowercase hex. */
export const PEER_ID_HEX = /^[0-9a-f]{64}$/

export type ErrorFrameCode = 'malformed' | 'not-registered' | 'already-registered' | 'id-taken' | 'rate-limited' | 'server-full' | 'too-slow'

export type ClientFrame =
  | { readonly type: 'register'; readonly id: string }
  | { readonly type: 'signal'; readonly to: string; readonly message: object }
  | { readonly type: 'announce'; readonly addresses: readonly string[]; readonly peerId?: string }

export type ServerFrame =
  | { readonly type: 'registered'; readonly id: string }
  | { readonly type: 'signal'; readonly from: string; readonly message: unknown }
  | { readonly type: 'error'; readonly code: ErrorFrameCode; readonly message: string }

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export function encodeFrame(frame: ClientFrame | ServerFrame): Uint8Array {
  return encoder.encode(JSON.stringify(frame))
}

/** Parses JSON from bytes; undefined for anything that is not UTF-8 JSON. */
function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes))
  } catch {
    return undefined
  }
}

/** A client's frame, checked; 'malformed' for anything else (with why). */
export function parseClientFrame(bytes: Uint8Array): ClientFrame | { readonly malformed: string } {
  const value = parseJson(bytes)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { malformed: 'a frame must be a JSON object' }
  const frame = value as Record<string, unknown>
  switch (frame.type) {
    case 'register':
      return isSignalingId(frame.id) ? { type: 'register', id: frame.id } : { malformed: 'register needs an id of 1 to 128 of A-Z a-z 0-9 . _ ~ -' }
    case 'signal':
      if (!isSignalingId(frame.to)) return { malformed: 'signal needs a `to` id' }
      if (typeof frame.message !== 'object' || frame.message === null || Array.isArray(frame.message)) return { malformed: 'signal needs a message object' }
      return { type: 'signal', to: frame.to, message: frame.message }
    case 'announce': {
      const { addresses } = frame
      if (!Array.isArray(addresses) || addresses.length > MAX_ANNOUNCED_ADDRESSES) return { malformed: `announce needs up to ${MAX_ANNOUNCED_ADDRESSES} addresses` }
      if (!addresses.every((address) => typeof address === 'string' && address.length > 0 && address.length <= MAX_ADDRESS_LENGTH)) {
        return { malformed: `each announced address must be a string of 1 to ${MAX_ADDRESS_LENGTH} characters` }
      }
      const { peerId } = frame
      if (peerId !== undefined && !(typeof peerId === 'string' && PEER_ID_HEX.test(peerId))) return { malformed: 'an announced peerId must be 64 lowercase hex digits' }
      return { type: 'announce', addresses: [...(addresses as string[])], ...(peerId === undefined ? {} : { peerId }) }
    }
    default:
      return { malformed: "a frame's type must be register, signal or announce" }
  }
}

/** A server's frame, checked loosely (the client trusts the server it chose, but not blindly); undefined when not one. */
export function parseServerFrame(bytes: Uint8Array): ServerFrame | undefined {
  const value = parseJson(bytes)
  if (typeof value !== 'object' || value === null) return undefined
  const frame = value as Record<string, unknown>
  if (frame.type === 'registered' && isSignalingId(frame.id)) return { type: 'registered', id: frame.id }
  if (frame.type === 'signal' && isSignalingId(frame.from)) return { type: 'signal', from: frame.from, message: frame.message }
  if (frame.type === 'error' && typeof frame.code === 'string' && typeof frame.message === 'string') {
    return { type: 'error', code: frame.code as ErrorFrameCode, message: frame.message.slice(0, 500) }
  }
  return undefined
}
