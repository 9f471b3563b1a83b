// The browser's side of the WebRTC transport: the page's RTCPeerConnection is used, within a
// budget of them (budget.ts).

import type { WebRtcRuntime } from './runtime.js'

/** Chrome allows a tab about 500 RTCPeerConnections over its lifetime; this leaves the page the rest. */
export const runtime: WebRtcRuntime = { defaultPeerConnectionBudget: 400 }
