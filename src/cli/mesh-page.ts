// Where the mesh page (examples/mesh) and the bundle it imports (dist/wasmesh.min.js) are, for
// the bootstrap server's staticFiles: in the package root, found by walking up from this
// module, which runs from dist/node/cli.js (built, installed) or from a bundle in .cache/
// (`npm start` through build/run-ts.mjs), each a different depth below the root.

import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { StaticFilesOption } from '../discovery/static-files.js'

/** The topics the page chats and says its neighbours on (examples/mesh/app.js); Node nodes that follow them carry the page's traffic. */
export const PAGE_CHAT_TOPIC = 'wasmesh/chat'
export const PAGE_PRESENCE_TOPIC = 'wasmesh/presence'

const PAGE = join('examples', 'mesh', 'index.html')
const BUNDLE = join('dist', 'wasmesh.min.js')
/** Folders walked up at most: the deepest place this module runs from is two below the root. */
const MAX_LEVELS = 4

export type MeshPageFiles = { readonly staticFiles: StaticFilesOption } | { readonly missing: string }

/** The page at '/' and the build at '/dist/' (the page imports '../../dist/wasmesh.min.js', which resolves there); or which file is missing. */
export function meshPageFiles(): MeshPageFiles {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let level = 0; level < MAX_LEVELS && !existsSync(join(dir, PAGE)); level++) dir = dirname(dir)
  for (const file of [PAGE, BUNDLE]) if (!existsSync(join(dir, file))) return { missing: file }
  return { staticFiles: { '/': join(dir, 'examples', 'mesh'), '/dist/': join(dir, 'dist') } }
}
