// What the node asks of a way to find peers besides its bootstrap list (LAN multicast, a
// bootstrap server's directory): start it with who the node is, hear of peers as they are
// found, stop it. One that costs something per question (a server) asks only when the node
// says it wants peers. What it finds is a hint: the node dials it expecting that id, and the
// handshake proves it.

/** This node, as a discovery announces it. */
export interface PeerDiscoverySelf {
  /** The node's peer id (32 bytes). */
  readonly id: Uint8Array
  /** Where it can be dialled now (they may change while it runs). */
  addresses(): readonly string[]
  /** Whether the node has fewer sessions than its target (peers.targetPeers) now. */
  isBelowTarget(): boolean
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
  /**
   * Optional: the node is below its target of peers (in start(), after the peers it knew, and
   * whenever a session closes below it). A discovery that asks on demand asks now or when its
   * own pacing allows, and resolves once that ask's peers went to `onPeer`; never rejects.
   */
  peersWanted?(): Promise<void>
  /** Its own counts, reported in the node's stats. */
  stats?(): unknown
}
