// What the platform adds to the WebRTC transport: in Node, node-datachannel's W3C
// RTCPeerConnection (loaded on first use, so a process that never dials over WebRTC never
// loads the native module); in browsers nothing, as the page has its own RTCPeerConnection.
// The browser builds swap node-runtime.ts for browser-runtime.ts (build/build.mjs), so
// node-datachannel never reaches a browser bundle.

import type { PeerConnectionConstructor } from './peer-connection.js'

export interface WebRtcRuntime {
  /** The platform's RTCPeerConnection where there is no global one; absent in browsers. */
  readonly loadPeerConnection?: () => Promise<PeerConnectionConstructor>
  /** The default of maxPeerConnections where the platform caps peer connections (a browser tab); absent: no cap. */
  readonly defaultPeerConnectionBudget?: number
}
