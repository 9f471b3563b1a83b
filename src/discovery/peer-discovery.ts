// What the node asks of a way to find peers besides its bootstrap list (LAN multicast now,
// others later): start it with who the node is, hear of peers as they are found, stop it.
// What it finds is a hint: the node dials it expecting that id, and the handshake proves it.

/** This node, as a discovery announces it. */
export interface PeerDiscoverySelf {
  /** The node's peer id (32 bytes). */
  readonly id: Uint8Array
  /** Where it can be dialled now (they may change while it runs). */
  addresses(): readonly string[]
}

export interface DiscoveredPeer {
  readonly id: Uint8Array
  readonly addresses: readonly string[]
}

export interface PeerDiscovery {
  /** A short name for stats ('lan'). */
  readonly kind: string
  start(self: PeerDiscoverySelf, onPeer: (peer: DiscoveredPeer) => void): Promise<void>
  stop(): Promise<void>
  /** Its own counts, reported in the node's stats. */
  stats?(): unknown
}
