// The transport's part of MeshNode.stats(): its addresses, its own stats, and the lifetime
// count of RTCPeerConnections, found in whatever the transport (or, for a manager, each of
// its transports) reports, so that any transport with the same stats fields is counted too.

import { addressesOf } from '../transport/addresses.js'
import type { Transport } from '../transport/transport.js'
import type { TransportSummary } from './stats.js'

export function summarizeTransport(transport: Transport): TransportSummary {
  const details = (transport as { stats?: () => unknown }).stats?.()
  return { kind: transport.kind, addresses: addressesOf(transport), peerConnectionsCreated: peerConnectionsIn(details), details }
}

function peerConnectionsIn(stats: unknown): number {
  if (typeof stats !== 'object' || stats === null) return 0
  const { peerConnectionsCreated, transports } = stats as { peerConnectionsCreated?: unknown; transports?: unknown }
  let count = typeof peerConnectionsCreated === 'number' ? peerConnectionsCreated : 0
  if (Array.isArray(transports)) for (const part of transports) count += peerConnectionsIn((part as { stats?: unknown })?.stats)
  return count
}
