// RelayTransport held to the transport contract: its connections run through a real
// BootstrapServer on 127.0.0.1, each transport on a WebSocketSignaling of its own.

import { BootstrapServer, RelayTransport, WebSocketSignaling } from '../../src/discovery/index.js'
import { describeTransportContract } from '../transport/contract.js'

const contractChannel = { highWaterMarkBytes: 262_144, lowWaterMarkBytes: 65_536, maxBufferedBytes: 4 * 1_048_576 }

describeTransportContract('RelayTransport (through a BootstrapServer on 127.0.0.1)', () => {
  let server: BootstrapServer | undefined
  const signalings: WebSocketSignaling[] = []
  let count = 0
  const url = async () => {
    if (server === undefined) {
      // Relaying is bounded by the server's byte budget; the contract's backpressure test sends a few MiB.
      server = new BootstrapServer({ relayBytesPerSecond: 64 * 1_048_576 })
      await server.start()
    }
    return server.url
  }
  const signalingFor = async (id: string) => {
    const signaling = await WebSocketSignaling.connect(await url(), { id })
    signalings.push(signaling)
    return signaling
  }
  return {
    create: async () => new RelayTransport({ signaling: await signalingFor(`r${++count}`), channel: contractChannel }),
    unreachableAddress: () => `relay://nobody-${++count}`,
    // Registered on the server, with no relay transport: opens reach it and nobody answers.
    silentAddress: async () => {
      const id = `silent-${++count}`
      await signalingFor(id)
      return `relay://${id}`
    },
    badAddresses: ['', 'relay://', 'relay:/x', 'ws://127.0.0.1:1', 'memory://x', 'relay://a b', `relay://${'a'.repeat(129)}`, 'relay://x/y', 'webrtc://x'],
    backpressure: { frameBytes: 65_536, maxFramesToFill: 4_000 },
    cleanup: async () => {
      await Promise.all(signalings.splice(0).map((signaling) => signaling.closed()))
      await server?.close()
      server = undefined
    },
  }
})
