// Which neighbour subscribes to which topic, as they announced it: the relay forwards a
// topic's messages only to these peers. Bounded: at most `maxTopicsPerPeer` topics a peer,
// so a neighbour cannot grow this table without limit (state per peer stays small).

import type { PeerSession } from '../peers/session.js'

/** What one announcement did to the table. */
export interface AnnounceResult {
  /** Topics refused because the peer already had `maxTopicsPerPeer`. */
  readonly refused: number
}

export class PeerTopics {
  private readonly topicsByPeer = new Map<string, Set<string>>()
  private readonly peersByTopic = new Map<string, Map<string, PeerSession>>()

  constructor(private readonly maxTopicsPerPeer: number) {}

  /** Records that `peer` subscribes to `topics`. */
  subscribe(peer: PeerSession, topics: readonly string[]): AnnounceResult {
    let own = this.topicsByPeer.get(peer.peerKey)
    if (own === undefined) {
      own = new Set()
      this.topicsByPeer.set(peer.peerKey, own)
    }
    let refused = 0
    for (const topic of topics) {
      if (own.has(topic)) continue
      if (own.size >= this.maxTopicsPerPeer) {
        refused++
        continue
      }
      own.add(topic)
      let peers = this.peersByTopic.get(topic)
      if (peers === undefined) {
        peers = new Map()
        this.peersByTopic.set(topic, peers)
      }
      peers.set(peer.peerKey, peer)
    }
    return { refused }
  }

  /** Records that `peer` no longer subscribes to `topics`. */
  unsubscribe(peer: PeerSession, topics: readonly string[]): void {
    const own = this.topicsByPeer.get(peer.peerKey)
    if (own === undefined) return
    for (const topic of topics) {
      if (own.delete(topic)) this.removeFromTopic(topic, peer.peerKey)
    }
    if (own.size === 0) this.topicsByPeer.delete(peer.peerKey)
  }

  /** Forgets everything about `peer` (it disconnected). */
  removePeer(peer: PeerSession): void {
    const own = this.topicsByPeer.get(peer.peerKey)
    if (own === undefined) return
    for (const topic of own) this.removeFromTopic(topic, peer.peerKey)
    this.topicsByPeer.delete(peer.peerKey)
  }

  /** The neighbours subscribed to `topic`, in no particular order. */
  subscribers(topic: string): Iterable<PeerSession> {
    return this.peersByTopic.get(topic)?.values() ?? []
  }

  /** Whether `peer` announced `topic`. */
  has(peer: PeerSession, topic: string): boolean {
    return this.topicsByPeer.get(peer.peerKey)?.has(topic) ?? false
  }

  /** Topics `peer` announced. */
  topicsOf(peer: PeerSession): number {
    return this.topicsByPeer.get(peer.peerKey)?.size ?? 0
  }

  /** Peers with at least one topic. */
  get peerCount(): number {
    return this.topicsByPeer.size
  }

  /** Topics with at least one peer. */
  get topicCount(): number {
    return this.peersByTopic.size
  }

  clear(): void {
    this.topicsByPeer.clear()
    this.peersByTopic.clear()
  }

  private removeFromTopic(topic: string, peerKey: string): void {
    const peers = this.peersByTopic.get(topic)
    if (peers === undefined) return
    peers.delete(peerKey)
    if (peers.size === 0) this.peersByTopic.delete(topic)
  }
}
