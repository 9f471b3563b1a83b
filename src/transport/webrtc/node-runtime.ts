// Node's side of the WebRTC transport: node-datachannel's W3C polyfill over libdatachannel.
// Never part of a browser bundle (see runtime.ts). The module name is held in a variable, so
// a bundler that reaches this file anyway (one bundling src/ for a browser without
// build/build.mjs's swap) leaves the import alone instead of failing on Node's built-ins that
// node-datachannel imports; in a browser the global RTCPeerConnection is found first.

import type { PeerConnectionConstructor } from './peer-connection.js'
import type { WebRtcRuntime } from './runtime.js'

const POLYFILL: string = 'node-datachannel/polyfill'

async function loadPeerConnection(): Promise<PeerConnectionConstructor> {
  const polyfill = (await import(POLYFILL)) as { RTCPeerConnection: unknown }
  return polyfill.RTCPeerConnection as PeerConnectionConstructor
}

export const runtime: WebRtcRuntime = { loadPeerConnection }
