// How the population joined: who started, who failed and why, how many peers each ended
// with, and how long start() took in virtual time, read from the nodes' own stats.

import { DEFAULT_TARGET_PEERS } from '../peers/options.js'
import { perNode, summarize, type Distribution, type PerNode } from './distribution.js'
import type { SimulatedNode } from './simulation.js'

export interface JoinSummary {
  readonly nodes: number
  readonly bootstrapNodes: number
  /** Nodes whose start() resolved. */
  readonly started: number
  /** Nodes whose start() rejected, by error code. */
  readonly startFailures: Readonly<Record<string, number>>
  /** Nodes still inside start() when the summary was taken. */
  readonly stillJoining: number
  readonly targetPeers: number
  readonly withPeers: number
  readonly atTargetPeers: number
  /** Started nodes whose DHT self-lookup succeeded. */
  readonly dhtJoined: number
  /** Sessions per started node. */
  readonly peers: Distribution
  /** Virtual ms from arrival to start() resolving, newcomers only. */
  readonly joinTimeMs: Distribution
  readonly redirectsReceived: number
  /**
   * Dials per started node (stats().layers.peers.dialAttempts): joins, redirects, upkeep and
   * the DHT's transient lookup sessions. Each dial that answers costs a handshake, two Ed25519
   * signatures and two verifications.
   */
  readonly dialsPerNode: PerNode
}

export function summarizeJoin(nodes: readonly SimulatedNode[], targetPeers = DEFAULT_TARGET_PEERS): JoinSummary {
  const started = nodes.filter((entry) => entry.joinedAtMs !== undefined)
  const failures: Record<string, number> = {}
  for (const entry of nodes) if (entry.startFailure !== undefined) failures[entry.startFailure] = (failures[entry.startFailure] ?? 0) + 1
  const stats = started.map((entry) => entry.node.stats())
  const newcomers = started.filter((entry) => !entry.isBootstrap)
  return {
    nodes: nodes.length,
    bootstrapNodes: nodes.filter((entry) => entry.isBootstrap).length,
    started: started.length,
    startFailures: failures,
    stillJoining: nodes.filter((entry) => entry.joinedAtMs === undefined && entry.startFailure === undefined).length,
    targetPeers,
    withPeers: stats.filter((s) => s.peers > 0).length,
    atTargetPeers: stats.filter((s) => s.peers >= targetPeers).length,
    dhtJoined: stats.filter((s) => s.bootstrap.isDhtJoined).length,
    peers: summarize(stats.map((s) => s.peers)),
    joinTimeMs: summarize(newcomers.map((entry) => (entry.joinedAtMs as number) - entry.arrivedAtMs)),
    redirectsReceived: stats.reduce((sum, s) => sum + s.join.redirectsReceived, 0),
    dialsPerNode: perNode(stats.map((s) => s.layers.peers.dialAttempts)),
  }
}
