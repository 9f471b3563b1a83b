// The transport manager against the transport contract: a manager over a memory transport
// and a WebSocket transport on 127.0.0.1, dialled at its first (memory) address, so every
// promise of the contract holds through the manager as it does for the transport underneath.

import { TransportManager, WebSocketTransport } from '../../src/transport/index.js'
import { describeTransportContract } from './contract.js'
import { memoryHarness } from './memory-harness.js'

describeTransportContract('TransportManager (memory + WebSocket)', () =>
  memoryHarness(
    (memory) => new TransportManager({ transports: [memory, new WebSocketTransport({ listenAddress: 'ws://127.0.0.1:0' })] }),
    ['webrtc://nobody', 'http://127.0.0.1:1'],
  ),
)
