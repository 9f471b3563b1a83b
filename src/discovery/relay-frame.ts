// Relay frames: how two clients of one bootstrap server talk through it when no direct path
// works (no WebRTC, neither side can listen). Binary, next to the JSON frames on the same
// WebSocket; JSON frames start with '{', relay frames with a 0 byte:
//
//   u8   0                    the relay marker
//   u8   kind | OPENER_FLAG   1 open, 2 accept, 3 data, 4 credit, 5 close, 6 gone (server to
//                             client only: that client left, every stream with it is over;
//                             stream 0, no body); the flag is set when
//                             the frame's sender opened the stream (so both sides may number
//                             their own streams from 1 and never mix)
//   u8   n, then n bytes      the other client's signaling id: where to (client -> server),
//                             where from (server -> client)
//   u32  stream               chosen by the opener
//   ...  body                 open, accept: u32 window, the bytes the sender may be sent before
//                             it grants more; data: the bytes; credit: u32 bytes granted;
//                             close: the reason, UTF-8, at most MAX_RELAY_REASON_BYTES
//
// The server reads only the header: it rewrites the id (to -> from) and forwards the rest.

import { isSignalingId } from '../transport/webrtc/address.js'

export const RELAY_MARKER = 0
export const OPENER_FLAG = 0x80
export const RELAY_KINDS = { open: 1, accept: 2, data: 3, credit: 4, close: 5, gone: 6 } as const
export type RelayKind = keyof typeof RELAY_KINDS
export const MAX_RELAY_REASON_BYTES = 256
/** Header bytes before the body, at most (a 128-character id). */
export const MAX_RELAY_HEADER_BYTES = 3 + 128 + 4

const KIND_NAMES: readonly (RelayKind | undefined)[] = [undefined, 'open', 'accept', 'data', 'credit', 'close', 'gone']
const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export interface RelayFrame {
  readonly kind: RelayKind
  /** The frame's sender opened the stream. */
  readonly isFromOpener: boolean
  /** The other client: `to` in what a client sends, `from` in what the server forwards. */
  readonly peer: string
  readonly stream: number
  /** open, accept: the window; credit: the bytes granted; 0 otherwise. */
  readonly amount: number
  /** data: the bytes (a view into the frame); close: the reason's bytes. */
  readonly body: Uint8Array
}

/** Encodes a relay frame. `body` goes only with data and close, `amount` only with open, accept and credit. */
export function encodeRelayFrame(kind: RelayKind, isFromOpener: boolean, peer: string, stream: number, amount = 0, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const id = encoder.encode(peer)
  const hasAmount = kind === 'open' || kind === 'accept' || kind === 'credit'
  const bytes = new Uint8Array(3 + id.length + 4 + (hasAmount ? 4 : body.length))
  const view = new DataView(bytes.buffer)
  bytes[0] = RELAY_MARKER
  bytes[1] = RELAY_KINDS[kind] | (isFromOpener ? OPENER_FLAG : 0)
  bytes[2] = id.length
  bytes.set(id, 3)
  view.setUint32(3 + id.length, stream >>> 0)
  if (hasAmount) view.setUint32(7 + id.length, amount >>> 0)
  else bytes.set(body, 7 + id.length)
  return bytes
}

export function encodeRelayClose(isFromOpener: boolean, peer: string, stream: number, reason: string): Uint8Array {
  let body = encoder.encode(reason)
  if (body.length > MAX_RELAY_REASON_BYTES) body = encoder.encode(reason.slice(0, MAX_RELAY_REASON_BYTES / 4))
  return encodeRelayFrame('close', isFromOpener, peer, stream, 0, body)
}

/** Reads a relay frame from untrusted bytes; undefined for anything that is not one. */
export function decodeRelayFrame(bytes: Uint8Array): RelayFrame | undefined {
  if (bytes.length < 8 || bytes[0] !== RELAY_MARKER) return undefined
  const kind = KIND_NAMES[bytes[1] & ~OPENER_FLAG]
  const idLength = bytes[2]
  if (kind === undefined || idLength === 0 || bytes.length < 7 + idLength) return undefined
  let peer: string
  try {
    peer = decoder.decode(bytes.subarray(3, 3 + idLength))
  } catch {
    return undefined
  }
  if (!isSignalingId(peer)) return undefined
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const stream = view.getUint32(3 + idLength)
  const rest = bytes.subarray(7 + idLength)
  const hasAmount = kind === 'open' || kind === 'accept' || kind === 'credit'
  if (hasAmount && rest.length !== 4) return undefined
  if (kind === 'close' && rest.length > MAX_RELAY_REASON_BYTES) return undefined
  if (kind === 'gone' && rest.length > 0) return undefined
  return {
    kind,
    isFromOpener: (bytes[1] & OPENER_FLAG) !== 0,
    peer,
    stream,
    amount: hasAmount ? view.getUint32(7 + idLength) : 0,
    body: hasAmount ? new Uint8Array(0) : rest,
  }
}

/** The reason a close frame carries, as text ('' when it is not UTF-8). */
export function relayCloseReason(frame: RelayFrame): string {
  try {
    return decoder.decode(frame.body)
  } catch {
    return ''
  }
}

/** The same frame with its id replaced: the server forwards `to`'s frame as coming `from`. */
export function readdressRelayFrame(bytes: Uint8Array, from: string): Uint8Array {
  const id = encoder.encode(from)
  const oldIdLength = bytes[2]
  const out = new Uint8Array(bytes.length - oldIdLength + id.length)
  out[0] = RELAY_MARKER
  out[1] = bytes[1]
  out[2] = id.length
  out.set(id, 3)
  out.set(bytes.subarray(3 + oldIdLength), 3 + id.length)
  return out
}
