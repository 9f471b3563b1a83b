// The end of every scenario: read the figures while the nodes still run, stop them all, and
// assemble the report. Wall time enters here and only here, into `wallClock`.

import type { BroadcastReport, SignaturesDescription, SimulationReport } from '../report.js'
import { REPORT_FORMAT } from '../report.js'
import { dropsByReason } from '../drops.js'
import { summarizeJoin } from '../join-summary.js'
import type { Simulation } from '../simulation.js'
import type { TrafficSummary } from '../traffic.js'
import { wallClockNowMs } from '../wall-clock.js'

export interface Finish {
  readonly scenario: string
  readonly parameters: Record<string, number>
  readonly targetPeers: number
  /** wallClockNowMs() when the scenario began. */
  readonly wallStartMs: number
  readonly traffic: TrafficSummary
  readonly broadcast?: BroadcastReport
  /** The scenario's own report sections. */
  readonly sections?: ScenarioSections
}

/** The report sections a scenario adds to the common ones. */
export type ScenarioSections = Pick<SimulationReport, 'dht' | 'churn' | 'partition' | 'bootstrapFailure' | 'storm' | 'turnover' | 'hotspot'>

export async function finish(sim: Simulation, done: Finish): Promise<SimulationReport> {
  const join = summarizeJoin(sim.nodes, done.targetPeers)
  const drops = dropsByReason(sim.nodes.map((entry) => entry.node))
  const virtualTimeMs = sim.nowMs
  const shutdown = await sim.stop()
  // Read after the stop: the goodbyes count as traffic of the network, not of the phase.
  const network = sim.network.stats()
  const events = sim.counts
  const wallMs = wallClockNowMs() - done.wallStartMs
  return {
    format: REPORT_FORMAT,
    scenario: done.scenario,
    parameters: done.parameters,
    engine: {
      nodeCode: 'MeshNode (production code, unchanged)',
      clock: 'ManualClock (virtual time, injected as the node clock)',
      transport: 'MemoryNetwork (injected as the node network)',
      random: 'SeededRandom per node (injected through the node seed)',
      signatures: describeSignatures(sim),
      core: sim.coreBackend,
    },
    virtualTimeMs,
    events,
    join,
    ...(done.broadcast === undefined ? {} : { broadcast: done.broadcast }),
    networkModel: sim.networkModel.summary(),
    ...done.sections,
    traffic: done.traffic,
    drops,
    network: { framesSent: network.messagesSent, bytesSent: network.bytesSent, framesDelivered: network.messagesDelivered, framesDropped: network.dropped },
    shutdown,
    wallClock: { wallMs, timersPerWallSec: wallMs === 0 ? 0 : (events.timersFired * 1_000) / wallMs },
  }
}

function describeSignatures(sim: Simulation): SignaturesDescription {
  const { signatures, signCostMs, verifyCostMs } = sim.options
  return signatures === 'stand-in'
    ? {
        scheme: 'stand-in',
        how: 'HMAC-SHA256 over (public key || message) under a key only the simulated nodes hold, padded to 64 bytes; injected as each identity\'s signer and each node\'s verify',
        signCostMs,
        verifyCostMs,
      }
    : { scheme: 'ed25519', how: 'Ed25519 on noble (useDeterministicEd25519), real signing and verifying', signCostMs, verifyCostMs }
}
