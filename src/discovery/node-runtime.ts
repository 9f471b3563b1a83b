// What Node adds to discovery: a file system for FileKnownPeers, and UDP multicast for
// LanDiscovery. The browser builds swap this file for browser-runtime.ts
// (build/browser-runtime-plugin.mjs), so node:fs and node:dgram never reach a browser bundle.

import { createSocket } from 'node:dgram'
import { open, rename, rm, writeFile } from 'node:fs/promises'
import type { FileSystemRuntime, UdpRuntime } from './runtime.js'

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

export const udp: UdpRuntime = {
  async openMulticast(options, onMessage) {
    // reuseAddr: every node on this host listens on the same port, as mDNS responders do.
    const socket = createSocket({ type: 'udp4', reuseAddr: true })
    socket.on('message', (message, from) => onMessage(new Uint8Array(message.buffer, message.byteOffset, message.byteLength), from.address))
    // A send to a group with no route (no interface up) is an 'error' event: nothing to do but drop it.
    socket.on('error', () => {})
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(options.port, () => {
        socket.off('error', reject)
        resolve()
      })
    })
    try {
      socket.addMembership(options.group, options.interfaceAddress)
      if (options.interfaceAddress !== undefined) socket.setMulticastInterface(options.interfaceAddress)
      socket.setMulticastTTL(options.ttl)
      socket.setMulticastLoopback(true)
    } catch (error) {
      socket.close()
      throw error
    }
    let isClosed = false
    return {
      send(bytes) {
        if (!isClosed) socket.send(bytes, options.port, options.group)
      },
      close() {
        if (isClosed) return Promise.resolve()
        isClosed = true
        return new Promise<void>((resolve) => socket.close(() => resolve()))
      },
    }
  },
}
