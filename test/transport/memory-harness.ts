// The memory network's harness for the transport contract (contract.ts): a fresh network per
// test, on the system clock, with a bandwidth limit low enough that backpressure shows.
// `wrap` makes each transport the contract gets from a memory transport (a TransportManager
// over it, say); the contract's dials go to the memory addresses either way.

import { MemoryNetwork, type MemoryTransport, type Transport } from '../../src/transport/index.js'
import type { TransportHarness } from './contract.js'

export function memoryHarness(wrap: (transport: MemoryTransport) => Transport = (transport) => transport, badAddresses: readonly string[] = []): TransportHarness {
  let net = new MemoryNetwork()
  let count = 0
  const fresh = () => {
    net = new MemoryNetwork({
      latencyMs: 1,
      bandwidthBytesPerSec: 20_000_000,
      highWaterMarkBytes: 65_536,
      lowWaterMarkBytes: 16_384,
      maxBufferedBytes: 1_048_576,
    })
  }
  fresh()
  return {
    create: () => wrap(net.createTransport(`t${++count}`)),
    unreachableAddress: () => `memory://nobody-${++count}`,
    silentAddress: async (dialer) => {
      const target = net.createTransport(`silent-${++count}`)
      await target.listen(() => {})
      net.cut(dialer.localAddress, target.localAddress)
      return target.localAddress
    },
    badAddresses: ['', 'bob', 'memory://', 'memory://a b', ...badAddresses],
    backpressure: { frameBytes: 32_768, maxFramesToFill: 200 },
    cleanup: async () => {
      await net.close()
      fresh()
    },
  }
}
