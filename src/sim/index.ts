/**
 * wasmesh/sim: the deterministic simulator. Real MeshNodes on a MemoryNetwork in virtual
 * time, driven event by event; named scenarios that resolve with a report whose figures are
 * the same for the same seed.
 *
 * @module wasmesh/sim
 */
// The simulator's public surface: the engine (Simulation, EventDriver), the scenarios and
// the report they produce. It sits on top of the layers: it imports the node and the memory
// transport, and nothing imports it.

export { EventDriver, type DriverCounts, type DriverProgressListener, type EventDriverOptions } from './driver.js'
export { onSimulationProgress, type SimulationProgress, type SimulationProgressListener } from './progress.js'
export { SimulationError, type SimulationErrorCode } from './errors.js'
export { DEFAULT_SIGN_COST_MS, DEFAULT_VERIFY_COST_MS, type SignatureScheme, type SimulatedNodeOptions, type SimulationOptions, type ResolvedSimulationOptions } from './options.js'
export { VirtualCpu } from './virtual-cpu.js'
export { Simulation, type SimulatedNode, type ShutdownSummary } from './simulation.js'
export { BroadcastTracker, type BroadcastSummary } from './broadcast-tracker.js'
export { summarize, perNode, type Distribution, type PerNode } from './distribution.js'
export { dropsByReason } from './drops.js'
export { summarizeJoin, type JoinSummary } from './join-summary.js'
export { TrafficMeter, type TrafficSummary } from './traffic.js'
export {
  deterministicPart, toReportJson, REPORT_FORMAT,
  type BroadcastReport, type EngineDescription, type NetworkSummary, type SignaturesDescription, type SimulationReport, type WallClockFigures,
} from './report.js'
export {
  runBootstrapFailure, runBroadcast, runChurn, runDht, runHotspot, runJoin, runPartition, runScenario, runStorm, runTurnover, scenarioNames,
  type BootstrapFailureParameters, type BroadcastParameters, type ChurnParameters, type DhtParameters, type HotspotParameters, type JoinParameters, type PartitionParameters,
  type PopulationParameters, type ScenarioName, type ScenarioParameters, type StormParameters, type TurnoverParameters,
} from './scenarios/index.js'
export { CLOUD_6_REGIONS, NetworkModel, type NetworkModelSummary, type RegionModel, type RegionsOption } from './network-model.js'
export { DhtTracker, type DhtSummary } from './dht-tracker.js'
export type { BootstrapFailureReport, ChurnReport, HotspotReport, PartitionReport, ReplacementSummary, StormReport, TurnoverReport } from './scenario-reports.js'
export type { ComponentsSummary } from './components.js'
