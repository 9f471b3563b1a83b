// Errors of the simulator: options refused at its public boundary, and a Simulation used out
// of its lifecycle order. Errors of the node and the layers below pass through with their codes.

import { WasmeshError } from '../util/wasmesh-error.js'

export type SimulationErrorCode =
  /** A simulation or scenario option is missing, of the wrong type or out of range. */
  | 'SIM_INVALID_OPTION'
  /** A scenario name that is not one of `scenarioNames`. */
  | 'SIM_UNKNOWN_SCENARIO'
  /** A Simulation method called in the wrong state: nodes added after stop(), run() before start(), stop() twice. */
  | 'SIM_INVALID_STATE'

/** Thrown when the simulator is given bad options, an unknown scenario, or is used in the wrong order. */
export class SimulationError extends WasmeshError {
  declare readonly code: SimulationErrorCode

  constructor(code: SimulationErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}
