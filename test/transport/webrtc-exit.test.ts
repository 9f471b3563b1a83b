// A process that used the WebRTC transport exits by itself once the transport is closed, even
// after a dial that gave up before its data channel opened. node-datachannel keeps the process
// alive for a native channel that never opened and was not closed, even under a closed peer
// connection, and process.getActiveResourcesInfo() does not show it: only a child process that
// fails to exit does. The child runs the built library (dist/node, which npm test builds first).

import { describe, expect, it } from 'vitest'
import { runBuiltChild, type ChildResult } from './built-child.js'

/** The child's last step: close both transports and the hub, and say so. */
const CLOSE_ALL = `await Promise.all([client.close(), server.close()]); hub.close(); console.log('closed')`

function expectExited(child: ChildResult): void {
  expect(child.hung, `the child hung: ${child.stderr}`).toBe(false)
  expect(child.stderr).toBe('')
}

// A child that hangs is killed at 60 s, and the test fails for it.
describe('WebRtcTransport and process exit', { timeout: 90_000 }, () => {
  it('a dial that times out before its channel opens, then close(), lets the process exit', async () => {
    const child = await runBuiltChild(`
      const hub = new wasmesh.MemorySignaling()
      const server = new wasmesh.WebRtcTransport({ signaling: hub.connect('server') })
      await server.listen(() => {})
      const clock = new wasmesh.ManualClock()
      const client = new wasmesh.WebRtcTransport({ signaling: hub.connect('client'), clock })
      const dial = client.dial(server.localAddress, { timeoutMs: 1_000 }).then(() => 'opened', (error) => error.code)
      while (client.stats().peerConnectionsCreated === 0) await new Promise((done) => setTimeout(done, 5))
      clock.advance(1_000) // the dial gives up while its channel is still connecting (polled on the client: the server's side can already be open)
      console.log('dial:', await dial)
      ${CLOSE_ALL}
    `)
    expectExited(child)
    expect(child.stdout).toBe('dial: TRANSPORT_TIMEOUT\nclosed\n')
    expect(child.status).toBe(0)
  })

  it('an aborted dial, then close(), lets the process exit', async () => {
    const child = await runBuiltChild(`
      const hub = new wasmesh.MemorySignaling()
      const server = new wasmesh.WebRtcTransport({ signaling: hub.connect('server') })
      await server.listen(() => {})
      const client = new wasmesh.WebRtcTransport({ signaling: hub.connect('client') })
      const controller = new AbortController()
      const dial = client.dial(server.localAddress, { timeoutMs: 20_000, signal: controller.signal }).then(() => 'opened', (error) => error.code)
      while (client.stats().peerConnectionsCreated === 0) await new Promise((done) => setTimeout(done, 5))
      controller.abort()
      console.log('dial:', await dial)
      ${CLOSE_ALL}
    `)
    expectExited(child)
    expect(child.stdout).toMatch(/^dial: (TRANSPORT_ABORTED|opened)\nclosed\n$/)
    expect(child.status).toBe(0)
  })
})
