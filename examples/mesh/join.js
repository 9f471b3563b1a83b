// Joining the mesh from a page: a signaling id on the bootstrap server the page came from
// (or ?server=ws://host:port), WebRTC over the page's own RTCPeerConnection, and the server's
// directory (BootstrapServerDiscovery): the page is listed there through its signaling, and
// asks the server's GET /peers whenever it has fewer peers than it wants (none for the first).
//
// The import is relative on purpose: served by `wasmesh demo --serve` ('/' is this folder,
// '/dist/' the build) '../../dist/' resolves to '/dist/'; served from a checkout's root by any
// static server it resolves to the checkout's dist/ as well.

import { BootstrapServerDiscovery, createMeshNode, WebRtcTransport, WebSocketSignaling } from '../../dist/wasmesh.min.js'

/** The bootstrap server: ?server=… when given, else the one that served the page. */
export function serverUrl(location) {
  const asked = new URLSearchParams(location.search).get('server')
  if (asked !== null && asked !== '') return asked
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`
}

function shortRandomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(4))
  return `page-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`
}

/** Connects and starts a node; resolves with { id, node, transport }. What it made is closed again when it fails. */
export async function joinMesh(url, signal) {
  const id = shortRandomId()
  const signaling = await WebSocketSignaling.connect(url, { id, signal })
  const transport = new WebRtcTransport({ signaling })
  let node
  try {
    node = await createMeshNode({ transport, discovery: [new BootstrapServerDiscovery({ servers: [url], signaling, maxPeers: 8 })] })
    await node.start({ signal })
    return { id, node, transport }
  } catch (error) {
    await node?.stop()
    await transport.close()
    throw error
  }
}
