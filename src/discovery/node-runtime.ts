// What Node adds to discovery: a file system for FileKnownPeers. The browser builds swap this
// file for browser-runtime.ts (build/browser-runtime-plugin.mjs), so node:fs never reaches a
// browser bundle.

import { open, rename, rm, writeFile } from 'node:fs/promises'
import type { FileSystemRuntime } from './runtime.js'

/** Numbers the temporary files, so two saves under way never write the same one. */
let writes = 0

export const runtime: FileSystemRuntime = {
  async readText(path, maxBytes) {
    let file
    try {
      file = await open(path, 'r')
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return undefined
      throw error
    }
    try {
      const { size } = await file.stat()
      if (size > maxBytes) return { tooLarge: size }
      return (await file.readFile({ encoding: 'utf8' }))
    } finally {
      await file.close()
    }
  },
  async writeTextAtomically(path, text) {
    // Written beside it and renamed over it: a crash mid-write leaves the old list, never half a new one.
    const temporary = `${path}.${process.pid}.${(++writes).toString(36)}.tmp`
    try {
      await writeFile(temporary, text, { encoding: 'utf8', mode: 0o600 })
      await rename(temporary, path)
    } catch (error) {
      await rm(temporary, { force: true })
      throw error
    }
  },
}
