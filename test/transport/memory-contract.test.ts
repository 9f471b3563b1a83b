// The memory network against the transport contract, on the system clock with a bandwidth
// limit low enough that backpressure shows.

import { MemoryNetwork } from '../../src/transport/index.js'
import { describeTransportContract } from './contract.js'

describeTransportContract('MemoryNetwork', () => {
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
    create: () => net.createTransport(`t${++count}`),
    unreachableAddress: () => `memory://nobody-${++count}`,
    silentAddress: async (dialer) => {
      const target = net.createTransport(`silent-${++count}`)
      await target.listen(() => {})
      net.cut(dialer.localAddress, target.localAddress)
      return target.localAddress
    },
    badAddresses: ['', 'bob', 'ws://127.0.0.1:1', 'memory://', 'memory://a b'],
    backpressure: { frameBytes: 32_768, maxFramesToFill: 200 },
    cleanup: async () => {
      await net.close()
      fresh()
    },
  }
})
