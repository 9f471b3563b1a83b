// Node's side of the WebRTC transport: node-datachannel's W3C polyfill over libdatachannel.
// Never part of a browser bundle (see runtime.ts).

import type { PeerConnectionConstructor } from './peer-connection.js'
import type { WebRtcRuntime } from './runtime.js'

async function loadPeerConnection(): Promise<PeerConnectionConstructor> {
  const polyfill = await import('node-datachannel/polyfill')
  return polyfill.RTCPeerConnection as unknown as PeerConnectionConstructor
}

export const runtime: WebRtcRuntime = { loadPeerConnection }
