// The report of one run, serialisable as report.json. Every field is a function of the
// scenario, its parameters and the seed, except `wallClock`: that is how long this machine
// took, and the only part that differs between two runs of the same seed.

import type { BroadcastSummary } from './broadcast-tracker.js'
import type { DriverCounts } from './driver.js'
import type { JoinSummary } from './join-summary.js'
import type { ShutdownSummary } from './simulation.js'
import type { TrafficSummary } from './traffic.js'
import type { DhtSummary } from './dht-tracker.js'
import type { NetworkModelSummary } from './network-model.js'
import type { BootstrapFailureReport, ChurnReport, HotspotReport, PartitionReport, StormReport, TurnoverReport } from './scenario-reports.js'

export const REPORT_FORMAT = 'wasmesh-sim-report/1'

/** How the nodes signed and verified, and what each signature cost them in virtual CPU time. */
export type SignaturesDescription =
  | {
      readonly scheme: 'stand-in'
      readonly how: 'HMAC-SHA256 over (public key || message) under a key only the simulated nodes hold, padded to 64 bytes; injected as each identity\'s signer and each node\'s verify'
      readonly signCostMs: number
      readonly verifyCostMs: number
    }
  | {
      readonly scheme: 'ed25519'
      readonly how: 'Ed25519 on noble (useDeterministicEd25519), real signing and verifying'
      /** Virtual CPU ms charged per signature (through the identity's signer); 0: nothing injected. */
      readonly signCostMs: number
      /** Virtual CPU ms charged per check (through the node's verify); 0 with signCostMs 0: nothing injected. */
      readonly verifyCostMs: number
    }

/** What the simulator ran in place of a real deployment, and through which injection point. */
export interface EngineDescription {
  readonly nodeCode: 'MeshNode (production code, unchanged)'
  readonly clock: 'ManualClock (virtual time, injected as the node clock)'
  readonly transport: 'MemoryNetwork (injected as the node network)'
  readonly random: 'SeededRandom per node (injected through the node seed)'
  /** The signature scheme, and the virtual CPU time per sign and verify charged to each node's queue. */
  readonly signatures: SignaturesDescription
  /** The core structures' backend ('wasm', else the TypeScript twins). */
  readonly core: 'wasm' | 'js'
}

export interface BroadcastReport extends BroadcastSummary {
  /** Publish copies the nodes received over the phase, duplicates and repair fetches included (stats().messages.received). */
  readonly copiesReceived: number
  /** Publishes the nodes handed to subscribers over the phase, once per message (stats().messages.delivered). */
  readonly uniqueDelivered: number
  /** copiesReceived / uniqueDelivered. */
  readonly duplicateFactor: number
}

export interface NetworkSummary {
  readonly framesSent: number
  readonly bytesSent: number
  readonly framesDelivered: number
  readonly framesDropped: { readonly loss: number; readonly cut: number; readonly closed: number }
}

/** Measured on this machine: differs run to run; everything outside it does not. */
export interface WallClockFigures {
  readonly wallMs: number
  /** Timers fired per wall-clock second. */
  readonly timersPerWallSec: number
}

export interface SimulationReport {
  readonly format: typeof REPORT_FORMAT
  readonly scenario: string
  /** The scenario's parameters, defaults filled in, seed included. */
  readonly parameters: Readonly<Record<string, number>>
  readonly engine: EngineDescription
  readonly virtualTimeMs: number
  readonly events: DriverCounts
  readonly join: JoinSummary
  /** Present for the broadcast scenario. */
  readonly broadcast?: BroadcastReport
  /** Regions and access rates the links were made from. */
  readonly networkModel?: NetworkModelSummary
  /** Present for the dht scenario: puts, then gets from random nodes. */
  readonly dht?: DhtSummary
  /** Present for the churn scenario. */
  readonly churn?: ChurnReport
  /** Present for the partition scenario. */
  readonly partition?: PartitionReport
  /** Present for the bootstrap-failure scenario. */
  readonly bootstrapFailure?: BootstrapFailureReport
  /** Present for the storm scenario. */
  readonly storm?: StormReport
  /** Present for the turnover scenario. */
  readonly turnover?: TurnoverReport
  /** Present for the hotspot scenario. */
  readonly hotspot?: HotspotReport
  /** Traffic over the scenario's measured phase (the whole run for join, the publishes for broadcast). */
  readonly traffic: TrafficSummary
  /** Drops every node counted over the whole run, 'layer.reason'. */
  readonly drops: Readonly<Record<string, number>>
  readonly network: NetworkSummary
  readonly shutdown: ShutdownSummary
  readonly wallClock: WallClockFigures
}

/** The report as report.json text. */
export function toReportJson(report: SimulationReport): string {
  return `${JSON.stringify(report, null, 2)}\n`
}

/** The report without its wall-clock fields: identical for two runs of the same scenario, parameters and seed. */
export function deterministicPart(report: SimulationReport): Omit<SimulationReport, 'wallClock'> {
  const { wallClock: _wallClock, ...rest } = report
  return rest
}
