// The WebSocket transport listening at wss:// on 127.0.0.1, with a throwaway self-signed
// certificate made by openssl for this run: a client that trusts it connects and carries
// frames both ways; one that does not is refused (TRANSPORT_UNREACHABLE); two mesh nodes join
// over it; bad TLS options are refused at the boundary.

import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { createMeshNode } from '../../src/node.js'
import { TransportError, WebSocketTransport, type Connection, type WebSocketConstructor } from '../../src/transport/index.js'
import { bytes, text, waitFor } from './real-time.js'

const dir = mkdtempSync(join(tmpdir(), 'wasmesh-tls-'))
execFileSync('openssl', [
  'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
  '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
], { stdio: 'ignore' })
const tls = { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') }
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** ws's client, trusting only this run's certificate. */
const Trusting = class extends WebSocket {
  constructor(url: string | URL) {
    super(url, { ca: tls.cert, perMessageDeflate: false })
  }
} as unknown as WebSocketConstructor

describe('WebSocketTransport over TLS (wss://)', () => {
  it('listens at wss://, and a client that trusts the certificate carries frames both ways', async () => {
    const server = new WebSocketTransport({ tls })
    const accepted: Connection[] = []
    await server.listen((connection) => accepted.push(connection))
    expect(server.localAddress).toMatch(/^wss:\/\/127\.0\.0\.1:[1-9]\d*$/)
    const client = new WebSocketTransport({ WebSocket: Trusting })
    try {
      const outbound = await client.dial(server.localAddress)
      await waitFor(() => accepted.length === 1, 'the inbound connection')
      const inbound = accepted[0]
      expect(inbound.remoteAddress).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/)
      const atServer: string[] = []
      const atClient: string[] = []
      inbound.onMessage((frame) => atServer.push(text(frame)))
      outbound.onMessage((frame) => atClient.push(text(frame)))
      outbound.send(bytes('up'))
      inbound.send(bytes('down'))
      await waitFor(() => atServer.length === 1 && atClient.length === 1, 'a frame each way')
      expect([atServer, atClient]).toEqual([['up'], ['down']])
    } finally {
      await Promise.all([client.close(), server.close()])
    }
    await waitFor(() => !process.getActiveResourcesInfo().some((kind) => kind === 'TCPServerWrap' || kind === 'TCPSocketWrap' || kind === 'TLSWrap'), 'every socket to close')
  })

  it('a client that does not trust the certificate is refused with TRANSPORT_UNREACHABLE, and the server carries on', async () => {
    const server = new WebSocketTransport({ tls })
    await server.listen(() => {})
    const untrusting = new WebSocketTransport()
    const trusting = new WebSocketTransport({ WebSocket: Trusting })
    try {
      const error = await untrusting.dial(server.localAddress).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(TransportError)
      expect((error as TransportError).code).toBe('TRANSPORT_UNREACHABLE')
      // Plain ws:// to a TLS port is no WebSocket either.
      const plain = await untrusting.dial(server.localAddress.replace('wss://', 'ws://')).catch((caught: unknown) => caught)
      expect(plain).toBeInstanceOf(TransportError)
      expect((await trusting.dial(server.localAddress)).isOpen).toBe(true)
    } finally {
      await Promise.all([untrusting.close(), trusting.close(), server.close()])
    }
  })

  it('two mesh nodes join over wss:// and a publish arrives', async () => {
    const a = await createMeshNode({ seed: 5_001, transport: new WebSocketTransport({ tls, WebSocket: Trusting }) })
    await a.start()
    const b = await createMeshNode({ seed: 5_002, bootstrap: a.addresses, transport: new WebSocketTransport({ tls, WebSocket: Trusting }) })
    const inbox: string[] = []
    b.subscribe('chat', (message) => inbox.push(text(message.data)))
    try {
      await b.start()
      expect(a.addresses[0]).toMatch(/^wss:\/\//)
      await a.waitForSubscribers('chat', { timeoutMs: 20_000 })
      await a.publish('chat', bytes('over TLS'))
      await waitFor(() => inbox.length === 1, 'the publish')
      expect(inbox).toEqual(['over TLS'])
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })

  it('refuses TLS options that do not fit: wss:// without tls, tls with ws://, a key that is not one', async () => {
    const codeOf = (make: () => unknown) => {
      try {
        make()
      } catch (error) {
        return (error as TransportError).code
      }
      return 'made'
    }
    expect(codeOf(() => new WebSocketTransport({ listenAddress: 'wss://127.0.0.1:0' }))).toBe('TRANSPORT_INVALID_OPTION')
    expect(codeOf(() => new WebSocketTransport({ tls, listenAddress: 'ws://127.0.0.1:0' }))).toBe('TRANSPORT_INVALID_OPTION')
    expect(codeOf(() => new WebSocketTransport({ tls: { key: '', cert: tls.cert } }))).toBe('TRANSPORT_INVALID_OPTION')
    expect(codeOf(() => new WebSocketTransport({ tls: 'yes' as never }))).toBe('TRANSPORT_INVALID_OPTION')
    const garbled = new WebSocketTransport({ tls: { key: 'not a key', cert: tls.cert } })
    const error = await garbled.listen(() => {}).catch((caught: unknown) => caught)
    expect((error as TransportError).code).toBe('TRANSPORT_INVALID_OPTION')
    expect(garbled.isListening).toBe(false)
    await garbled.close()
  })
})
