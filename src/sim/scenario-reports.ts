// The report sections of the fault scenarios (churn, partition, bootstrap-failure, storm,
// turnover, hotspot): what each measured, in virtual time, for report.json.

import type { BroadcastSummary } from './broadcast-tracker.js'
import type { ComponentsSummary } from './components.js'
import type { DhtSummary } from './dht-tracker.js'
import type { Distribution, PerNode } from './distribution.js'

/** Departures and arrivals of a churn or turnover phase. */
export interface ReplacementSummary {
  /** Nodes that stopped with a goodbye. */
  readonly left: number
  /** Nodes that stopped without one (their links went silent first). */
  readonly crashed: number
  /** Newcomers that arrived, those whose start() resolved, and those still inside start() at the end. */
  readonly arrived: number
  readonly arrivedStarted: number
  readonly arrivedStillJoining: number
  /** Virtual ms from arrival to start() resolving, for the newcomers of the phase. */
  readonly arrivedJoinTimeMs: Distribution
  /** Running nodes when the phase ended. */
  readonly runningAtEnd: number
}

export interface ChurnReport {
  readonly replacement: ReplacementSummary
  /**
   * Publishes during the churn. A node is owed a message if it was running when it was
   * published and did not leave within graceMs of it.
   */
  readonly broadcast: BroadcastSummary
  /** Records put before the churn, read from random running nodes during it. */
  readonly dht: DhtSummary
}

export interface PartitionReport {
  readonly groupSizes: readonly number[]
  /** Sessions between nodes of different groups: before the split, when healed, and at the end. */
  readonly crossSessionsBeforeSplit: number
  readonly crossSessionsAtHeal: number
  readonly crossSessionsAtEnd: number
  /** Publishes during the split, owed to the origin's own group only. */
  readonly duringSplit: BroadcastSummary
  /** Probes published after the heal, one every probeIntervalMs, owed to every running node. */
  readonly afterHeal: BroadcastSummary
  /** Whether a probe after the heal reached every running node. */
  readonly isRecovered: boolean
  /** Virtual ms from the heal to the last delivery of the first probe that reached every running node; null if none did. */
  readonly recoveryMs: number | null
  /** Probes published before that one. */
  readonly probesBeforeRecovery: number | null
}

export interface BootstrapFailureReport {
  /** Virtual times (from the first arrival) the bootstrap nodes died. */
  readonly diedDuringJoinAtMs: number
  readonly diedAfterJoinAtMs: number
  readonly diedDuringJoin: number
  readonly diedAfterJoin: number
  /** Newcomers that arrived before the first deaths, after them, and after every bootstrap node was gone. */
  readonly arrivedBeforeDeaths: number
  readonly arrivedDuringDeaths: number
  readonly arrivedAfterAllDied: number
  /** Of those, how many started; start() failures of each group by code. */
  readonly startedBeforeDeaths: number
  readonly startedDuringDeaths: number
  readonly startedAfterAllDied: number
  readonly failuresAfterAllDied: Readonly<Record<string, number>>
  /** The survivors' session graph before the publishes: one component, or islands. */
  readonly componentsAfterDeaths: ComponentsSummary
  /** Publishes among the survivors once every bootstrap node is gone. */
  readonly broadcastAfterDeaths: BroadcastSummary
}

export interface StormReport {
  readonly attackers: number
  /** Publishes a virtual second each attacker attempted (attackerRatePerSec, or multiplier x rateLimitPerPeer). */
  readonly attackerRatePerSec: number
  readonly stormMs: number
  readonly attackerPublishes: number
  /** Attacker publishes delivered to honest nodes' subscribers, over all honest nodes. */
  readonly attackerDeliveries: number
  /** attackerDeliveries / (attackerPublishes x honest nodes): the share of the flood that got through. */
  readonly attackerDeliveryShare: number
  /** Attacker messages each honest node handed its subscribers a virtual second: mean and busiest. */
  readonly attackerDeliveriesPerHonestNodePerSec: PerNode
  /** Honest publishes during the storm, owed to every honest running node. */
  readonly honest: BroadcastSummary
  /** Messages each honest node received a virtual second over the storm (every protocol): mean and busiest. */
  readonly honestMessagesReceivedPerNodePerSec: PerNode
  /** Drops counted as over a rate limit, over all nodes ('peers.rate-limit', 'peers.relay-rate-limit', 'relay.origin-rate-limit'). */
  readonly rateLimitDrops: number
  /** Bans the honest nodes held at the end (peers whose score fell below the threshold: the attackers, and any relay punished for passing their flood on). */
  readonly bansHeldByHonestNodes: number
}

export interface TurnoverReport {
  readonly replacement: ReplacementSummary
  /** The DHT's bucket refresh interval the turnover outpaced. */
  readonly bucketRefreshMs: number
  /** Nodes of the population before the turnover still running at its end. */
  readonly originalsLeft: number
  /** Records put before the turnover, read from random running nodes during and after it. */
  readonly dht: DhtSummary
  /** Publishes during the turnover (owed as in churn). */
  readonly broadcast: BroadcastSummary
  /** DHT requests that timed out over the turnover, all nodes: stale contacts asked. */
  readonly dhtRequestTimeouts: number
}

export interface HotspotReport {
  /** Nodes that read the one hot key, and gets each made. */
  readonly readers: number
  readonly getsPerReader: number
  /** Nodes holding the record when the reads ended. */
  readonly holders: number
  readonly dht: DhtSummary
  /** Messages a virtual second received by the holders and by everyone else, over the reads. */
  readonly holderMessagesReceivedPerSec: PerNode
  readonly otherMessagesReceivedPerSec: PerNode
}
