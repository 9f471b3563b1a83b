// The browser's side of discovery's platform needs: no file system (FileKnownPeers refuses to
// be made; WebStorageKnownPeers keeps the list in localStorage instead).

import type { FileSystemRuntime } from './runtime.js'

export const runtime: FileSystemRuntime | undefined = undefined
