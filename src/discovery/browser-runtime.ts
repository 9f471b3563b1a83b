// The browser's side of discovery's platform needs: no file system (FileKnownPeers refuses to
// be made; WebStorageKnownPeers keeps the list in localStorage instead) and no UDP
// (LanDiscovery refuses to be made).

import type { FileSystemRuntime, UdpRuntime } from './runtime.js'

export const runtime: FileSystemRuntime | undefined = undefined
export const udp: UdpRuntime | undefined = undefined
