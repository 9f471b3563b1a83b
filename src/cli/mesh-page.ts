// Where the mesh page (examples/mesh) and the bundle it imports (dist/wasmesh.min.js) are, for
// the bootstrap server's staticFiles. Two folders up from this module is the package root both
// from src/cli/mesh-page.ts (run from a checkout) and from dist/node/cli.js (built, installed).

import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { StaticFilesOption } from '../discovery/static-files.js'

/** The topics the page chats and says its neighbours on; Node nodes that follow them carry the page's traffic. */
export const PAGE_CHAT_TOPIC = 'wasmesh/chat'
export const PAGE_PRESENCE_TOPIC = 'wasmesh/presence'

export type MeshPageFiles = { readonly staticFiles: StaticFilesOption } | { readonly missing: string }

/** The page at '/' and the build at '/dist/' (the page imports '../../dist/wasmesh.min.js', which resolves there); or which file is missing. */
export function meshPageFiles(): MeshPageFiles {
  const root = fileURLToPath(new URL('../../', import.meta.url))
  const page = `${root}examples/mesh`
  const dist = `${root}dist`
  for (const file of [`${page}/index.html`, `${dist}/wasmesh.min.js`]) if (!existsSync(file)) return { missing: file }
  return { staticFiles: { '/': page, '/dist/': dist } }
}
