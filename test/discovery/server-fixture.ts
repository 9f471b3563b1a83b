// Bootstrap servers and signaling clients for a test file, all closed by cleanup() (call it
// from afterEach): every server it started, every signaling it connected.

import { BootstrapServer, WebSocketSignaling, type BootstrapServerOptions } from '../../src/discovery/index.js'

export function serverFixture() {
  const servers: BootstrapServer[] = []
  const signalings: WebSocketSignaling[] = []
  return {
    async serve(options: BootstrapServerOptions = {}): Promise<BootstrapServer> {
      const server = new BootstrapServer(options)
      servers.push(server)
      await server.start()
      return server
    },
    async signalingAt(server: BootstrapServer, id: string, announce?: string[]): Promise<WebSocketSignaling> {
      const signaling = await WebSocketSignaling.connect(server.url, { id, ...(announce === undefined ? {} : { announce }) })
      signalings.push(signaling)
      return signaling
    },
    async cleanup(): Promise<void> {
      await Promise.all(signalings.splice(0).map((signaling) => signaling.closed()))
      await Promise.all(servers.splice(0).map((server) => server.close()))
    },
  }
}
