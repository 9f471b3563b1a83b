// The WebRTC transport over real node-datachannel peer connections in this process, signaling
// through the in-process hub: the transport contract, then what is particular to WebRTC
// (addresses, options, signals from strangers, ICE restarts, teardown).

import { afterEach, describe, expect, it } from 'vitest'
import { TransportError, type Connection } from '../../src/transport/index.js'
import { MemorySignaling, WebRtcTransport, type WebRtcTransportOptions } from '../../src/transport/webrtc/index.js'
import { describeTransportContract } from './contract.js'

const contractChannel = { highWaterMarkBytes: 262_144, lowWaterMarkBytes: 65_536, maxBufferedBytes: 4 * 1_048_576 }

describeTransportContract('WebRtcTransport (node-datachannel, in-process signaling)', () => {
  let hub = new MemorySignaling()
  let count = 0
  return {
    create: () => new WebRtcTransport({ signaling: hub.connect(`t${++count}`), channel: contractChannel }),
    unreachableAddress: () => `webrtc://nobody-${++count}`,
    silentAddress: () => {
      const id = `silent-${++count}`
      hub.connect(id) // holds the id and never answers
      return `webrtc://${id}`
    },
    badAddresses: ['', 'webrtc://', 'webrtc:/x', 'ws://127.0.0.1:1', 'memory://x', 'webrtc://a b', `webrtc://${'a'.repeat(129)}`, 'webrtc://x/y'],
    backpressure: { frameBytes: 65_536, maxFramesToFill: 4_000 },
    cleanup: () => {
      hub.close()
      hub = new MemorySignaling()
    },
  }
})
