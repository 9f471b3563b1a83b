// What Node adds to discovery: a file system for FileKnownPeers and the bootstrap server's
// static files, and UDP multicast for LanDiscovery. The browser builds swap this file for
// browser-runtime.ts (build/browser-runtime-plugin.mjs), so node:fs and node:dgram never
// reach a browser bundle.

import { createSocket } from 'node:dgram'
import { constants } from 'node:fs'
import { open, realpath, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join, sep } from 'node:path'
import type { BoundedRead, FileSystemRuntime, UdpRuntime } from './runtime.js'

/** Errors that mean "no such file here" rather than a failure worth reporting. */
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'ELOOP', 'ENAMETOOLONG'])
const isAbsent = (error: unknown) => ABSENT.has(String((error as { code?: unknown }).code))

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
  async readFileWithin(root, segments, maxBytes) {
    let path: string
    let inside: string
    try {
      // Resolved through every link, then compared: a link under root pointing elsewhere is refused.
      inside = (await realpath(root)) + sep
      path = await realpath(join(root, ...segments))
    } catch (error) {
      if (isAbsent(error)) return undefined
      throw error
    }
    if (!path.startsWith(inside)) return undefined
    return readBounded(path, maxBytes)
  },
  async isDirectory(path) {
    try {
      return (await stat(path)).isDirectory()
    } catch {
      return false
    }
  },
}

/** Reads at most maxBytes of a regular file, sized by fstat of the open handle (a file that grows meanwhile is cut at that size). */
async function readBounded(path: string, maxBytes: number): Promise<BoundedRead | undefined> {
  let file
  try {
    // Non-blocking, so a FIFO or a device among the files is no read that waits forever: fstat
    // below turns it away. It changes nothing for a regular file.
    file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    if (isAbsent(error)) return undefined
    throw error
  }
  try {
    const info = await file.stat()
    if (!info.isFile()) return undefined
    if (info.size > maxBytes) return { tooLarge: info.size }
    const bytes = new Uint8Array(info.size)
    let filled = 0
    while (filled < bytes.length) {
      const { bytesRead } = await file.read(bytes, filled, bytes.length - filled, filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }
    return filled === bytes.length ? bytes : bytes.subarray(0, filled)
  } finally {
    await file.close()
  }
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
