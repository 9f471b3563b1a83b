// WebRTC addresses: 'webrtc://<id>', where <id> is the far side's id on the signaling that
// carries the offers and answers (signaling.ts). The id is the whole address: WebRTC finds
// the path itself (ICE), so there is no host or port to write down.

import { TransportError } from '../errors.js'

export const WEBRTC_SCHEME = 'webrtc://'

/** 1 to 128 of A-Z a-z 0-9 . _ ~ - : what fits in a URL unescaped, and a peer id in hex or base64url. */
const ID = /^[A-Za-z0-9._~-]{1,128}$/

export function isSignalingId(id: unknown): id is string {
  return typeof id === 'string' && ID.test(id)
}

/** The signaling id in 'webrtc://<id>'. Throws TransportError('TRANSPORT_BAD_ADDRESS'). */
export function parseWebRtcAddress(address: string): string {
  const id = typeof address === 'string' && address.startsWith(WEBRTC_SCHEME) ? address.slice(WEBRTC_SCHEME.length) : undefined
  if (!isSignalingId(id)) {
    const got = typeof address === 'string' ? JSON.stringify(address) : String(address)
    throw new TransportError('TRANSPORT_BAD_ADDRESS', `a WebRTC address must be 'webrtc://<id>' with an id of 1 to 128 of A-Z a-z 0-9 . _ ~ -, got ${got}`)
  }
  return id
}

export function formatWebRtcAddress(id: string): string {
  return WEBRTC_SCHEME + id
}
