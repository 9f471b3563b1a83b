// The esbuild plugin of every browser build (build/build.mjs, and the browser tests' bundles):
// the WebSocket and WebRTC transports' Node sides (ws, node-datachannel) and discovery's file
// system (FileKnownPeers, the bootstrap server's static files) and UDP (LanDiscovery) are swapped for their browser sides, so neither package nor Node's
// built-ins reach a browser bundle, and the browser's defaults (the WebRTC budget of peer
// connections) are the ones in force.

import { dirname, join } from 'node:path'

const swapped = [
  ...['websocket', 'webrtc'].map((name) => join('src', 'transport', name, 'transport.ts')),
  join('src', 'discovery', 'file-known-peers.ts'),
  join('src', 'discovery', 'lan-discovery.ts'),
  join('src', 'discovery', 'static-files.ts'),
]

export const browserRuntime = {
  name: 'browser-runtime',
  setup(plugin) {
    plugin.onResolve({ filter: /^\.\/node-runtime\.js$/ }, (args) =>
      swapped.some((importer) => args.importer.endsWith(importer)) ? { path: join(dirname(args.importer), 'browser-runtime.ts') } : undefined)
  },
}
