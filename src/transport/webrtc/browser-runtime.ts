// The browser's side of the WebRTC transport: nothing to add, the page's RTCPeerConnection is used.

import type { WebRtcRuntime } from './runtime.js'

export const runtime: WebRtcRuntime = {}
